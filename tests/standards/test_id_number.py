"""Citizen identity number (GB 11643-1999) against shared/vectors."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.standards import id_number

TAGS = {
    "id_number.empty": "length",
    "id_number.length": "length",
    "id_number.charset": "charset",
    "id_number.birth_date": "birth_date",
    "id_number.check_char": "check_char",
}


def test_vector_case(id_case):
    number = id_case["id"]
    born = id_case["birth_date"]

    assert id_number.normalise(number) == id_case["normalised"]
    assert id_number.is_valid(number) is id_case["valid"]
    assert sorted({TAGS[p.code] for p in id_number.problems(number)}) == id_case["errors"]
    assert id_number.birth_date(number) == (born and datetime.date.fromisoformat(born))
    assert id_number.sex(number) == id_case["sex"]


def test_vector_expected_check_char(id_case):
    first17 = id_case["normalised"][:17]
    if id_case["expected_check_char"] is None:
        with pytest.raises(ValueError):
            id_number.check_char(first17)
    else:
        assert id_number.check_char(first17) == id_case["expected_check_char"]


def test_birth_date_after_the_day_of_checking_is_refused():
    number = "350203202310205403"  # born 2023-10-20
    assert id_number.is_valid(number, today=datetime.date(2023, 10, 20))
    [problem] = id_number.problems(number, today=datetime.date(2023, 10, 19))
    assert problem.code == "id_number.birth_date"
    assert "晚于今天" in problem.message


def test_wrong_check_character_names_the_expected_one():
    [problem] = id_number.problems("420106196206245810")
    assert (problem.code, problem.position, problem.expected) == ("id_number.check_char", 18, "2")
    assert problem.message == "校验码错误：第18位应为“2”"


def test_old_15_digit_number_is_told_to_use_the_new_one():
    [problem] = id_number.problems("420684440708536")
    assert problem.code == "id_number.length"
    assert "15位旧号码" in problem.message


def test_masked_keeps_18_characters_and_hides_county_and_birth_date():
    assert id_number.masked("42060219881222764x") == "4206**********764X"
    assert id_number.masked("11010519491231002X") == "1101**********002X"
    assert id_number.masked("1234") == "****"


def test_today_must_be_a_date():
    with pytest.raises(ValueError, match="today"):
        id_number.is_valid("11010519491231002X", today="2024-01-01")


@given(st.dates(datetime.date(1800, 1, 1), datetime.date(2024, 12, 31)),
       st.from_regex(r"\A[0-9]{6}\Z"), st.from_regex(r"\A[0-9]{3}\Z"))
def test_check_char_completes_any_number_with_a_real_birth_date(born, area, sequence):
    first17 = f"{area}{born:%Y%m%d}{sequence}"
    number = first17 + id_number.check_char(first17)
    assert id_number.is_valid(number, today=datetime.date(2025, 1, 1))
    assert id_number.birth_date(number) == born
    assert id_number.sex(number, today=datetime.date(2025, 1, 1)) == ("male" if int(sequence[-1]) % 2 else "female")
