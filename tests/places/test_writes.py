"""Changing the address base: good writes get codes and audit rows; bad input is a 422 naming the
field and the rule, and writes nothing."""
import threading

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditLog
from app.extensions import db
from app.places.models import Building, DoorPlate, Road, Room, Unit
from app.standards import beidou, object_code
from tests.factories import unique


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture()
def admin(as_user):
    return as_user("admin")


@pytest.fixture()
def new_road(admin):
    response = admin.post("/api/v1/roads", json={"name": unique("测试") + "路", "area_code": "420606"})
    assert response.status_code == 201, response.json
    return response.json


def test_a_new_plate_building_unit_and_room_get_codes_grid_codes_and_audit_rows(app, admin, new_road, places):
    plate = admin.post("/api/v1/door-plates", json={"road_id": new_road["id"], "number": "8-1", "lon": 112.135,
                                                     "lat": 32.046, "area_code": places["grid"]["area"]})
    assert plate.status_code == 201, plate.json
    assert plate.json["address"].endswith(f"{new_road['name']}8-1号")
    assert plate.json["location"]["grid_code"] == beidou.encode(112.135, 32.046)
    building = admin.post("/api/v1/buildings", json={"door_plate_code": plate.json["object_code"], "number": "A",
                                                      "floors": 18, "use": "residential"})
    assert building.status_code == 201, building.json
    assert building.json["location"]["lon"] == 112.135  # the plate's position when none is given
    unit = admin.post("/api/v1/units", json={"building_code": building.json["object_code"], "number": "2"})
    room = admin.post("/api/v1/rooms", json={"building_code": building.json["object_code"],
                                             "unit_code": unit.json["object_code"], "number": "1502"})
    assert room.status_code == 201, room.json
    assert room.json["address"].endswith(f"{new_road['name']}8-1号A栋2单元1502室")
    assert admin.get(f"/api/v1/addresses/{room.json['object_code']}").json["floor"] == 15
    for made, kind in ((plate, "door_plate"), (building, "building"), (unit, "unit"), (room, "room")):
        parsed = object_code.parse(made.json["object_code"])
        assert parsed.class_name == kind and parsed.division == "420606"
    with app.app_context():
        actions = db.session.scalars(select(AuditLog.action).where(AuditLog.actor_name == "admin")
                                     .order_by(AuditLog.id.desc()).limit(4)).all()
    assert actions == ["room.create", "unit.create", "building.create", "door_plate.create"]


def test_a_gcj02_plate_position_is_stored_as_wgs84(admin, new_road, places):
    from app.standards import coords

    gx, gy = coords.wgs84_to_gcj02(112.14, 32.05)
    plate = admin.post("/api/v1/door-plates", json={"road_id": new_road["id"], "number": "3", "lon": gx, "lat": gy,
                                                     "crs": "gcj02", "area_code": places["grid"]["area"]}).json
    assert abs(plate["location"]["lon"] - 112.14) < 1e-8 and abs(plate["location"]["lat"] - 32.05) < 1e-8


def test_the_same_number_twice_on_a_road_is_409_and_a_retired_number_may_return(admin, new_road, places):
    body = {"road_id": new_road["id"], "number": "5", "lon": 112.1, "lat": 32.0, "area_code": places["grid"]["area"]}
    first = admin.post("/api/v1/door-plates", json=body).json
    twice = admin.post("/api/v1/door-plates", json=body)
    assert twice.status_code == 409 and twice.json["code"] == "conflict.duplicate"
    admin.post(f"/api/v1/addresses/{first['object_code']}/status",
               json={"status": "retired", "version": 1, "reason": "重新编号"})
    again = admin.post("/api/v1/door-plates", json=body)
    assert again.status_code == 201 and again.json["object_code"] != first["object_code"]  # codes never reused


BAD = [
    ("/api/v1/roads", {"name": "人民", "area_code": "420606"}, "name", "结尾"),
    ("/api/v1/roads", {"name": "新开路", "area_code": "420606001"}, "area_code", "长度"),
    ("/api/v1/roads", {"name": "新开路", "area_code": "420699"}, "area_code", "不存在"),
    ("/api/v1/roads", {"name": "新开路", "area_code": "420606", "extra": 1}, "extra", "不认识"),
    ("/api/v1/door-plates", {"road_id": "x", "number": "1", "lon": 112.1, "lat": 32.0, "area_code": "GRID"},
     "road_id", "整数"),
    ("/api/v1/door-plates", {"road_id": "ROAD", "number": "一号", "lon": 112.1, "lat": 32.0, "area_code": "GRID"},
     "number", "数字"),
    ("/api/v1/door-plates", {"road_id": "ROAD", "number": "1", "lon": 181, "lat": 32.0, "area_code": "GRID"},
     "lon", "-180"),
    ("/api/v1/door-plates", {"road_id": "ROAD", "number": "1", "lon": 112.1, "area_code": "GRID"}, "lat", "必填"),
    ("/api/v1/door-plates", {"road_id": "ROAD", "number": "1", "lon": 112.1, "lat": 32.0, "area_code": "420606001"},
     "area_code", "长度"),
    ("/api/v1/door-plates", {"road_id": "ROAD", "number": "1", "lon": 112.1, "lat": 32.0,
                             "area_code": "420606001001"[:9] + "999"}, "area_code", "不存在"),
    ("/api/v1/door-plates", {"road_id": 999999, "number": "1", "lon": 112.1, "lat": 32.0, "area_code": "GRID"},
     "road_id", "不存在"),
    ("/api/v1/buildings", {"door_plate_code": "PLATE", "floors": 0}, "floors", "1 到 200"),
    ("/api/v1/buildings", {"door_plate_code": "PLATE", "floors": 3, "use": "castle"}, "use", "只能是"),
    ("/api/v1/buildings", {"door_plate_code": "PLATE", "floors": 3, "lon": 112.1}, "lat", "同时"),
    ("/api/v1/buildings", {"door_plate_code": "PLATE", "floors": 3, "footprint": {"type": "Polygon",
                           "coordinates": [[[0, 0], [1, 1]]]}}, "footprint", "Polygon"),
    ("/api/v1/buildings", {"door_plate_code": "ROOMCODE", "floors": 3}, "door_plate_code", "门牌"),
    ("/api/v1/units", {"building_code": "PLATE", "number": "1"}, "building_code", "楼栋"),
    ("/api/v1/units", {"building_code": "BUILDING"}, "number", "必填"),
    ("/api/v1/rooms", {"building_code": "BUILDING", "number": "ab"}, "floor", "楼层"),
    ("/api/v1/rooms", {"building_code": "BUILDING", "number": "9901"}, "floor", "楼层应在"),
    ("/api/v1/rooms", {"building_code": "BUILDING", "number": "301", "floor": 2.5}, "floor", "整数"),
    ("/api/v1/rooms", {"building_code": "BUILDING", "number": "301", "unit_code": "PLATE"}, "unit_code", "单元"),
]


@pytest.mark.parametrize("url, body, field, words", BAD, ids=[f"{u.split('/')[-1]}-{f}-{i}" for i, (u, _, f, _w)
                                                              in enumerate(BAD)])
def test_bad_input_is_422_naming_the_field_and_rule_and_writes_nothing(app, admin, new_road, places,
                                                                       url, body, field, words):
    fill = {"ROAD": new_road["id"], "GRID": places["grid"]["area"], "PLATE": places["grid"]["plate"],
            "BUILDING": places["grid"]["building"], "ROOMCODE": places["grid"]["room"]}
    body = {k: fill.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    models = (Road, DoorPlate, Building, Unit, Room, AuditLog)
    before = [count(app, m) for m in models]
    response = admin.post(url, json=body)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    messages = {e["field"]: e["message"] for e in response.json["errors"]}
    assert field in messages and words in messages[field], messages
    assert [count(app, m) for m in models] == before


def test_patch_and_status_bad_input(admin, places):
    code = places["township"]["building"]
    for body, field in (({"floors": 3}, "version"), ({"version": 1, "floors": -1}, "floors"),
                        ({"version": "1"}, "version")):
        response = admin.patch(f"/api/v1/buildings/{code}", json=body)
        assert response.status_code == 422 and field in {e["field"] for e in response.json["errors"]}
    response = admin.post(f"/api/v1/addresses/{code}/status", json={"status": "gone", "version": 1})
    assert {e["field"] for e in response.json["errors"]} == {"status", "reason"}


def test_object_codes_stay_unique_under_concurrent_creation(app, places):
    """Several threads, each with its own connection and transaction, create buildings at once."""
    from app.accounts.models import User
    from app.places.services import create_building

    codes, errors = [], []

    def worker():
        with app.app_context():
            actor = db.session.scalar(select(User).where(User.username == "admin"))
            try:
                for _ in range(5):
                    made = create_building(actor, {"door_plate_code": places["elsewhere"]["plate"],
                                                   "number": unique("T"), "floors": 2})
                    codes.append(made.object_code)
            except Exception as e:  # reported below
                errors.append(repr(e))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(codes) == 30 and len(set(codes)) == 30
    serials = sorted(int(c[12:]) for c in codes)
    assert serials == list(range(serials[0], serials[0] + 30))  # no gaps: each serial given once
