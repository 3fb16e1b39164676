"""Finding addresses: by object code, by free text, near a point; their text, history and exports."""
import io
import json

import geojson
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.places.models import Building
from app.standards import coords, object_code
from tests.factories import unique
from tests.jobs.test_jobs import run_job


def test_lookup_by_object_code_gives_the_full_standard_address(as_user, places):
    body = as_user("police").get(f"/api/v1/addresses/{places['grid']['room']}").json
    assert body["kind"] == "room"
    assert body["address"].startswith("湖北省襄阳市樊城区")
    parts = body["parts"]
    assert body["address"].endswith(f"{parts['road']}{parts['number']}号" + (
        f"{parts['building']}栋" if parts.get("building") else "") + (
        f"{parts['unit']}单元" if parts.get("unit") else "") + f"{parts['room']}室")
    assert object_code.parse(body["object_code"]).class_name == "room"
    assert len(body["location"]["grid_code"]) == 20


def test_an_unknown_or_malformed_code_is_404(as_user):
    client = as_user("city")
    for code in ("420606010200999999999", "abc", "4206060102000000000011"):
        assert client.get(f"/api/v1/addresses/{code}").status_code == 404


def test_a_plate_lists_its_buildings_and_a_building_its_units_and_rooms(as_user, places):
    client = as_user("city")
    plate = client.get(f"/api/v1/addresses/{places['grid']['plate']}/children").json["items"]
    assert places["grid"]["building"] in {c["object_code"] for c in plate}
    building = client.get(f"/api/v1/addresses/{places['grid']['building']}/children").json["items"]
    assert places["grid"]["room"] in {c["object_code"] for c in building}
    assert {c["kind"] for c in building} <= {"unit", "room"}
    assert as_user("grid").get(f"/api/v1/addresses/{places['elsewhere']['building']}/children").status_code == 404


def address_parts(client, code):
    return client.get(f"/api/v1/addresses/{code}").json["parts"]


CN = "零一二三四五六七八九"


def chinese(number: str) -> str:
    return "".join(CN[int(d)] for d in number)


def test_search_finds_a_room_written_with_chinese_numerals_and_a_district_prefix(as_user, places):
    client = as_user("police")
    parts = address_parts(client, places["grid"]["room"])
    text = f"樊城区{parts['road']}{parts['number']}号"
    if parts.get("building"):
        text += f"{chinese(parts['building'])}幢"
    if parts.get("unit"):
        text += f"{chinese(parts['unit'])}单元"
    text += chinese(parts["room"])
    items = client.get("/api/v1/addresses/search", query_string={"q": text}).json["items"]
    assert items[0]["match"]["object_code"] == places["grid"]["room"], (text, items[:2])
    assert items[0]["score"] == 100


def test_search_tolerates_a_typo_in_the_road_name(as_user, places):
    client = as_user("police")
    parts = address_parts(client, places["grid"]["plate"])
    road = parts["road"]
    typo = road[0] + ("明" if road[1] != "明" else "亮") + road[2:]
    items = client.get("/api/v1/addresses/search", query_string={"q": f"{typo}{parts['number']}号"}).json["items"]
    assert places["grid"]["plate"] in [i["match"]["object_code"] for i in items[:3]], (typo, items[:3])
    assert items[0]["score"] < 100


def test_search_stays_inside_the_jurisdiction(as_user, places):
    parts = address_parts(as_user("city"), places["elsewhere"]["plate"])
    items = as_user("grid").get("/api/v1/addresses/search",
                                query_string={"q": f"{parts['road']}{parts['number']}号"}).json["items"]
    assert places["elsewhere"]["plate"] not in [i["match"]["object_code"] for i in items]


@pytest.mark.parametrize("q", ["", "   "])
def test_blank_search_is_422_naming_q(as_user, q):
    response = as_user("police").get("/api/v1/addresses/search", query_string={"q": q})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "q"


def building_at(app, code):
    with app.app_context():
        b = db.session.scalar(select(Building).where(Building.object_code == code))
        return b.lon, b.lat


def test_nearby_lists_buildings_nearest_first_within_the_radius(app, as_user, places):
    lon, lat = building_at(app, places["grid"]["building"])
    items = as_user("city").get("/api/v1/buildings/nearby",
                                query_string={"lon": lon, "lat": lat, "radius_m": 150}).json["items"]
    assert items[0]["building"]["object_code"] == places["grid"]["building"]
    assert items[0]["distance_m"] == 0
    distances = [i["distance_m"] for i in items]
    assert distances == sorted(distances) and distances[-1] <= 150


def test_nearby_accepts_gcj02_and_bd09_points(app, as_user, places):
    lon, lat = building_at(app, places["grid"]["building"])
    client = as_user("city")
    for crs, convert in (("gcj02", coords.wgs84_to_gcj02), ("bd09", coords.wgs84_to_bd09)):
        x, y = convert(lon, lat)
        items = client.get("/api/v1/buildings/nearby",
                           query_string={"lon": x, "lat": y, "radius_m": 50, "crs": crs}).json["items"]
        assert items[0]["building"]["object_code"] == places["grid"]["building"], crs
        assert items[0]["distance_m"] < 1  # the BD-09 inverse is approximate, to a few decimetres


def test_nearby_misses_nothing_and_includes_nothing_beyond_the_radius(app, as_user, places):
    """Compare with a brute-force distance check over every building."""
    from app.places.services import _distance_m

    lon, lat = building_at(app, places["grid"]["building"])
    with app.app_context():
        everything = db.session.execute(select(Building.object_code, Building.lon, Building.lat)).all()
    expected = {code for code, x, y in everything if _distance_m(lon, lat, x, y) <= 300}
    items = as_user("city").get("/api/v1/buildings/nearby", query_string={
        "lon": lon + 0.0007, "lat": lat - 0.0004, "radius_m": 300, "limit": 200}).json["items"]
    found = {i["building"]["object_code"] for i in items}
    expected = {code for code, x, y in everything if _distance_m(lon + 0.0007, lat - 0.0004, x, y) <= 300}
    assert found == expected and found


@pytest.mark.parametrize("query, field", [
    ({"lat": 32.0, "radius_m": 100}, "lon"),
    ({"lon": 112.1, "lat": 95, "radius_m": 100}, "lat"),
    ({"lon": "nan", "lat": 32.0}, "lon"),
    ({"lon": 112.1, "lat": 32.0, "radius_m": 5000}, "radius_m"),
    ({"lon": 112.1, "lat": 32.0, "crs": "mars"}, "crs"),
])
def test_nearby_bad_input_names_the_field(as_user, query, field):
    response = as_user("city").get("/api/v1/buildings/nearby", query_string=query)
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json["errors"]}


def test_buildings_of_an_area_page_by_cursor_without_repeats(as_user, places):
    client = as_user("city")
    seen, url = [], f"/api/v1/areas/{places['codes']['township']}/buildings?limit=7"
    while url:
        body = client.get(url).json
        seen += [b["object_code"] for b in body["items"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) > 7
    assert places["grid"]["building"] in seen and places["elsewhere"]["building"] not in seen
    bad = client.get(f"/api/v1/areas/{places['codes']['township']}/buildings?cursor=%%%")
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "cursor"


def test_geojson_export_parses_back_and_holds_every_building_of_the_area(app, as_user, places):
    response = as_user("district").get("/api/v1/areas/420606/export.geojson")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    collection = geojson.loads(response.get_data(as_text=True))
    assert isinstance(collection, geojson.FeatureCollection) and collection.is_valid
    codes = [f["properties"]["object_code"] for f in collection["features"]]
    with app.app_context():
        from app.places.models import Area

        expected = db.session.scalars(select(Building.object_code).join(Area, Building.area_id == Area.id)
                                      .where(Area.code.startswith("420606"))).all()
    assert sorted(codes) == sorted(expected)
    feature = next(f for f in collection["features"] if f["id"] == places["grid"]["building"])
    assert feature["properties"]["address"].startswith("湖北省襄阳市樊城区")


def test_geojson_export_needs_the_export_permission_and_the_area(as_user):
    assert as_user("grid").get("/api/v1/areas/420606001/export.geojson").status_code == 403
    assert as_user("district").get("/api/v1/areas/420602/export.geojson").status_code == 404


def test_history_lists_each_version_with_who_and_what(as_user, places):
    admin = as_user("admin")
    code = places["district"]["building"]
    current = admin.get(f"/api/v1/addresses/{code}").json
    changed = admin.patch(f"/api/v1/buildings/{code}", json={"version": current["version"], "floors": 9,
                                                             "reason": "测绘更正"})
    assert changed.status_code == 200 and changed.json["version"] == current["version"] + 1
    stale = admin.patch(f"/api/v1/buildings/{code}", json={"version": current["version"], "floors": 10})
    assert stale.status_code == 409 and stale.json["code"] == "conflict.version"
    history = admin.get(f"/api/v1/addresses/{code}/history").json
    last = history[-1]
    assert last["action"] == "building.update" and last["actor"] == "admin" and last["reason"] == "测绘更正"
    assert last["after"]["floors"] == 9 and last["before"]["floors"] == current["floors"]


def test_a_demolished_building_keeps_its_record_and_code(as_user, places):
    admin = as_user("admin")
    code = places["district"]["plate"]
    version = admin.get(f"/api/v1/addresses/{code}").json["version"]
    response = admin.post(f"/api/v1/addresses/{code}/status",
                          json={"status": "retired", "version": version, "reason": "道路改造，门牌注销"})
    assert response.status_code == 200 and response.json["status"] == "retired"
    assert admin.get(f"/api/v1/addresses/{code}").json["status"] == "retired"
    again = admin.post(f"/api/v1/addresses/{code}/status",
                       json={"status": "active", "version": version + 1, "reason": "恢复"})
    assert again.status_code == 200


def test_excel_export_runs_as_a_job_with_progress(app, as_user, places):
    from openpyxl import load_workbook

    client = as_user("district")
    started = client.post(f"/api/v1/areas/{places['codes']['township']}/exports", json={"format": "xlsx"})
    assert started.status_code == 202 and started.headers["Location"].endswith(started.json["id"])
    assert started.json["status"] == "queued"
    job = run_job(app, client, started.json["id"])  # what the worker does; the queue itself is tested in tests/jobs
    assert job["status"] == "done" and job["done"] == job["total"] > 0 and job["percent"] == 100
    download = client.get(job["download"])
    book = load_workbook(io.BytesIO(download.data), read_only=True)
    assert book.sheetnames == ["楼栋", "户室", "单位"]
    rows = list(book["楼栋"].iter_rows(values_only=True))
    assert rows[0][:2] == ("对象编码", "标准地址")
    assert places["grid"]["building"] in {r[0] for r in rows[1:]}
    assert places["elsewhere"]["building"] not in {r[0] for r in rows[1:]}
    # Someone else's job is not theirs to see.
    assert as_user("city").get(f"/api/v1/jobs/{job['id']}").status_code == 404


def test_the_area_export_writes_names_typed_as_formulas_as_text(app, as_user, places):
    from tests.test_spreadsheets import FORMULAS, assert_inert

    typed = FORMULAS[:5]  # what a form or the API takes as a name

    admin = as_user("admin")
    for name in typed:
        answer = admin.post("/api/v1/organisations", json={"name": name + unique("社"), "kind": "social",
                                                           "area_code": places["codes"]["township"]})
        assert answer.status_code == 201, answer.json
    client = as_user("district")
    started = client.post(f"/api/v1/areas/{places['codes']['township']}/exports", json={"format": "xlsx"})
    job = run_job(app, client, started.json["id"])
    assert job["status"] == "done", job

    assert_inert(client.get(job["download"]).data, [])
    names = {c.value for c in load_workbook(io.BytesIO(client.get(job["download"]).data))["单位"]["B"]}
    assert all(any(n.startswith("'" + f) for n in names if n) for f in typed)


def test_openapi_examples_are_json(anonymous):
    assert json.loads(anonymous.get("/api/openapi.json").data)["info"]["title"]


def test_search_finds_a_room_of_a_plate_with_one_unnumbered_building(app, as_user):
    admin = as_user("admin")
    road = admin.post("/api/v1/roads", json={"name": "独栋测试路", "area_code": "420606"}).json
    with app.app_context():
        from app.places.models import Area

        grid = db.session.scalar(select(Area.code).where(Area.code.startswith("420606001"), Area.level == "grid"))
    plate = admin.post("/api/v1/door-plates", json={"road_id": road["id"], "number": "26", "lon": 112.14,
                                                     "lat": 32.05, "area_code": grid}).json
    building = admin.post("/api/v1/buildings", json={"door_plate_code": plate["object_code"], "floors": 5}).json
    room = admin.post("/api/v1/rooms", json={"building_code": building["object_code"], "number": "301"}).json
    assert room["address"].endswith("独栋测试路26号301室")
    items = admin.get("/api/v1/addresses/search", query_string={"q": "独栋测试路二十六号三零一"}).json["items"]
    assert items[0]["match"]["object_code"] == room["object_code"]


def test_search_considers_every_road_of_the_same_name(app, as_user):
    """Road names repeat across districts; the right one must not fall outside a top five."""
    admin = as_user("admin")
    with app.app_context():
        from app.places.models import Area

        grids = [db.session.scalar(select(Area.code).where(Area.level == "grid", Area.code.startswith(d))
                                   .order_by(Area.code)) for d in ("420602", "420606", "420607", "420624",
                                                                   "420625", "420626", "420682", "420683")]
    plates = []
    for i, grid in enumerate(grids):
        road = admin.post("/api/v1/roads", json={"name": "重名测试路", "area_code": grid[:6]}).json
        plates.append(admin.post("/api/v1/door-plates", json={
            "road_id": road["id"], "number": str(100 + i), "lon": 112.1, "lat": 32.0, "area_code": grid}).json)
    last = plates[-1]
    items = admin.get("/api/v1/addresses/search", query_string={"q": f"重名测试路{last['parts']['number']}号"}).json
    assert items["items"][0]["match"]["object_code"] == last["object_code"]
