"""Unified social credit code (GB 32100-2015 / GB 11714-1997) against shared/vectors."""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.standards import credit_code
from app.standards.credit_code import ALPHABET

# problem code -> the vector files' error tag (a pilot code fails the same position-18 check)
TAGS = {
    "credit_code.empty": "length",
    "credit_code.length": "length",
    "credit_code.charset": "charset",
    "credit_code.check_char": "check_char",
    "credit_code.pilot_check_char": "check_char",
}


def test_vector_case(credit_case):
    code = credit_case["code"]
    found = credit_code.problems(code)

    assert credit_code.normalise(code) == credit_case["normalised"]
    assert credit_code.is_valid(code) is credit_case["valid"]
    assert sorted({TAGS[p.code] for p in found if p.code in TAGS}) == credit_case["errors"]
    assert [p.position for p in found if p.code == "credit_code.charset"] == credit_case["bad_positions"]
    assert credit_code.org_code_ok(code) is bool(credit_case["org_code_valid"])
    assert credit_code.is_pilot_code(code) is (credit_case["problem"] == "pilot_check_char")


def test_vector_expected_check_char(credit_case):
    first17 = credit_case["normalised"][:17]
    if credit_case["expected_check_char"] is None:
        with pytest.raises(ValueError):
            credit_code.check_char(first17)
    else:
        assert credit_code.check_char(first17) == credit_case["expected_check_char"]


def test_wrong_check_character_names_the_expected_one():
    [problem] = credit_code.problems("91110108551385082F")
    assert problem.code == "credit_code.check_char"
    assert problem.severity == "error"
    assert (problem.position, problem.expected) == (18, "Q")
    assert problem.message == "校验码错误：第18位应为“Q”"


def test_short_code_says_how_long_it_is():
    [problem] = credit_code.problems("92420606MAJ37J7N7")
    assert problem.code == "credit_code.length"
    assert problem.message == "统一社会信用代码应为18位，现为17位"


def test_each_illegal_character_is_reported_with_its_position():
    found = credit_code.problems("9242I606MAJ37J7N7-")
    assert [(p.code, p.position) for p in found] == [("credit_code.charset", 5), ("credit_code.charset", 18)]
    assert found[0].message == "第5位“I”不是合法字符（不使用I、O、Z、S、V）"


def test_empty_code_asks_for_one():
    assert [p.code for p in credit_code.problems(" \u3000")] == ["credit_code.empty"]
    assert credit_code.is_valid("") is False


def test_org_code_mismatch_is_a_warning_on_a_valid_code():
    code = "92420684MAJ99EXY9C"
    assert credit_code.is_valid(code)
    [problem] = credit_code.problems(code)
    assert (problem.code, problem.severity) == ("credit_code.org_code", "warning")
    assert credit_code.acceptable(code)


def test_fujian_pilot_code_is_a_warning_the_officer_confirms():
    code = "91350211M00013FA1N"
    assert not credit_code.is_valid(code)
    [problem] = credit_code.problems(code)
    assert (problem.code, problem.severity, problem.expected) == ("credit_code.pilot_check_char", "warning", "3")
    assert credit_code.acceptable(code)


def test_post_standard_fujian_code_with_a_typo_is_still_rejected():
    code = "93350203MAP2AXLA4U"  # MA at 9-10: issued under GB 32100
    assert not credit_code.is_pilot_code(code)
    assert [p.code for p in credit_code.problems(code)] == ["credit_code.check_char"]
    assert not credit_code.acceptable(code)


first17 = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


@settings(max_examples=1000)
@given(first17)
def test_check_char_makes_any_17_characters_valid(prefix):
    assert credit_code.is_valid(prefix + credit_code.check_char(prefix))


@settings(max_examples=1000)
@given(first17, st.integers(0, 17), st.characters(codec="utf-8"))
def test_changing_any_single_character_makes_a_valid_code_invalid(prefix, position, char):
    code = prefix + credit_code.check_char(prefix)
    changed = code[:position] + char + code[position + 1:]
    assume(credit_code.normalise(changed) != code)  # e.g. "q" for "Q" is the same code
    assert not credit_code.is_valid(changed)


@given(first17, st.integers(0, 17), st.sampled_from(ALPHABET))
def test_changing_to_another_alphabet_character_breaks_the_check(prefix, position, char):
    code = prefix + credit_code.check_char(prefix)
    assume(code[position] != char)
    changed = code[:position] + char + code[position + 1:]
    assert [p.code for p in credit_code.problems(changed)
            if p.is_error or p.code == "credit_code.pilot_check_char"] in (
        ["credit_code.check_char"], ["credit_code.pilot_check_char"])


def test_org_check_char_agrees_with_the_vectors(credit_case):
    code = credit_case["normalised"]
    if credit_case["org_code_valid"] is None:
        return
    made = credit_code.org_check_char(code[8:16]) == code[16]
    assert made is credit_case["org_code_valid"]


@pytest.mark.parametrize("bad", ["1234567", "1234567-", "ＡＢＣ１２３４５６"])
def test_org_check_char_refuses_what_is_not_8_alphanumerics(bad):
    with pytest.raises(ValueError):
        credit_code.org_check_char(bad)
