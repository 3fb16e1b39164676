"""Address text parsing and normalisation against shared/vectors."""

import pytest

from app.standards import address_text


def test_vector_case(address_case):
    text = address_case["text"]
    if address_case.get("error"):
        with pytest.raises(ValueError):
            address_text.parse(text)
        with pytest.raises(ValueError):
            address_text.normalise(text)
    else:
        assert address_text.parse(text) == address_case["expected"]
        assert address_text.normalise(text) == address_case["normalised"]


def test_vector_normal_form_reads_back_the_same(address_case):
    if not address_case.get("error"):
        assert address_text.parse(address_case["normalised"]) == address_case["expected"]
