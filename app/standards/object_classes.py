"""Object classification table for the 21-digit unified city-object code (positions 7-12).

Yibiao's own table, as data: the pilot's classification is not published, so these codes are this
project's. The 6 digits are a 2-digit category, a 2-digit class and a 2-digit subclass (00 = the
class itself). Add rows; never change or reuse a code once objects carry it.
"""

from typing import NamedTuple


class ObjectClass(NamedTuple):
    code: str   # 6 digits
    name: str   # English code name, as in shared/DOMAIN.md
    label: str  # Chinese name shown to users


_ROWS = (
    # 01 standard addresses (一标)
    ("010100", "door_plate", "门牌"),
    ("010200", "building", "楼栋"),
    ("010300", "unit", "单元"),
    ("010400", "room", "户室"),
    # 02 actual organisations (实有单位)
    ("020100", "organisation", "单位"),
    # 03 public facilities (城市部件)
    ("030100", "manhole_cover", "井盖"),
    ("030200", "street_lamp", "路灯"),
)

CLASSES: dict[str, ObjectClass] = {name: ObjectClass(code, name, label) for code, name, label in _ROWS}
BY_CODE: dict[str, ObjectClass] = {c.code: c for c in CLASSES.values()}
