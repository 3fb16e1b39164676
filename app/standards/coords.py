"""WGS-84 ⇄ GCJ-02 ⇄ BD-09 coordinate conversion.

GCJ-02 (国测局坐标, used by Chinese map tiles) has no public standard; this is the widely published
algorithm: an offset computed around (105° E, 35° N) on the Krasovsky ellipsoid (a = 6378245.0,
ee = 0.00669342162296594323). BD-09 (Baidu) adds a rotation and a shift on top of GCJ-02.

- Only points inside the rough box 72.004 ≤ lon ≤ 137.8347, 0.8293 ≤ lat ≤ 55.8271 (``in_china``)
  are shifted; every conversion returns other points unchanged. The box is not China's border
  (Seoul is inside it). Each conversion tests the box on its own input.
- GCJ-02 → WGS-84 has no closed form: it is found by fixed-point iteration to under 1e-10°
  (about 10 µm). BD-09 → GCJ-02 is the usual closed-form approximate inverse (within ~3e-6°).

Store WGS-84; convert at the edges. Every function takes and returns (lon, lat) in degrees.
"""

import math

from ._input import require_lon_lat, require_str

_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0
_BOX = (72.004, 0.8293, 137.8347, 55.8271)  # west, south, east, north
_INVERSE_TOLERANCE = 1e-10  # degrees
_INVERSE_MAX_STEPS = 30

CRS = ("wgs84", "gcj02", "bd09")


def _in_box(lon: float, lat: float) -> bool:
    west, south, east, north = _BOX
    return west <= lon <= east and south <= lat <= north


def in_china(lon: float, lat: float) -> bool:
    """Whether the point is inside the rough box where GCJ-02 shifts points (not China's border)."""
    return _in_box(*require_lon_lat(lon, lat))


def _gcj_offset(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 minus WGS-84 at a WGS-84 point, in degrees."""
    x, y = lon - 105.0, lat - 35.0
    sx = math.sqrt(abs(x))
    wave = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + wave
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + wave
    dlon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    lon, lat = require_lon_lat(lon, lat)
    if not _in_box(lon, lat):
        return lon, lat
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """The WGS-84 point whose GCJ-02 image is (lon, lat), by iteration (error under 1e-10°)."""
    lon, lat = require_lon_lat(lon, lat)
    if not _in_box(lon, lat):
        return lon, lat
    wlon, wlat = lon, lat
    for _ in range(_INVERSE_MAX_STEPS):
        dlon, dlat = _gcj_offset(wlon, wlat)
        err_lon, err_lat = wlon + dlon - lon, wlat + dlat - lat
        wlon, wlat = wlon - err_lon, wlat - err_lat
        if abs(err_lon) < _INVERSE_TOLERANCE and abs(err_lat) < _INVERSE_TOLERANCE:
            break
    return wlon, wlat


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    lon, lat = require_lon_lat(lon, lat)
    if not _in_box(lon, lat):
        return lon, lat
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Closed-form approximate inverse of ``gcj02_to_bd09`` (within about 3e-6°)."""
    lon, lat = require_lon_lat(lon, lat)
    if not _in_box(lon, lat):
        return lon, lat
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def _identity(lon: float, lat: float) -> tuple[float, float]:
    return require_lon_lat(lon, lat)


_TO_WGS84 = {"wgs84": _identity, "gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS84 = {"wgs84": _identity, "gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def _crs(crs: str) -> str:
    name = require_str(crs, "crs").strip().lower()
    if name not in CRS:
        raise ValueError(f"crs {crs!r} is not one of {', '.join(CRS)}")
    return name


def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """A point given in ``crs`` ("wgs84", "gcj02" or "bd09", any case) as WGS-84."""
    return _TO_WGS84[_crs(crs)](lon, lat)


def from_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """A WGS-84 point in ``crs`` ("wgs84", "gcj02" or "bd09", any case)."""
    return _FROM_WGS84[_crs(crs)](lon, lat)
