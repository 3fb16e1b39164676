"""BeiDou grid location code (北斗网格位置码), GB/T 39409-2020 clause 5: the 2-D code, levels 1-10.

A code is ``N``/``S``, then level 1 (the GB/T 13989 1:1,000,000 sheet: zone 01-60 counted eastwards
from 180° W, band A-V counted away from the equator), then for each finer level the index of the
sub-cell inside its parent (see ``_LEVELS``). Two rules carry the whole code:

- Indices count *away* from the equator and the prime meridian in every hemisphere, so everything
  is computed on |lon| and |lat|; cells are half-open, [k·size, (k+1)·size), and lon = 0 is east.
- All arithmetic is on integers in units of 1/2048″, the level-10 cell, so float rounding never
  changes a code. A coordinate less than 10⁻⁶ of a unit below a line counts as on it: decimals such
  as 116.3975 lie exactly on a level-10 line while their binary double is a hair below it.

Levels 3 and 6 write one digit in Z order (2 × lat index + lon index); the others write the lon
index then the lat index. The polar caps (|lat| ≥ 88°) use another scheme and are refused.
A code prefix is its containing cell, so ``grid_code LIKE 'prefix%'`` is a spatial index.
"""

import math

from ._input import require_int, require_lon_lat, require_real, require_str

UNITS_PER_DEGREE = 3600 * 2048
MAX_LEVEL = 10
POLAR_LIMIT = 88  # degrees; the caps beyond use another scheme
_TOLERANCE = 1e-6  # of a level-10 cell: the decimal-reading rule above
_ZONE_UNITS = 6 * UNITS_PER_DEGREE
_BAND_UNITS = 4 * UNITS_PER_DEGREE
_HALF_TURN = 180 * UNITS_PER_DEGREE
_POLAR_UNITS = POLAR_LIMIT * UNITS_PER_DEGREE
_BANDS = "ABCDEFGHIJKLMNOPQRSTUV"  # 22 bands of 4° up to 88°
_DIGITS = "0123456789ABCDE"

# Levels 2-10: (lon cell, lat cell) in 1/2048″, and whether the level writes one Z-order digit.
_LEVELS = (
    (1800 * 2048, 1800 * 2048, False),  # 2: 30′ × 30′, 12 × 8 in the level-1 cell
    (900 * 2048, 600 * 2048, True),     # 3: 15′ × 10′, 2 × 3
    (60 * 2048, 60 * 2048, False),      # 4: 1′, 15 × 10
    (4 * 2048, 4 * 2048, False),        # 5: 4″, 15 × 15
    (2 * 2048, 2 * 2048, True),         # 6: 2″, 2 × 2
    (512, 512, False),                  # 7: 1/4″, 8 × 8
    (64, 64, False),                    # 8: 1/32″, 8 × 8
    (8, 8, False),                      # 9: 1/256″, 8 × 8
    (1, 1, False),                      # 10: 1/2048″, 8 × 8
)
_SIZES = ((_ZONE_UNITS, _BAND_UNITS),) + tuple((x, y) for x, y, _ in _LEVELS)
CODE_LENGTHS = (4, 6, 7, 9, 11, 12, 14, 16, 18, 20)  # levels 1-10
_LEVEL_BY_LENGTH = {n: level for level, n in enumerate(CODE_LENGTHS, start=1)}


def cell_size_units(level: int) -> tuple[int, int]:
    """(lon, lat) size of a cell of ``level`` in 1/2048″."""
    return _SIZES[require_int(level, "level", 1, MAX_LEVEL) - 1]


def cell_size_degrees(level: int) -> tuple[float, float]:
    """(lon, lat) size of a cell of ``level`` in degrees."""
    x, y = cell_size_units(level)
    return x / UNITS_PER_DEGREE, y / UNITS_PER_DEGREE


def _units(value: float) -> int:
    """|value| degrees in whole level-10 cells (with the decimal-reading tolerance)."""
    return int(abs(value) * UNITS_PER_DEGREE + _TOLERANCE)


def _code(east: bool, north: bool, u: int, v: int, level: int) -> str:
    """The code of the cell whose anchor corner is (u, v) units from the axes, in that quadrant."""
    zone, u = divmod(u, _ZONE_UNITS)
    band, v = divmod(v, _BAND_UNITS)
    parts = ["N" if north else "S", "%02d" % (31 + zone if east else 30 - zone), _BANDS[band]]
    for lon_size, lat_size, z_order in _LEVELS[: level - 1]:
        i, u = divmod(u, lon_size)
        j, v = divmod(v, lat_size)
        if z_order:
            parts.append(_DIGITS[2 * j + i])
        else:
            parts.append(_DIGITS[i])
            parts.append(_DIGITS[j])
    return "".join(parts)


def encode(lon: float, lat: float, level: int = MAX_LEVEL) -> str:
    """The code of the level-``level`` cell containing the WGS-84/CGCS2000 point (lon, lat)."""
    lon, lat = require_lon_lat(lon, lat)
    level = require_int(level, "level", 1, MAX_LEVEL)
    v = _units(lat)
    if v >= _POLAR_UNITS:
        raise ValueError(f"latitude {lat} is in a polar cap (|lat| >= {POLAR_LIMIT}), not coded here")
    # ±180° is one meridian; keep it in the last cell of its own hemisphere.
    u = min(_units(lon), _HALF_TURN - 1)
    return _code(lon >= 0, lat >= 0, u, v, level)


def _digit(code: str, index: int, limit: int, what: str) -> int:
    value = _DIGITS.find(code[index])
    if not 0 <= value < limit:
        raise ValueError(f"grid code {code!r}: {what} {code[index]!r} at position {index + 1} "
                         f"is outside 0..{_DIGITS[limit - 1]}")
    return value


def _parse(code: str) -> tuple[bool, bool, int, int, int]:
    """(east, north, u, v, level): the quadrant and anchor corner, in units, of a code's cell."""
    require_str(code, "grid code")
    level = _LEVEL_BY_LENGTH.get(len(code))
    if level is None:
        raise ValueError(f"grid code {code!r}: length {len(code)} is not one of {CODE_LENGTHS}")
    if code[0] not in "NS":
        raise ValueError(f"grid code {code!r}: hemisphere must be N or S, not {code[0]!r}")
    if not (code[1:3].isdigit() and code[1:3].isascii() and 1 <= int(code[1:3]) <= 60):
        raise ValueError(f"grid code {code!r}: zone {code[1:3]!r} is not 01..60")
    band = _BANDS.find(code[3])
    if band < 0:
        raise ValueError(f"grid code {code!r}: latitude band {code[3]!r} is not A..V")
    zone = int(code[1:3])
    east = zone >= 31
    u = (zone - 31 if east else 30 - zone) * _ZONE_UNITS
    v = band * _BAND_UNITS
    pos = 4
    for n, (lon_size, lat_size, z_order) in enumerate(_LEVELS[: level - 1], start=2):
        parent_lon, parent_lat = _SIZES[n - 2]
        lon_count, lat_count = parent_lon // lon_size, parent_lat // lat_size
        if z_order:
            d = _digit(code, pos, lon_count * lat_count, f"level-{n} digit")
            i, j = d % 2, d // 2
            pos += 1
        else:
            i = _digit(code, pos, lon_count, f"level-{n} longitude digit")
            j = _digit(code, pos + 1, lat_count, f"level-{n} latitude digit")
            pos += 2
        u += i * lon_size
        v += j * lat_size
    return east, code[0] == "N", u, v, level


def level_of(code: str) -> int:
    """The level (1-10) of a valid code."""
    return _parse(code)[4]


def decode(code: str) -> tuple[float, float, float, float]:
    """The cell of a code as (west, south, east, north) in degrees."""
    east, north, u, v, level = _parse(code)
    width, height = _SIZES[level - 1]
    lon0, lon1 = (u, u + width) if east else (-u - width, -u)
    lat0, lat1 = (v, v + height) if north else (-v - height, -v)
    k = UNITS_PER_DEGREE
    return lon0 / k, lat0 / k, lon1 / k, lat1 / k


def parent(code: str) -> str:
    """The code of the containing cell one level up (a prefix of ``code``)."""
    level = level_of(code)
    if level == 1:
        raise ValueError(f"grid code {code!r} is level 1 and has no parent")
    return code[: CODE_LENGTHS[level - 2]]


def _signed_index(east: bool, u: int, size: int) -> int:
    """Cell index counted eastwards (northwards) from the axis: 0, 1, … east, -1, -2, … west."""
    return u // size if east else -(u // size) - 1


def _code_at(i: int, j: int, level: int) -> str:
    width, height = _SIZES[level - 1]
    east, north = i >= 0, j >= 0
    u = i * width if east else (-i - 1) * width
    v = j * height if north else (-j - 1) * height
    return _code(east, north, u, v, level)


def neighbours(code: str) -> list[str]:
    """Sorted codes of the same-level cells sharing an edge or corner with ``code``.

    Crosses cell, equator and prime-meridian borders and wraps at 180°; cells at or beyond 88° are
    left out, so a cell next to the polar cap has 5.
    """
    east, north, u, v, level = _parse(code)
    width, height = _SIZES[level - 1]
    i, j = _signed_index(east, u, width), _signed_index(north, v, height)
    columns = 2 * _HALF_TURN // width
    rows = _POLAR_UNITS // height
    found = set()
    for dj in (-1, 0, 1):
        jj = j + dj
        if not -rows <= jj < rows:
            continue
        for di in (-1, 0, 1):
            if di or dj:
                ii = (i + di + columns // 2) % columns - columns // 2
                found.add(_code_at(ii, jj, level))
    return sorted(found)


_METRES_PER_DEGREE_LAT = 110_000  # a little under the true 110,574-111,694: errs on the safe side
_METRES_PER_DEGREE_LON = 111_000  # × cos(lat), under the true 111,320 at the equator


def covering_prefixes(lon: float, lat: float, radius_m: float) -> list[str]:
    """Sorted code prefixes whose cells cover every point within ``radius_m`` metres of (lon, lat).

    The level is the finest whose cells are at least ``radius_m`` wide and high, so the circle lies
    in the point's cell and its neighbours (at most 9 prefixes). For "buildings within 100 m":
    ``grid_code LIKE prefix || '%'`` for each prefix, then an exact distance check on the rows.
    """
    lon, lat = require_lon_lat(lon, lat)
    radius_m = require_real(radius_m, "radius_m")
    if radius_m < 0:
        raise ValueError(f"radius_m {radius_m} is negative")
    dlat = radius_m / _METRES_PER_DEGREE_LAT
    farthest = min(abs(lat) + dlat, POLAR_LIMIT)
    dlon = radius_m / (_METRES_PER_DEGREE_LON * math.cos(math.radians(farthest)))
    for level in range(MAX_LEVEL, 0, -1):
        width, height = cell_size_degrees(level)
        if width >= dlon and height >= dlat:
            code = encode(lon, lat, level)
            return sorted([code, *neighbours(code)])
    raise ValueError(f"radius_m {radius_m} is larger than a level-1 cell here")
