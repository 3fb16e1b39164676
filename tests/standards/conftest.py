"""Test vectors for the standards library, loaded from tests/vectors (a copy of shared/vectors).

A test asks for one case by naming an argument below; it is then run once per case in the file:

    def test_something(credit_case): ...
"""

import json
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"

# argument name -> (vector file, list in it, field naming a case in test ids)
CASE_ARGS = {
    "credit_case": ("credit_codes", "cases", "code"),
    "id_case": ("id_numbers", "cases", "id"),
    "grid_case": ("beidou_grid", "cases", "name"),
    "grid_invalid_case": ("beidou_grid", "invalid_codes", "code"),
    "grid_neighbours_case": ("beidou_grid", "neighbours", "code"),
    "coords_case": ("coords", "cases", "name"),
    "address_case": ("address_text", "cases", "text"),
}


@cache
def load_vectors(name: str) -> dict:
    return json.loads((VECTORS / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def vectors_dir() -> Path:
    return VECTORS


@pytest.fixture
def vectors():
    """``vectors("credit_codes")`` is the whole file as a dict."""
    return load_vectors


def pytest_generate_tests(metafunc):
    for arg, (name, key, label) in CASE_ARGS.items():
        if arg in metafunc.fixturenames:
            cases = load_vectors(name)[key]
            ids = [f"{i}-{case[label]!r}" for i, case in enumerate(cases)]
            metafunc.parametrize(arg, cases, ids=ids)
