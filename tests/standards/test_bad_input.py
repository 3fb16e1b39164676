"""Bad input to any public function raises ValueError, and the message names what is wrong."""

import ast
import math
from pathlib import Path

import pytest

from app.standards import address_text, beidou, coords, credit_code, id_number, object_code

NAN, INF = math.nan, math.inf

BAD_CALLS = [
    # codes that are not strings (validators take any string; an empty one is a problem, not an error)
    (credit_code.is_valid, (None,), "credit code must be a string, got NoneType"),
    (credit_code.problems, (91110108551385082,), "credit code must be a string, got int"),
    (credit_code.org_code_ok, (b"91110108551385082Q",), "must be a string, got bytes"),
    (credit_code.is_pilot_code, (None,), "must be a string"),
    (credit_code.check_char, ("9111010855138508",), "17 characters, got 16"),
    (credit_code.check_char, ("9111010855138508I",), "illegal character 'I'"),
    (id_number.is_valid, (None,), "ID number must be a string, got NoneType"),
    (id_number.problems, (11010519491231002,), "must be a string, got int"),
    (id_number.birth_date, (None,), "must be a string"),
    (id_number.sex, ([],), "must be a string, got list"),
    (id_number.masked, ("",), "ID number is empty"),
    (id_number.masked, (None,), "must be a string"),
    (id_number.check_char, ("1101051949123100X",), "17 digits"),
    (object_code.problems, (None,), "object code must be a string"),
    (object_code.parse, ("",), "请填写"),
    (object_code.parse, ("42060601020000000012A",), "第21位“A”应为数字"),
    (object_code.compose, (420606, "building", 1), "division must be a string, got int"),
    (object_code.compose, ("420606", "building", "1"), "serial must be an integer, got str"),
    (object_code.compose, ("420606", "building", True), "serial must be an integer, got bool"),
    (object_code.class_code, (None,), "class name must be a string"),
    # coordinates
    (beidou.encode, (None, 32.0), "longitude must be a number, got NoneType"),
    (beidou.encode, ("112.1", 32.0), "longitude must be a number, got str"),
    (beidou.encode, (112.1, NAN), "latitude must be a finite number, got nan"),
    (beidou.encode, (INF, 32.0), "longitude must be a finite number, got inf"),
    (beidou.encode, (112.1, 90.5), "latitude 90.5 is outside -90..90"),
    (beidou.encode, (180.5, 32.0), "longitude 180.5 is outside -180..180"),
    (beidou.encode, (112.1, 88.0), "polar cap"),
    (beidou.encode, (112.1, 32.0, 11), "level 11 is outside 1..10"),
    (beidou.encode, (112.1, 32.0, 2.0), "level must be an integer, got float"),
    (beidou.encode, (True, 32.0), "longitude must be a number, got bool"),
    (beidou.encode, (10**400, 32.0), "longitude"),
    (beidou.decode, (None,), "grid code must be a string, got NoneType"),
    (beidou.decode, ("",), "length 0 is not one of"),
    (beidou.decode, ("n50j",), "hemisphere must be N or S"),
    (beidou.decode, ("N5１J",), "zone"),
    (beidou.decode, ("N50J4\u0663",), "level-2 latitude digit"),
    (beidou.level_of, ("N50J47539B8255346158",), "level-10 latitude digit '8'"),
    (beidou.parent, ("N50J",), "no parent"),
    (beidou.neighbours, ("N50J 7",), "level-2 longitude digit ' '"),
    (beidou.cell_size_degrees, (0,), "level 0 is outside 1..10"),
    (beidou.covering_prefixes, (112.1, 32.0, -1), "radius_m -1.0 is negative"),
    (beidou.covering_prefixes, (112.1, 32.0, NAN), "radius_m must be a finite number"),
    (beidou.covering_prefixes, (112.1, 32.0, 1e7), "larger than a level-1 cell"),
    (coords.wgs84_to_gcj02, (None, None), "longitude must be a number"),
    (coords.gcj02_to_wgs84, (112.1, -INF), "latitude must be a finite number"),
    (coords.gcj02_to_bd09, (112.1, 91), "latitude 91.0 is outside -90..90"),
    (coords.bd09_to_gcj02, ("a", 32.0), "longitude must be a number, got str"),
    (coords.wgs84_to_bd09, (NAN, 32.0), "longitude must be a finite number"),
    (coords.bd09_to_wgs84, (112.1, None), "latitude must be a number"),
    (coords.in_china, (200, 32.0), "longitude 200.0 is outside"),
    (coords.to_wgs84, (112.1, 32.0, None), "crs must be a string"),
    (coords.to_wgs84, (112.1, 32.0, "utm"), "crs 'utm' is not one of"),
    (coords.from_wgs84, (112.1, 32.0, ""), "crs '' is not one of"),
    # address text
    (address_text.parse, (None,), "address text must be a string, got NoneType"),
    (address_text.parse, ("",), "地址为空"),
    (address_text.parse, ("，。 ",), "地址为空"),
    (address_text.normalise, (12,), "must be a string, got int"),
    (address_text.parse, ("人民路12号", "襄阳市"), "known_prefixes must be a list"),
    (address_text.parse, ("人民路12号", [None]), "known prefix must be a string"),
    (address_text.floor_of_room, (301,), "room number must be a string, got int"),
]


@pytest.mark.parametrize(("function", "args", "message"), BAD_CALLS,
                         ids=[f"{f.__module__.rsplit('.', 1)[1]}.{f.__name__}{a!r}" for f, a, _ in BAD_CALLS])
def test_bad_input_raises_value_error_naming_the_problem(function, args, message):
    with pytest.raises(ValueError) as raised:
        function(*args)
    assert message in str(raised.value)


def test_standards_do_not_import_flask_or_a_database():
    package = Path(address_text.__file__).parent
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in {"flask", "sqlalchemy", "flask_sqlalchemy", "app"}, (
                    f"{source.name} imports {name}")
