"""BeiDou grid location code (GB/T 39409-2020) against shared/vectors, plus properties."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.standards import beidou

LEVELS = range(1, 11)
DEGREE_TOLERANCE = 1e-9  # the vectors' rule


def test_vector_codes(grid_case):
    for level, code in grid_case["codes"].items():
        assert beidou.encode(grid_case["lon"], grid_case["lat"], int(level)) == code
        assert beidou.level_of(code) == int(level)


def test_vector_cells(grid_case):
    for level, cell in grid_case["cells"].items():
        decoded = beidou.decode(grid_case["codes"][level])
        assert decoded == pytest.approx(cell, rel=0, abs=DEGREE_TOLERANCE)
    west, south, *_ = beidou.decode(grid_case["codes"]["10"])
    assert (west, south) == pytest.approx(grid_case["l10_sw"], rel=0, abs=DEGREE_TOLERANCE)


def test_vector_parents_are_prefixes(grid_case):
    codes = grid_case["codes"]
    for level in range(2, 11):
        assert beidou.parent(codes[str(level)]) == codes[str(level - 1)]


def test_vector_invalid_codes_are_refused(grid_invalid_case):
    with pytest.raises(ValueError, match="grid code"):
        beidou.decode(grid_invalid_case["code"])


def test_vector_neighbours(grid_neighbours_case):
    assert beidou.neighbours(grid_neighbours_case["code"]) == grid_neighbours_case["neighbours"]


def test_level_1_has_no_parent():
    with pytest.raises(ValueError, match="no parent"):
        beidou.parent("N50J")


def test_the_180th_meridian_belongs_to_the_last_cell_of_its_hemisphere():
    assert beidou.encode(180, 5, 1) == "N60B"
    assert beidou.encode(-180, 5, 1) == "N01B"


def test_polar_caps_are_refused():
    with pytest.raises(ValueError, match="polar"):
        beidou.encode(10.0, 88.0)


def test_cell_sizes():
    assert beidou.cell_size_degrees(1) == (6.0, 4.0)
    assert beidou.cell_size_degrees(3) == (0.25, 1 / 6)
    assert beidou.cell_size_units(10) == (1, 1)
    assert 1 / beidou.cell_size_degrees(10)[0] == 7_372_800


lons = st.floats(-180, 180)
lats = st.floats(-87.999, 87.999)
china_lons = st.floats(73.5, 135.0)
china_lats = st.floats(18.0, 53.5)


@settings(max_examples=1000)
@given(lons, lats, st.sampled_from(LEVELS))
def test_decoded_cell_contains_the_encoded_point(lon, lat, level):
    west, south, east, north = beidou.decode(beidou.encode(lon, lat, level))
    assert west - 1e-12 <= lon <= east + 1e-12
    assert south - 1e-12 <= lat <= north + 1e-12


@settings(max_examples=1000)
@given(lons, lats, st.integers(2, 10))
def test_parent_is_the_prefix_one_level_up(lon, lat, level):
    code = beidou.encode(lon, lat, level)
    assert beidou.parent(code) == beidou.encode(lon, lat, level - 1)
    assert code.startswith(beidou.parent(code))


def _centre(code):
    west, south, east, north = beidou.decode(code)
    return (west + east) / 2, (south + north) / 2


@given(lons, lats, st.sampled_from(LEVELS))
def test_neighbours_are_the_surrounding_cells(lon, lat, level):
    code = beidou.encode(lon, lat, level)
    width, height = beidou.cell_size_degrees(level)
    x, y = _centre(code)
    found = beidou.neighbours(code)
    assert code not in found and len(set(found)) == len(found)
    assert 5 <= len(found) <= 8
    steps = set()
    for other in found:
        ox, oy = _centre(other)
        dx = ((ox - x + 180) % 360 - 180) / width  # across 180° the long way round is short
        dy = (oy - y) / height
        assert round(dx) in (-1, 0, 1) and abs(dx - round(dx)) < 1e-6
        assert round(dy) in (-1, 0, 1) and abs(dy - round(dy)) < 1e-6
        steps.add((round(dx), round(dy)))
    assert (0, 0) not in steps and len(steps) == len(found)


@settings(max_examples=1000)
@given(china_lons, china_lats, st.floats(0, 500), st.floats(0, 1), st.floats(0, 2 * math.pi))
def test_covering_prefixes_hold_every_point_within_the_radius(lon, lat, radius, fraction, bearing):
    prefixes = beidou.covering_prefixes(lon, lat, radius)
    assert 1 <= len(prefixes) <= 9
    # a point `fraction * radius` metres away on a sphere of radius 6,371 km
    distance = fraction * radius
    dlat = distance * math.cos(bearing) / 111_195
    dlon = distance * math.sin(bearing) / (111_195 * math.cos(math.radians(lat + dlat)))
    code = beidou.encode(lon + dlon, lat + dlat)
    assert any(code.startswith(prefix) for prefix in prefixes)


def test_buildings_within_100_m_use_level_5_prefixes_in_xiangyang():
    prefixes = beidou.covering_prefixes(112.1224, 32.009, 100)
    assert len(prefixes) == 9
    assert {beidou.level_of(p) for p in prefixes} == {5}
    assert beidou.encode(112.1224, 32.009, 5) in prefixes
