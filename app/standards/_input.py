"""Input checks shared by the standards modules: bad input raises ValueError naming what is wrong."""

import math
import numbers
import unicodedata


def require_str(value, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, got {type(value).__name__}")
    return value


def normalise_code(value, what: str) -> str:
    """NFKC (full-width to ASCII, U+3000 to space), trim white space at both ends, upper-case."""
    return unicodedata.normalize("NFKC", require_str(value, what)).strip().upper()


def require_real(value, what: str) -> float:
    """A finite float from an int or float (bool, str, None and NaN/inf are refused)."""
    if type(value) is not float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"{what} must be a number, got {type(value).__name__}")
        try:
            value = float(value)
        except OverflowError:
            raise ValueError(f"{what} {value} is too large") from None
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value}")
    return value


def require_lon_lat(lon, lat) -> tuple[float, float]:
    lon = require_real(lon, "longitude")
    lat = require_real(lat, "latitude")
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat} is outside -90..90")
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon} is outside -180..180")
    return lon, lat


def require_int(value, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be an integer, got {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{what} {value} is outside {low}..{high}")
    return value
