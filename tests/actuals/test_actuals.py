"""People, housing and organisations at addresses: masked by default, full only for roles that need
it with an audit row, one active binding per organisation, credit codes checked as typed."""
from sqlalchemy import select

from app.actuals.models import Binding, Organisation, Resident
from app.audit.models import AuditLog
from app.extensions import db
from tests.factories import credit_code_for, fresh_id_number, unique


def register(client, room, **extra):
    body = {"room_code": room, "name": "李四", "id_number": fresh_id_number(), "phone": "13912345678", **extra}
    response = client.post("/api/v1/residents", json=body)
    assert response.status_code == 201, response.json
    return response.json, body


def test_a_registered_resident_is_shown_masked_and_stored_sealed(app, as_user, places):
    resident, body = register(as_user("police"), places["township"]["room"])
    number = body["id_number"]
    assert resident["id_number"] == number[:4] + "*" * 10 + number[-4:]
    assert resident["phone"] == "139****5678"
    assert resident["sex"] in ("male", "female")
    with app.app_context():
        row = db.session.get(Resident, resident["id"])
        raw = row.id_number_enc + (row.phone_enc or b"")
        assert number.encode() not in raw and b"13912345678" not in raw
        audit = db.session.scalars(select(AuditLog).where(AuditLog.object_type == "resident",
                                                          AuditLog.object_id == row.id)).all()
        assert number not in str([(a.before, a.after) for a in audit])


def test_full_numbers_only_for_roles_that_need_them_and_every_read_is_audited(app, as_user, places):
    resident, body = register(as_user("grid"), places["grid"]["room"])
    url = f"/api/v1/residents/{resident['id']}/personal"
    for username in ("grid", "street", "district", "city"):
        assert as_user(username).post(url).status_code == 403, username
    police = as_user("police")
    full = police.post(url)
    assert full.status_code == 200 and full.json == {"id_number": body["id_number"], "phone": "13912345678"}
    with app.app_context():
        reads = db.session.scalars(select(AuditLog).where(AuditLog.action == "resident.reveal_personal",
                                                          AuditLog.object_id == resident["id"])).all()
    assert [r.actor_name for r in reads] == ["police"]
    outside = as_user("police").post(f"/api/v1/residents/{resident['id'] + 10**6}/personal")
    assert outside.status_code == 404


def test_actuals_at_an_address_list_residents_housing_and_organisations(as_user, places):
    client = as_user("police")
    resident, _ = register(client, places["township"]["room"])
    body = client.get(f"/api/v1/addresses/{places['township']['room']}/actuals").json
    assert resident["id"] in [r["id"] for r in body["residents"]]
    assert all("*" in r["id_number"] for r in body["residents"])
    assert body["housing"] and body["housing"][0]["room_code"] == places["township"]["room"]


def test_the_same_person_cannot_live_in_two_places_until_moved_out(as_user, places):
    client = as_user("police")
    resident, body = register(client, places["township"]["room"])
    twice = client.post("/api/v1/residents", json={**body, "room_code": places["grid"]["room"]})
    assert twice.status_code == 409 and twice.json["errors"][0]["field"] == "id_number"
    moved = client.post(f"/api/v1/residents/{resident['id']}/move-out", json={"on": "2026-01-02", "version": 1})
    assert moved.status_code == 200 and moved.json["status"] == "moved_out"
    assert client.post("/api/v1/residents", json={**body, "room_code": places["grid"]["room"]}).status_code == 201
    stale = client.post(f"/api/v1/residents/{resident['id']}/move-out", json={"on": "2026-01-02", "version": 1})
    assert stale.status_code == 409 and stale.json["code"] == "conflict.version"


def test_bad_resident_input_names_the_field_and_rule(app, as_user, places):
    client = as_user("police")
    room = places["township"]["room"]
    cases = [
        ({"id_number": "11010519491231002Y"}, "id_number", "第18位"),
        ({"id_number": "110105194902301234"}, "id_number", "出生日期"),
        ({"id_number": "11010519491231"}, "id_number", "18"),
        ({"phone": "12345"}, "phone", "手机号"),
        ({"kind": "tourist"}, "kind", "只能是"),
        ({"moved_in": "2999-01-01"}, "moved_in", "应在 1900-01-01 到"),
        ({"room_code": places["township"]["building"]}, "room_code", "户室"),
        ({"name": ""}, "name", "长度"),
    ]
    with app.app_context():
        before = db.session.query(Resident).count()
    for change, field, words in cases:
        body = {"room_code": room, "name": "王五", "id_number": fresh_id_number(), **change}
        response = client.post("/api/v1/residents", json=body)
        assert response.status_code == 422, (change, response.json)
        messages = {e["field"]: e["message"] for e in response.json["errors"]}
        assert words in messages.get(field, ""), (change, messages)
    with app.app_context():
        assert db.session.query(Resident).count() == before


def test_housing_is_set_then_changed_with_its_version(as_user, places):
    client = as_user("grid")
    room = places["grid"]["room"]
    current = client.get(f"/api/v1/addresses/{room}/actuals").json["housing"][0]
    changed = client.put(f"/api/v1/rooms/{room}/housing", json={"use": "business", "ownership": "private",
                                                               "rented": True, "version": current["version"]})
    assert changed.status_code == 200 and changed.json["rented"] is True
    assert changed.json["version"] == current["version"] + 1
    stale = client.put(f"/api/v1/rooms/{room}/housing", json={"use": "vacant", "ownership": "private",
                                                             "version": current["version"]})
    assert stale.status_code == 409
    bad = client.put(f"/api/v1/rooms/{room}/housing", json={"use": "palace", "ownership": "private"})
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "use"


def new_organisation(client, **extra):
    body = {"name": unique("襄阳测试") + "商贸有限公司", "kind": "enterprise", "credit_code": credit_code_for(),
            "area_code": "420606001", "phone": "0710-3456789", **extra}
    response = client.post("/api/v1/organisations", json=body)
    assert response.status_code == 201, response.json
    return response.json


def test_an_organisation_has_one_active_binding_and_moving_it_keeps_history(app, as_user, places):
    client = as_user("police")
    org = new_organisation(client)
    url = f"/api/v1/organisations/{org['object_code']}/binding"
    first = client.post(url, json={"address_code": places["township"]["room"]})
    assert first.status_code == 201
    elsewhere = client.post(url, json={"address_code": places["grid"]["room"]})
    assert elsewhere.status_code == 409 and elsewhere.json["code"] == "binding.already_bound"
    assert "确认迁移" in elsewhere.json["detail"]
    moved = client.post(url, json={"address_code": places["grid"]["room"], "confirm_move": True})
    assert moved.status_code == 201
    detail = client.get(f"/api/v1/organisations/{org['object_code']}").json
    assert detail["binding"]["address"]["object_code"] == places["grid"]["room"]
    assert [b["active"] for b in detail["history"]] == [False, True]
    with app.app_context():
        org_id = db.session.scalar(select(Organisation.id).where(Organisation.object_code == org["object_code"]))
        assert db.session.query(Binding).filter_by(organisation_id=org_id, active=True).count() == 1
    same = client.post(url, json={"address_code": places["grid"]["room"], "confirm_move": True})
    assert same.status_code == 409 and same.json["code"] == "state.not_allowed"
    plate = client.post(url, json={"address_code": places["grid"]["building"], "confirm_move": True})
    assert plate.status_code == 422 and plate.json["errors"][0]["field"] == "address_code"


def test_a_fujian_pilot_credit_code_is_accepted_with_a_flag_for_reviewers(as_user):
    from app.standards import credit_code

    pilot = "91350211M00013FA1N"
    assert credit_code.is_pilot_code(pilot) and not credit_code.is_valid(pilot)
    org = new_organisation(as_user("police"), credit_code=pilot, kind="enterprise")
    assert org["credit_code_flags"] == ["credit_code.pilot_check_char"]


def test_a_wrong_credit_code_is_refused_with_the_expected_check_character(as_user):
    client = as_user("police")
    code = credit_code_for()
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    response = client.post("/api/v1/organisations", json={"name": "某某商店", "kind": "individual",
                                                           "credit_code": wrong, "area_code": "420606001"})
    assert response.status_code == 422
    message = response.json["errors"][0]["message"]
    assert response.json["errors"][0]["field"] == "credit_code" and f"应为“{code[17]}”" in message
    missing = client.post("/api/v1/organisations", json={"name": "某某商店", "kind": "individual",
                                                         "area_code": "420606001"})
    assert missing.status_code == 422 and missing.json["errors"][0]["field"] == "credit_code"
    duplicate = client.post("/api/v1/organisations", json={"name": "另一家", "kind": "individual",
                                                           "credit_code": code, "area_code": "420606001"})
    assert duplicate.status_code == 201
    again = client.post("/api/v1/organisations", json={"name": "第三家", "kind": "individual",
                                                       "credit_code": code, "area_code": "420606001"})
    assert again.status_code == 409


def test_organisations_list_by_name_within_jurisdiction(as_user):
    police = as_user("police")
    org = new_organisation(police, name=unique("独一无二") + "有限公司")
    found = police.get("/api/v1/organisations", query_string={"name": org["name"]}).json["items"]
    assert [o["object_code"] for o in found] == [org["object_code"]]
    assert found[0]["phone"].endswith("6789") and "*" in found[0]["phone"]
    # Registered at township level and bound nowhere: not inside any one grid worker's grid.
    assert as_user("grid").get("/api/v1/organisations", query_string={"name": org["name"]}).json["items"] == []


def test_move_out_bad_input(as_user, places):
    client = as_user("police")
    resident, _ = register(client, places["township"]["room"], moved_in="2020-05-01")
    url = f"/api/v1/residents/{resident['id']}/move-out"
    for body, field in (({"version": 1}, "on"), ({"on": "yesterday", "version": 1}, "on"),
                        ({"on": "2019-01-01", "version": 1}, "moved_out")):
        response = client.post(url, json=body)
        assert response.status_code == 422 and response.json["errors"][0]["field"] == field, response.json
    assert client.get(f"/api/v1/residents/{resident['id']}").json["status"] == "active"


def test_an_organisations_phone_is_revealed_only_with_an_audit_row(app, as_user):
    police = as_user("police")
    org = new_organisation(police, phone="13800001111")
    assert org["phone"] == "138****1111"
    assert as_user("street").post(f"/api/v1/organisations/{org['object_code']}/personal").status_code == 403
    full = police.post(f"/api/v1/organisations/{org['object_code']}/personal")
    assert full.json == {"phone": "13800001111"}
    with app.app_context():
        assert db.session.scalar(select(AuditLog.actor_name).where(
            AuditLog.action == "organisation.reveal_personal").order_by(AuditLog.id.desc())) == "police"
