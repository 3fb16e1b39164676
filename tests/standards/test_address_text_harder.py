"""Address text as it arrives from the field: our own harder cases beyond shared/vectors."""

import cn2an
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.standards import address_text


def parts(road=None, number=None, building=None, unit=None, floor=None, room=None):
    return dict(road=road, number=number, building=building, unit=unit, floor=floor, room=room)


CASES = [
    # building words
    ("人民路12号3#楼201", parts("人民路", "12", "3", None, 2, "201")),
    ("人民路12号第3栋", parts("人民路", "12", "3")),
    ("人民路12号B座1单元1203", parts("人民路", "12", "B", "1", 12, "1203")),
    ("人民路12号b座", parts("人民路", "12", "B")),
    ("人民路12号01栋", parts("人民路", "12", "1")),
    # units, floors, rooms
    ("人民路12号1栋第三单元", parts("人民路", "12", "1", "3")),
    ("人民路12号1号楼2门301", parts("人民路", "12", "1", "2", 3, "301")),
    ("人民路12号1栋负一楼", parts("人民路", "12", "1", None, -1)),
    ("人民路12号1栋地下二层", parts("人民路", "12", "1", None, -2)),
    ("人民路12号1栋B1层05", parts("人民路", "12", "1", None, -1, "05")),
    ("人民路12号1栋十五层", parts("人民路", "12", "1", None, 15)),
    ("人民路12号1栋2单元3F", parts("人民路", "12", "1", "2", 3)),
    ("人民路12号1栋2单元301号", parts("人民路", "12", "1", "2", 3, "301")),
    ("人民路12号1栋2单元零三零一室", parts("人民路", "12", "1", "2", 3, "0301")),
    ("人民路12号1栋2单元一五零二", parts("人民路", "12", "1", "2", 15, "1502")),
    ("人民路12号1栋2单元幺零一", parts("人民路", "12", "1", "2", 1, "101")),
    ("人民路12号1栋2单元5楼12室", parts("人民路", "12", "1", "2", 5, "12")),
    # shorthand
    ("人民路12号1栋2-301", parts("人民路", "12", "1", "2", 3, "301")),
    ("人民路12号3-502", parts("人民路", "12", "3", None, 5, "502")),
    ("人民路12号1－2－301", parts("人民路", "12", "1", "2", 3, "301")),
    ("人民路12号 1 2 301", parts("人民路", "12", "1", "2", 3, "301")),
    # door-plate sub-numbers
    ("人民路12之1号", parts("人民路", "12-1")),
    ("人民路12附1号", parts("人民路", "12-1")),
    ("人民路12号附1号", parts("人民路", "12-1")),
    ("人民路十二之一号二栋", parts("人民路", "12-1", "2")),
    # numerals that belong to the road name stay
    ("五一路十二号一栋", parts("五一路", "12", "1")),
    ("二环路3号", parts("二环路", "3")),
    ("工业三路两百号", parts("工业三路", "200")),
    # no door-plate number, or no road
    ("二环路3号楼2单元1502", parts("二环路", None, "3", "2", 15, "1502")),
    ("1栋2单元301", parts(None, None, "1", "2", 3, "301")),
    ("十里铺", parts("十里铺")),
    # prefixes, spaces and punctuation
    ("湖北省襄阳市樊城区中原街道人民路12号", parts("人民路", "12")),
    ("襄阳市 襄城区 檀溪路 128 号", parts("檀溪路", "128")),
    ("枣阳市北城街道光武大道8号", parts("光武大道", "8")),
    ("鼓楼区中山路1号", parts("中山路", "1")),
    ("园区路5号", parts("园区路", "5")),
    ("新华市场路3号", parts("新华市场路", "3")),
    ("人民路12号，1栋、2单元。301", parts("人民路", "12", "1", "2", 3, "301")),
    ("人民路12号（新华书店）", parts("人民路", "12")),
    ("人民路１２号１栋２单元３０１室\u3000", parts("人民路", "12", "1", "2", 3, "301")),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_field_text(text, expected):
    assert address_text.parse(text) == expected


def test_known_prefixes_are_stripped_even_when_they_do_not_look_like_areas():
    text = "襄阳高新技术产业开发区团山镇人民路12号"
    assert address_text.parse(text, known_prefixes=["襄阳高新技术产业开发区", "团山镇"])["road"] == "人民路"


def test_normal_form_writes_the_floor_only_when_the_room_does_not_say_it():
    assert address_text.normalise("人民路12号1栋2单元3楼301") == "人民路12号1栋2单元301室"
    assert address_text.normalise("人民路12号1栋2单元5楼12") == "人民路12号1栋2单元5楼12室"
    assert address_text.normalise("人民路12号1栋负一楼") == "人民路12号1栋负1楼"


@pytest.mark.parametrize(("room", "floor"), [("301", 3), ("1502", 15), ("0301", 3), ("３０１", 3), ("12", None),
                                             ("B101", None), ("001", None), (None, None)])
def test_floor_of_room(room, floor):
    assert address_text.floor_of_room(room) == floor


@pytest.mark.parametrize("text", ["人民路12号#$%", "—", "人民路12号1栋万单元", "人民路12号张三家"])
def test_text_that_does_not_fit_is_refused_naming_it(text):
    with pytest.raises(ValueError, match="无法识别"):
        address_text.parse(text)


roads = st.sampled_from(["人民路", "长虹北路", "檀溪路", "五一路", "工业三路", "光武大道", "春园巷"])
numbers = st.integers(1, 999)
small = st.integers(1, 30)


def spoken(n: int) -> str:
    return cn2an.an2cn(n, "low")


def digit_by_digit(n: int) -> str:
    return "".join(cn2an.an2cn(int(d), "low") for d in str(n))


@given(roads, numbers, small, small, st.integers(1, 33), st.integers(1, 9), st.data())
def test_any_way_of_writing_an_address_parses_to_the_same_parts(road, number, building, unit, floor, flat, data):
    room = floor * 100 + flat
    style = data.draw(st.sampled_from(["arabic", "chinese", "fullwidth", "shorthand"]))
    if style == "arabic":
        text = f"{road}{number}号{building}栋{unit}单元{room}室"
    elif style == "chinese":
        text = f"{road}{spoken(number)}号{spoken(building)}栋{spoken(unit)}单元{digit_by_digit(room)}"
    elif style == "fullwidth":
        text = f"{road}{number}号{building}幢{unit}单元{room}".translate(
            {ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    else:
        text = f"{road}{number}号{building}-{unit}-{room}"
    expected = parts(road, str(number), str(building), str(unit), floor, str(room))
    assert address_text.parse(text) == expected
    assert address_text.parse(address_text.normalise(text)) == expected
