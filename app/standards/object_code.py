"""21-digit unified city-object code (城市管理对象统一编码), as used in the pilot.

- Positions 1-6: the GB/T 2260 code of the county-level division where the object lies (a real
  province prefix, and positions 5-6 not ``00``, which would be a province or a city).
- Positions 7-12: the object classification, from the table in ``object_classes``.
- Positions 13-21: a serial from 000000001, unique within the division and class; assigned once and
  never reused.

Input is normalised (NFKC, trimmed). ``problems`` and ``is_valid`` take any string; ``compose`` and
``parse`` raise ValueError naming what is wrong. A value that is not a string raises ValueError.
"""

from collections.abc import Callable, Mapping
from typing import NamedTuple

from .object_classes import BY_CODE, CLASSES, ObjectClass
from .problem import Problem, shape_problems
from ._input import normalise_code, require_int, require_str

LENGTH = 21
MAX_SERIAL = 999_999_999
# GB/T 2260 province-level prefixes.
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 "
    "61 62 63 64 65 71 81 82".split()
)
_DIGITS = frozenset("0123456789")


class ObjectCode(NamedTuple):
    division: str
    classification: str
    serial: int
    division_name: str | None
    class_name: str  # English code name of the classification, e.g. "building"

    @property
    def object_class(self) -> ObjectClass:
        return BY_CODE[self.classification]

    @property
    def class_label(self) -> str:
        """Chinese name of the classification, e.g. 楼栋."""
        return BY_CODE[self.classification].label


def normalise(code: str) -> str:
    return normalise_code(code, "object code")


def class_code(name: str) -> str:
    """The 6-digit classification code of an English class name ("building" → "010200")."""
    require_str(name, "class name")
    if name not in CLASSES:
        raise ValueError(f"unknown object class {name!r}; known: {', '.join(CLASSES)}")
    return CLASSES[name].code


def _division_ok(division: str) -> bool:
    return division[:2] in _PROVINCES and division[4:] != "00"


def _part_problems(division: str, classification: str, serial: str) -> list[Problem]:
    found = []
    if not _division_ok(division):
        found.append(Problem("object_code.division",
                             f"第1-6位“{division}”不是县级行政区划代码", position=1))
    if classification not in BY_CODE:
        found.append(Problem("object_code.classification",
                             f"第7-12位“{classification}”不是已知的对象分类代码", position=7))
    if int(serial) == 0:
        found.append(Problem("object_code.serial", "第13-21位流水号不能全为0", position=13))
    return found


def problems(code: str) -> list[Problem]:
    """Everything wrong with a code: length, non-digits, division, classification, serial."""
    code = normalise(code)
    found = shape_problems(code, "object_code", "城市管理对象统一编码", LENGTH,
                           lambda _, c: c in _DIGITS, lambda i, c: f"第{i}位“{c}”应为数字")
    if found:
        return found
    return _part_problems(code[:6], code[6:12], code[12:])


def is_valid(code: str) -> bool:
    return not problems(code)


def compose(division: str, classification: str, serial: int) -> str:
    """The 21-digit code; ``classification`` is a 6-digit code or an English class name."""
    require_str(division, "division")
    require_str(classification, "classification")
    serial = require_int(serial, "serial", 1, MAX_SERIAL)
    if classification in CLASSES:
        classification = CLASSES[classification].code
    if len(division) != 6 or not _DIGITS.issuperset(division):
        raise ValueError(f"division {division!r} must be 6 digits")
    if len(classification) != 6 or not _DIGITS.issuperset(classification):
        raise ValueError(f"classification {classification!r} must be 6 digits or a class name")
    found = _part_problems(division, classification, "%09d" % serial)
    if found:
        raise ValueError("; ".join(p.message for p in found))
    return f"{division}{classification}{serial:09d}"


def parse(code: str,
          lookup: Mapping[str, str] | Callable[[str], str | None] | None = None) -> ObjectCode:
    """The parts of a valid code; ``lookup`` (a mapping or a function) names the division."""
    found = problems(code)
    if found:
        raise ValueError(f"object code {code!r}: " + "; ".join(p.message for p in found))
    code = normalise(code)
    division, classification = code[:6], code[6:12]
    if lookup is None:
        name = None
    elif callable(lookup):
        name = lookup(division)
    elif isinstance(lookup, Mapping):
        name = lookup.get(division)
    else:
        raise ValueError(f"lookup must be a mapping or a function, got {type(lookup).__name__}")
    return ObjectCode(division, classification, int(code[12:]), name, BY_CODE[classification].name)
