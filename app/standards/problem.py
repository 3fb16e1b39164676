"""The problem record every validator in app.standards returns.

A problem has a stable ``code`` ("credit_code.check_char"), a Chinese ``message`` that says what
to fix, the 1-based ``position`` of the offending character where there is one, the ``expected``
value where the checker knows it, and a ``severity``: "error" makes the value invalid, "warning"
is shown to the user and carried with the submission but does not reject it.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    position: int | None = None
    expected: str | None = None
    severity: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def has_errors(problems: list[Problem]) -> bool:
    return any(p.is_error for p in problems)


def shape_problems(code: str, field: str, label: str, length: int,
                   char_ok: Callable[[int, str], bool], char_message: Callable[[int, str], str],
                   length_hints: Mapping[int, str] | None = None) -> list[Problem]:
    """The first checks of a fixed-length code: "<field>.empty", "<field>.length" (with an extra
    hint for some wrong lengths) and one "<field>.charset" per illegal character, by 1-based
    position. ``char_ok(position, char)`` says whether a character may stand there."""
    if not code:
        return [Problem(f"{field}.empty", f"请填写{label}")]
    found = []
    if len(code) != length:
        hint = (length_hints or {}).get(len(code), "")
        found.append(Problem(f"{field}.length", f"{label}应为{length}位，现为{len(code)}位{hint}"))
    found += [
        Problem(f"{field}.charset", char_message(i, c), position=i)
        for i, c in enumerate(code, start=1)
        if not char_ok(i, c)
    ]
    return found
