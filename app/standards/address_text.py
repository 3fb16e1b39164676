"""Chinese address text typed or spoken in the field, parsed into the standard address chain.

A standard address reads 人民路12号1栋2单元301室: road, door-plate number (号), building (栋),
unit (单元), room (室), with the floor read from the room number (301 → 3, 1502 → 15).
``parse`` accepts the ways people write that and ``normalise`` writes it back in the standard form:

- Width and numerals: NFKC (full-width → half-width), then Chinese numerals → Arabic with ``cn2an``
  (一百零八 → 108; a reading digit by digit, 三零一, gives 301). Numerals inside the road name
  (五一路, 二环路) are left alone: only the numbered parts are converted.
- Words: 幢/号楼/座/# → 栋, 单元/门 → 单元, 室/号/户 after the number → 室, 楼/层/F → floor
  (负一楼, 地下一层, B1层 → -1), 之/附 in a door number → a sub-number (12之1号 → 12-1).
  The shorthand 1-2-301 is building-unit-room; 1-301 is building-room.
- Prefixes: a province, city, district/county and township at the start (湖北省襄阳市樊城区中原街道)
  are dropped: first any of ``known_prefixes`` (the known area names), then anything shaped like
  one. An explicit floor (3楼) wins over the floor read from the room number.

Text that does not fit raises ValueError with a Chinese message naming the part not understood.
"""

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import cn2an

from ._input import require_str

KEYS = ("road", "number", "building", "unit", "floor", "room")

_CN_DIGITS = "零〇一二两三四五六七八九幺十百千万"
_CN_UNITS = frozenset("十百千万")
_NUM = rf"(?:[0-9]+|[{_CN_DIGITS}]+)"
_VAL = rf"(?:[A-Z]*[0-9]+[A-Z]*|[A-Z]+|[{_CN_DIGITS}]+)"

_ADDRESS = re.compile(rf"""
    (?P<road>[A-Z\u3400-\u4dbf\u4e00-\u9fff]*?)
    (?:(?P<number>{_NUM}(?:[-之附]{_NUM})?)号(?!楼)(?:附(?P<sub>{_NUM})号)?)?
    (?:第?(?P<building>{_VAL})(?:号楼|栋|幢|座|\#楼?|-(?=.)))?
    (?:第?(?P<unit>{_VAL})(?:单元|门|-(?=.)))?
    (?:(?P<floor>第?(?:负|地下|-|B)?{_VAL})(?:楼|层|F))?
    (?:(?P<room>{_VAL})(?:室|号|户)?)?
""", re.VERBOSE)

# A place name (no road word, digit or letter) ending in an administrative suffix; in this order.
_NAME = r"(?:(?!路|街|巷|号|栋|幢|室)[^0-9A-Z\-#])"
_ADMIN_PREFIXES = tuple(re.compile(p) for p in (
    rf"{_NAME}{{2,8}}?(?:省|自治区|特别行政区)",
    rf"{_NAME}{{2,9}}?(?:市|自治州|地区|盟)",
    rf"{_NAME}{{1,9}}?(?:区|县|市|旗)",
    rf"{_NAME}{{2,9}}?(?:街道办事处|街道办|街道|镇|乡)",
))
# What may not follow a stripped prefix: a road word (so 园区路 keeps its name) or 市场 (market).
_NOT_AFTER_PREFIX = tuple("路街巷道号场")

_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−~"})
_DROPPED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|[,、。.;:'\"“”‘’·]")
_DIGIT_GAP = re.compile(r"(?<=[0-9])\s+(?=[0-9])")  # 1 2 301 is 1-2-301
_SPACES = re.compile(r"\s+")


def _clean(text: str) -> str:
    """NFKC, upper-case, one kind of dash, remarks in brackets and punctuation and spaces gone."""
    text = unicodedata.normalize("NFKC", text).upper().translate(_DASHES)
    text = _DROPPED.sub("", text)
    return _SPACES.sub("", _DIGIT_GAP.sub("-", text.strip()))


def _strip_prefixes(text: str, known: tuple[str, ...]) -> str:
    stripped = True
    while stripped:
        stripped = False
        for prefix in known:
            if text.startswith(prefix) and len(text) > len(prefix):
                text, stripped = text[len(prefix):], True
                break
    for pattern in _ADMIN_PREFIXES:
        match = pattern.match(text)
        if match and match.end() < len(text) and not text.startswith(_NOT_AFTER_PREFIX, match.end()):
            text = text[match.end():]
    return text


@lru_cache(maxsize=4096)
def _arabic(value: str) -> str:
    """Chinese numerals as Arabic digits (by cn2an); other values unchanged."""
    if value[0] not in _CN_DIGITS:
        return value
    try:
        if _CN_UNITS.isdisjoint(value):
            # A digit-by-digit reading keeps its leading zeros: 零三零一 is room 0301.
            return "".join(str(cn2an.cn2an(c, "normal")) for c in value)
        return str(cn2an.cn2an(value, "normal"))
    except Exception:  # cn2an raises assorted errors on malformed numerals
        raise ValueError(f"无法识别的数字“{value}”") from None


def _plain(value: str | None) -> str | None:
    """A number part in Arabic digits without leading zeros (01栋 is 1栋)."""
    if value is None:
        return None
    value = _arabic(value)
    return str(int(value)) if value.isdigit() else value


def floor_of_room(room: str | None) -> int | None:
    """The floor a room number gives: the digits before the last two of a number of 3 or more
    digits (301 → 3, 1502 → 15, 0301 → 3); None when it gives none (12, B101, None)."""
    if room is None:
        return None
    room = unicodedata.normalize("NFKC", require_str(room, "room number")).strip()
    if room.isascii() and room.isdigit() and len(room) >= 3 and int(room[:-2]) > 0:
        return int(room[:-2])
    return None


def _floor(text: str) -> int:
    text = text.removeprefix("第")
    for sign in ("负", "地下", "-", "B"):
        if text.startswith(sign):
            return -_floor(text[len(sign):])
    value = _arabic(text)
    if not value.isdigit():
        raise ValueError(f"无法识别的楼层“{text}”")
    return int(value)


def _known(known_prefixes: Iterable[str] | None) -> tuple[str, ...]:
    if known_prefixes is None:
        return ()
    if isinstance(known_prefixes, str):
        raise ValueError("known_prefixes must be a list of area names, not one string")
    return _cleaned_prefixes(tuple(known_prefixes))


@lru_cache(maxsize=64)
def _cleaned_prefixes(known: tuple) -> tuple[str, ...]:
    # Cached: a register of 18,000 addresses is parsed against the same few hundred area names.
    cleaned = {_clean(require_str(p, "known prefix")) for p in known}
    return tuple(sorted(filter(None, cleaned), key=len, reverse=True))


def parse(text: str, known_prefixes: Iterable[str] | None = None) -> dict:
    """{road, number, building, unit, floor, room}: strings, floor an int, None where absent."""
    text = _clean(require_str(text, "address text"))
    if not text:
        raise ValueError("地址为空")
    body = _strip_prefixes(text, _known(known_prefixes))
    match = _ADDRESS.fullmatch(body)
    if match is None:
        raise ValueError(f"无法识别的地址“{body}”")
    parts = match.groupdict()
    number = parts["number"]
    if number is not None:
        pieces = re.split(r"[-之附]", number) + ([parts["sub"]] if parts["sub"] else [])
        number = "-".join(_plain(p) for p in pieces)
    room = _arabic(parts["room"]) if parts["room"] else None
    floor = _floor(parts["floor"]) if parts["floor"] else floor_of_room(room)
    return {
        "road": parts["road"] or None,
        "number": number,
        "building": _plain(parts["building"]),
        "unit": _plain(parts["unit"]),
        "floor": floor,
        "room": room,
    }


def format_address(parts: dict) -> str:
    """The standard text of parsed parts: 人民路12号1栋2单元301室 (the floor only when the room
    number does not say it)."""
    road, number, building, unit, floor, room = (parts.get(k) for k in KEYS)
    out = [road or ""]
    if number:
        out.append(f"{number}号")
    if building:
        out.append(f"{building}栋")
    if unit:
        out.append(f"{unit}单元")
    if floor is not None and floor != floor_of_room(room):
        out.append(f"负{-floor}楼" if floor < 0 else f"{floor}楼")
    if room:
        out.append(f"{room}室")
    return "".join(out)


def normalise(text: str, known_prefixes: Iterable[str] | None = None) -> str:
    """The standard form of an address text (see ``parse`` for what is understood)."""
    return format_address(parse(text, known_prefixes))
