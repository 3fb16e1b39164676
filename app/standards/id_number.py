"""Citizen identity number (公民身份号码), GB 11643-1999.

18 characters: address code (1-6), birth date YYYYMMDD (7-14), sequence number (15-17, odd at 17 for
men), check character (18).

- Check: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 over positions 1-17;
  check = (12 - Σ digit × weight mod 11) mod 11, written X for 10.
- The birth date must be a real date from 1800-01-01 up to the day of checking (the lower bound is
  the test vectors' rule, so that the standard's own 1880 example is valid).

Input is normalised first (NFKC, trimmed, upper-cased, so a lower-case x is fine). The address code
is not checked against GB/T 2260; old 15-digit numbers fail on length. ``is_valid`` and
``problems`` take any string (an empty one is a problem); a value that is not a string raises
ValueError. An ID number is personal data: show it through ``masked`` unless the role needs it.
"""

import datetime

from .problem import Problem, shape_problems
from ._input import normalise_code

LENGTH = 18
EARLIEST_BIRTH = datetime.date(1800, 1, 1)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_DIGITS = frozenset("0123456789")


def normalise(s: str) -> str:
    """The number as it is checked: NFKC, trimmed, upper-cased."""
    return normalise_code(s, "ID number")


def _check_char(first17: str) -> str:
    value = (12 - sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11) % 11
    return "X" if value == 10 else str(value)


def check_char(first17: str) -> str:
    """The check character (0-9 or X) for 17 digits."""
    first17 = normalise(first17)
    if len(first17) != LENGTH - 1 or not _DIGITS.issuperset(first17):
        raise ValueError(f"check_char needs 17 digits, got {first17!r}")
    return _check_char(first17)


def _birth_date(number: str) -> datetime.date | None:
    digits = number[6:14]
    if len(number) != LENGTH or not _DIGITS.issuperset(digits):
        return None
    try:
        return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def birth_date(s: str) -> datetime.date | None:
    """The date in positions 7-14 of an 18-character number, or None when it is not a real date."""
    return _birth_date(normalise(s))


def _today(today) -> datetime.date:
    if today is None:
        return datetime.date.today()
    if not isinstance(today, datetime.date):
        raise ValueError(f"today must be a datetime.date, got {type(today).__name__}")
    return today


def _char_ok(position: int, char: str) -> bool:
    return char in _DIGITS or (position == LENGTH and char == "X")


def _bad_char_message(position: int, char: str) -> str:
    shown = "空格" if char.isspace() else f"“{char}”"
    if position == LENGTH:
        return f"第18位{shown}应为数字或X"
    return f"第{position}位{shown}应为数字"


def problems(s: str, today: datetime.date | None = None) -> list[Problem]:
    """Everything wrong with an ID number (birth date and check only judged on 18 good characters)."""
    number = normalise(s)
    today = _today(today)
    found = shape_problems(number, "id_number", "公民身份号码", LENGTH, _char_ok, _bad_char_message,
                           length_hints={15: "（15位旧号码请换成18位新号码）"})
    if found:
        return found
    born = _birth_date(number)
    if born is None:
        found.append(Problem("id_number.birth_date", f"第7-14位“{number[6:14]}”不是有效的出生日期",
                             position=7))
    elif not EARLIEST_BIRTH <= born <= today:
        when = "晚于今天" if born > today else "早于1800年"
        found.append(Problem("id_number.birth_date", f"出生日期{born.isoformat()}{when}", position=7))
    expected = _check_char(number[:17])
    if number[17] != expected:
        found.append(Problem("id_number.check_char", f"校验码错误：第18位应为“{expected}”",
                             position=18, expected=expected))
    return found


def is_valid(s: str, today: datetime.date | None = None) -> bool:
    return not problems(s, today)


def sex(s: str, today: datetime.date | None = None) -> str | None:
    """The sex from position 17 of a valid number ("male" or "female"), else None."""
    if not is_valid(s, today):
        return None
    return "male" if int(normalise(s)[16]) % 2 else "female"


def masked(s: str) -> str:
    """The number for display: first 4 and last 4 characters, a star for each one between.

    ``4206**********1234`` as in the data-protection rule of shared/DOMAIN.md: the length stays 18
    (so a masked number still looks like one) and both the county (positions 5-6) and the birth date
    are hidden. Any string is masked the same way, so a malformed stored number still displays;
    one of 8 characters or fewer becomes all stars.
    """
    number = normalise(s)
    if not number:
        raise ValueError("ID number is empty")
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
