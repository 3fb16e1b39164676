"""Unified social credit code (统一社会信用代码), GB 32100-2015, with the GB 11714-1997 organisation code.

18 characters from the 31-character alphabet ``0-9 A-H J-N P-R T-U W-Y`` (no I, O, Z, S, V); a
character's value is its index in the alphabet.

- Position 18 (GB 32100): check = alphabet[(31 - Σ value × weight mod 31) mod 31] over positions
  1-17 with weights 3^(i-1) mod 31. This check decides validity.
- Positions 9-17 are the organisation code (GB 11714): digits 0-9, letters A=10 … Z=35 in Latin order,
  weights 3 7 9 10 5 8 4 2 over positions 9-16, check = 11 - Σ mod 11 (10 is X, 11 is 0). Some real
  codes fail it, so it is only a warning ("credit_code.org_code"), never a rejection.

Input is normalised first (NFKC, trimmed, upper-cased); white space inside the code stays and is an
illegal character. ``is_valid`` and ``problems`` take any string (an empty one is a problem);
a value that is not a string raises ValueError.

Fujian pilot codes. Before GB 32100, a pilot in Fuzhou and Xiamen (divisions 3501xx/3502xx) issued
codes with ``M`` in position 9 whose position-18 character does not follow the standard while their
organisation code does. Those businesses still exist, so the product does not lock them out:
``is_valid`` is False, but ``problems`` reports "credit_code.pilot_check_char" as a *warning*; the
field app shows it, the officer confirms the code against the business licence, and the submission
carries the flag so that the reviewer checks it again. Codes issued under the standard by market
regulation carry ``MA`` in positions 9-10, so those are never taken for pilot codes.
"""

from .problem import ERROR, WARNING, Problem, has_errors, shape_problems
from ._input import normalise_code

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
LENGTH = 18
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_PILOT_DIVISIONS = ("3501", "3502")
_NEVER_USED = "IOZSV"


def normalise(code: str) -> str:
    """The code as it is checked: NFKC, trimmed, upper-cased."""
    return normalise_code(code, "credit code")


def _check_char(first17: str) -> str:
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def check_char(first17: str) -> str:
    """The position-18 check character for 17 alphabet characters (normalised first)."""
    first17 = normalise(first17)
    if len(first17) != LENGTH - 1:
        raise ValueError(f"check_char needs 17 characters, got {len(first17)}")
    bad = [c for c in first17 if c not in _VALUE]
    if bad:
        raise ValueError(f"illegal character {bad[0]!r} in credit code (alphabet {ALPHABET})")
    return _check_char(first17)


def _org_check_char(first8: str) -> str:
    # int(c, 36) gives 0-9 for digits and A=10 … Z=35: the Latin-order values GB 11714 uses.
    total = sum(int(c, 36) * w for c, w in zip(first8, _ORG_WEIGHTS))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def org_check_char(first8: str) -> str:
    """The GB 11714 check character (position 9 of the organisation code) for its first 8 characters."""
    first8 = normalise(first8)
    if len(first8) != 8 or not first8.isalnum() or not first8.isascii():
        raise ValueError(f"org_check_char needs 8 digits or letters, got {first8!r}")
    return _org_check_char(first8)


def _org_code_ok(code: str) -> bool:
    return code[16] == _org_check_char(code[8:16])


def _well_formed(code: str) -> bool:
    return len(code) == LENGTH and all(c in _VALUE for c in code)


def is_valid(code: str) -> bool:
    """Length 18, every character in the alphabet, and the right position-18 check character."""
    code = normalise(code)
    return _well_formed(code) and code[17] == _check_char(code[:17])


def org_code_ok(code: str) -> bool:
    """GB 11714 check of positions 9-17; False when the code is not 18 alphabet characters."""
    code = normalise(code)
    return _well_formed(code) and _org_code_ok(code)


def _looks_like_pilot(code: str) -> bool:
    return code[2:6] in _PILOT_DIVISIONS and code[8] == "M" and code[9] != "A" and _org_code_ok(code)


def is_pilot_code(code: str) -> bool:
    """A Fujian pilot code: 3501xx/3502xx, M (not MA) at 9, org code right, position 18 wrong."""
    code = normalise(code)
    return _well_formed(code) and code[17] != _check_char(code[:17]) and _looks_like_pilot(code)


def _charset_message(position: int, char: str) -> str:
    if char in _NEVER_USED:
        return f"第{position}位“{char}”不是合法字符（不使用I、O、Z、S、V）"
    if char.isspace():
        return f"第{position}位是空格，代码中间不能有空格"
    return f"第{position}位“{char}”不是合法字符（只能是数字或大写字母）"


def problems(code: str) -> list[Problem]:
    """Everything wrong with a code, errors first in position order, then warnings."""
    code = normalise(code)
    found = shape_problems(code, "credit_code", "统一社会信用代码", LENGTH,
                           lambda _, c: c in _VALUE, _charset_message)
    if found:
        return found
    expected = _check_char(code[:17])
    if code[17] != expected:
        if _looks_like_pilot(code):
            found.append(Problem(
                "credit_code.pilot_check_char",
                f"第18位校验码不符合GB 32100（应为“{expected}”），可能是福建试点期间发放的代码，"
                "请与营业执照核对后确认",
                position=18, expected=expected, severity=WARNING,
            ))
        else:
            found.append(Problem(
                "credit_code.check_char", f"校验码错误：第18位应为“{expected}”",
                position=18, expected=expected, severity=ERROR,
            ))
    if not _org_code_ok(code):
        found.append(Problem(
            "credit_code.org_code",
            "第9-17位组织机构代码的校验位不符合GB 11714，请与营业执照核对",
            position=17, severity=WARNING,
        ))
    return found


def acceptable(code: str) -> bool:
    """True when the code has no error-level problem (valid, or a pilot code to be confirmed)."""
    return not has_errors(problems(code))


# (registration authority, category) -> kind of organisation, from GB 32100 appendix A.
_KINDS = {("1", "1"): "government", ("1", "2"): "institution", ("9", "1"): "enterprise",
          ("9", "2"): "individual", ("9", "3"): "cooperative"}


def organisation_kind(code: str) -> str:
    """What kind of organisation a code was issued to, from its first two characters:
    government, institution, enterprise, individual, cooperative or social (anything else)."""
    code = normalise(code)
    return _KINDS.get((code[:1], code[1:2]), "enterprise" if code[:1] == "9" else "social")
