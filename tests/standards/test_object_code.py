"""21-digit unified city-object code and its classification table."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.standards import object_code
from app.standards.object_code import BY_CODE, CLASSES

PRODUCT_CLASSES = ("door_plate", "building", "unit", "room", "organisation", "manhole_cover", "street_lamp")


def test_table_has_the_classes_the_product_uses():
    assert set(PRODUCT_CLASSES) <= set(CLASSES)
    for name, row in CLASSES.items():
        assert row.name == name
        assert len(row.code) == 6 and row.code.isdigit()
        assert row.label
    assert len(BY_CODE) == len(CLASSES)  # no code used twice


def test_class_code_by_name():
    assert object_code.class_code("manhole_cover") == CLASSES["manhole_cover"].code
    with pytest.raises(ValueError, match="unknown object class 'lamp'"):
        object_code.class_code("lamp")


def test_compose_and_parse_a_building_in_fancheng():
    code = object_code.compose("420606", "building", 1234)
    assert code == "420606" + CLASSES["building"].code + "000001234"
    parsed = object_code.parse(code, lookup={"420606": "樊城区"})
    assert parsed == ("420606", CLASSES["building"].code, 1234, "樊城区", "building")
    assert parsed.class_label == "楼栋"
    assert object_code.parse(code, lookup=lambda division: None).division_name is None


def test_problems_name_each_wrong_part():
    assert [p.code for p in object_code.problems("")] == ["object_code.empty"]
    assert [p.code for p in object_code.problems("42060601020000000123")] == ["object_code.length"]
    assert [(p.code, p.position) for p in object_code.problems("42060601020000000A123")] == [
        ("object_code.charset", 18)]
    found = object_code.problems("420600999999000000000")
    assert [p.code for p in found] == ["object_code.division", "object_code.classification",
                                       "object_code.serial"]
    assert found[0].message == "第1-6位“420600”不是县级行政区划代码"


def test_parse_refuses_an_invalid_code_with_the_reasons():
    with pytest.raises(ValueError, match="应为21位"):
        object_code.parse("4206060102000000012")


def test_compose_refuses_bad_parts():
    with pytest.raises(ValueError, match="division"):
        object_code.compose("4206", "building", 1)
    with pytest.raises(ValueError, match="不是县级行政区划代码"):
        object_code.compose("420600", "building", 1)
    with pytest.raises(ValueError, match="serial"):
        object_code.compose("420606", "building", 0)
    with pytest.raises(ValueError, match="serial"):
        object_code.compose("420606", "building", 10**9)
    with pytest.raises(ValueError, match="不是已知的对象分类代码"):
        object_code.compose("420606", "123456", 1)


divisions = st.sampled_from(["420602", "420606", "420607", "420624", "420683", "110105", "429004"])


@given(divisions, st.sampled_from(sorted(CLASSES)), st.integers(1, object_code.MAX_SERIAL))
def test_compose_then_parse_gives_the_parts_back(division, name, serial):
    code = object_code.compose(division, name, serial)
    assert len(code) == 21 and object_code.is_valid(code)
    parsed = object_code.parse(code)
    assert (parsed.division, parsed.classification, parsed.serial) == (division, CLASSES[name].code, serial)
    assert object_code.compose(parsed.division, parsed.classification, parsed.serial) == code
