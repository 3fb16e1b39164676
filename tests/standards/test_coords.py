"""WGS-84 / GCJ-02 / BD-09 conversion against shared/vectors, plus the round-trip property."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.standards import coords


def close(point):
    return pytest.approx(tuple(point), rel=0, abs=1e-9)  # the vectors' rule


def test_vector_case(coords_case):
    wgs84, gcj02, bd09 = coords_case["wgs84"], coords_case["gcj02"], coords_case["bd09"]

    assert coords.in_china(*wgs84) is coords_case["in_china_box"]
    assert coords.wgs84_to_gcj02(*wgs84) == close(gcj02)
    assert coords.gcj02_to_bd09(*gcj02) == close(bd09)
    assert coords.gcj02_to_wgs84(*gcj02) == close(coords_case["wgs84_from_gcj02"])
    assert coords.bd09_to_gcj02(*bd09) == close(coords_case["gcj02_from_bd09"])
    assert coords.wgs84_to_bd09(*wgs84) == close(bd09)


def test_vector_case_through_the_crs_parameter(coords_case):
    wgs84 = tuple(coords_case["wgs84"])
    assert coords.to_wgs84(*wgs84, "wgs84") == wgs84
    assert coords.to_wgs84(*coords_case["gcj02"], "gcj02") == close(wgs84)
    assert coords.from_wgs84(*wgs84, "GCJ02") == close(coords_case["gcj02"])
    assert coords.from_wgs84(*wgs84, "bd09") == close(coords_case["bd09"])
    # BD-09 back to WGS-84 goes through the approximate closed-form inverse (~3e-6°)
    assert coords.to_wgs84(*coords_case["bd09"], "bd09") == pytest.approx(wgs84, rel=0, abs=5e-6)


def test_unknown_crs_is_refused():
    with pytest.raises(ValueError, match="crs 'epsg:3857' is not one of wgs84, gcj02, bd09"):
        coords.to_wgs84(112.1, 32.0, "epsg:3857")


def metres(a, b):
    """Distance between two nearby (lon, lat) points, in metres."""
    dlat = (a[1] - b[1]) * 111_320
    dlon = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
    return math.hypot(dlon, dlat)


# inside the box by more than the largest GCJ-02 shift (well under 0.05°)
inside_box = st.tuples(st.floats(72.1, 137.7), st.floats(0.9, 55.7))


@settings(max_examples=1000)
@given(inside_box)
def test_gcj02_round_trip_is_within_a_millimetre(wgs84):
    back = coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(*wgs84))
    assert metres(back, wgs84) < 0.001


@given(inside_box)
def test_bd09_round_trip_is_within_a_metre(wgs84):
    back = coords.bd09_to_wgs84(*coords.wgs84_to_bd09(*wgs84))
    assert metres(back, wgs84) < 1.0


@given(st.tuples(st.floats(-180, 180), st.floats(-90, 90)).filter(lambda p: not coords.in_china(*p)))
def test_points_outside_the_box_are_left_unchanged(point):
    for convert in (coords.wgs84_to_gcj02, coords.gcj02_to_wgs84, coords.gcj02_to_bd09,
                    coords.bd09_to_gcj02, coords.wgs84_to_bd09, coords.bd09_to_wgs84):
        assert convert(*point) == point
