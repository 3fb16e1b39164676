"""Resident self-report from a door plate: the three forms, their rules, the receipt, the limits, and
what approval does; nothing a response says tells whether a person, a business or a plate exists."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from app import privacy
from app.actuals.models import Binding, Organisation, Resident
from app.audit.models import AuditLog
from app.collect.models import Submission
from app.extensions import db
from app.places.models import Building, DoorPlate, Room
from app.reports.models import PublicReport
from tests.client import Client, at_once, sql_work
from tests.collect.test_collect import jpeg
from tests.factories import approve_all_steps, credit_code_for, fresh_id_number, id_number_for, unique
from tests.plates.test_plates import scan_png
from tests.review.test_review import make_user

ERROR = re.compile(r'<span class="field-error" id="e-([a-z_]+)" role="alert">([^<]+)</span>')


@pytest.fixture()
def token(as_user, places):
    """The active plate of a door plate in the grid worker's grid, issued now."""
    return scan_png(as_user("admin"), places["grid"]["plate"])


@pytest.fixture()
def building_token(as_user, places):
    return scan_png(as_user("admin"), places["grid"]["building"])


def residence(**overrides) -> dict:
    body = {"name": "李四", "id_number": fresh_id_number(), "phone": "13912345678", "unit": "1",
            "room": str(800 + int(unique("")) % 199), "moved_in": "2026-10-08", "reason": "work", "consent": "1"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def form_post(client, token: str, kind: str, data: dict, **kw):
    return client.post(f"/p/{token}/report/{kind}", data=data, **kw)


def receipt_of(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return re.fullmatch(r"/r/([A-Za-z0-9_-]+)\?new=1", response.headers["Location"]).group(1)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def submission_of(app, receipt: str) -> dict:
    with app.app_context():
        report = db.session.scalar(select(PublicReport).where(PublicReport.receipt_token == receipt))
        return {"client_id": report.submission.client_id, "reference": report.reference,
                "status": report.submission.status, "data": report.submission.data,
                "step_role": report.submission.step_role}


def state_of(anonymous, receipt: str) -> str:
    page = anonymous.get(f"/r/{receipt}")
    assert page.status_code == 200
    return re.search(r'id="state" data-status="([a-z_]+)"', page.get_data(as_text=True)).group(1)


# --- the page and the three reports ------------------------------------------------------------

def test_the_plate_page_offers_the_three_reports_only_while_the_plate_is_in_use(as_user, anonymous, places):
    admin = as_user("admin")
    token = scan_png(admin, places["grid"]["room"])
    scanned = anonymous.get(f"/p/{token}")
    assert "Set-Cookie" not in scanned.headers  # a resident's scan leaves nothing on the phone
    page = scanned.get_data(as_text=True)
    for kind, label in (("residence", "我住这里"), ("org_change", "单位信息变更"), ("plate_problem", "门牌问题")):
        assert f"/p/{token}/report/{kind}" in page and label in page
        form = anonymous.get(f"/p/{token}/report/{kind}")
        assert form.status_code == 200 and label in form.get_data(as_text=True)
    assert admin.post(f"/api/v1/plates/{token}/revoke", json={"reason": "测试停用"}).status_code == 200
    revoked = anonymous.get(f"/p/{token}").get_data(as_text=True)
    assert "已停用" in revoked and "report-actions" not in revoked
    assert anonymous.get(f"/p/{token}/report/residence").status_code == 404


def test_a_resident_declares_a_room_not_on_record_and_two_approvals_register_them_floating(app, as_user, anonymous,
                                                                                        building_token):
    body = residence()
    receipt = receipt_of(form_post(anonymous, building_token, "residence", body))
    page = anonymous.get(f"/r/{receipt}?new=1").get_data(as_text=True)
    assert "已提交" in page and "已受理" in page
    assert body["name"] not in page and body["id_number"] not in page and body["phone"] not in page
    item = submission_of(app, receipt)
    assert item["step_role"] == "police" and re.fullmatch(r"R[2-9A-HJKMNP-Z]{8}", item["reference"])
    assert body["id_number"] not in str(item["data"]) and body["phone"] not in str(item["data"])
    with app.app_context():  # stored protected, as a resident's is
        report = db.session.scalar(select(PublicReport).where(PublicReport.receipt_token == receipt))
        assert privacy.unseal(report.id_number_enc) == body["id_number"]
        assert report.id_number_masked == body["id_number"][:4] + "*" * 10 + body["id_number"][-4:]

    police = as_user("police")
    shown = police.get(f"/api/v1/review/items/{item['client_id']}").json
    assert shown["public"] is True and "room.new" in [f["code"] for f in shown["flags"]]
    assert as_user("police").post(f"/api/v1/review/items/{item['client_id']}/approve", json={}).json["status"] == "in_review"
    assert state_of(anonymous, receipt) == "in_review"
    done = approve_all_steps(as_user, item["client_id"])
    assert done["status"] == "approved"
    assert state_of(anonymous, receipt) == "approved"
    with app.app_context():
        resident = db.session.scalar(select(Resident).where(Resident.id_number_hash == privacy.blind_index(body["id_number"])))
        assert resident.kind == "floating" and resident.status == "active" and resident.name == "李四"
        assert resident.room.number == body["room"] and resident.room.unit.number == "1"
        assert str(resident.moved_in) == "2026-10-08"


def test_a_resident_moving_from_another_address_is_moved_out_there(app, as_user, anonymous, places, building_token):
    with app.app_context():
        room = db.session.scalar(select(Room).join(Building).where(Building.object_code == places["grid"]["building"])
                                 .order_by(Room.id))
        old = db.session.scalar(select(Resident).where(Resident.status == "active", Resident.room_id != room.id)
                                .order_by(Resident.id.desc()))
        number = privacy.unseal(old.id_number_enc)
        old_id = old.id
    receipt = receipt_of(form_post(anonymous, building_token, "residence", residence(id_number=number, room_id=str(room.id))))
    item = submission_of(app, receipt)
    flags = as_user("police").get(f"/api/v1/review/items/{item['client_id']}").json["flags"]
    assert "resident.elsewhere" in [f["code"] for f in flags]
    approve_all_steps(as_user, item["client_id"])
    with app.app_context():
        assert db.session.get(Resident, old_id).status == "moved_out"
        now = db.session.scalars(select(Resident).where(Resident.id_number_hash == privacy.blind_index(number),
                                                        Resident.status == "active")).all()
        assert [(r.room_id, r.kind) for r in now] == [(room.id, "floating")]


def test_a_business_change_renames_and_a_new_business_is_registered_and_bound(app, as_user, anonymous, token, places):
    with app.app_context():
        plate = db.session.scalar(select(DoorPlate).where(DoorPlate.object_code == places["grid"]["plate"]))
        org = Organisation(name=unique("旧名小店"), kind="individual", credit_code=credit_code_for("92"),
                           area_id=plate.area_id, object_code=unique("ORG").rjust(21, "0"))
        db.session.add(org)
        db.session.flush()
        db.session.add(Binding(organisation_id=org.id, door_plate_id=plate.id))
        db.session.commit()
        org_id, plate_id = org.id, plate.id
    form = anonymous.get(f"/p/{token}/report/org_change").get_data(as_text=True)
    assert f'value="{org_id}"' in form  # the businesses at this address are offered
    new_name = unique("新名小店")
    renamed = receipt_of(form_post(anonymous, token, "org_change", {
        "organisation_id": str(org_id), "changes": ["name", "contact"], "org_name": new_name, "phone": "13700001111",
        "photo": (io.BytesIO(jpeg(7)), "front.jpg")}, content_type="multipart/form-data"))
    code = credit_code_for("92")
    opened = receipt_of(form_post(anonymous, token, "org_change", {"changes": "opened", "org_name": unique("新开小店"),
                                                                   "credit_code": code}))
    for receipt in (renamed, opened):
        approve_all_steps(as_user, submission_of(app, receipt)["client_id"])
    with app.app_context():
        org = db.session.get(Organisation, org_id)
        assert org.name == new_name and org.phone_masked == "137****1111" and org.version == 2
        new = db.session.scalar(select(Organisation).where(Organisation.credit_code == code))
        assert new.active_binding.door_plate_id == plate_id
        photo = db.session.scalar(select(Submission).join(PublicReport).where(PublicReport.receipt_token == renamed)).photos
        assert len(photo) == 1


def test_a_plate_problem_becomes_a_task_in_the_grid_workers_inbox(app, as_user, anonymous, token, places):
    note = unique("门牌被撞弯了")
    receipt = receipt_of(form_post(anonymous, token, "plate_problem", {"problem": "damaged", "note": note}))
    item = submission_of(app, receipt)
    assert item["step_role"] == "street_reviewer"
    grid = as_user("grid")
    assert note not in str(grid.get("/api/v1/tasks").json)
    approve_all_steps(as_user, item["client_id"])
    tasks = [t for t in grid.get("/api/v1/tasks").json if t["detail"] == note]
    assert len(tasks) == 1 and tasks[0]["title"] == "门牌问题：门牌损坏" and tasks[0]["status"] == "open"
    assert tasks[0]["door_plate_code"] and tasks[0]["due_at"] > tasks[0]["created_at"]
    other_grid = make_user(as_user, "grid_worker", areas=[places["township"]["area"]])
    assert other_grid.get("/api/v1/tasks").status_code == 200
    assert note not in str(other_grid.get("/api/v1/tasks").json)  # not this grid's


def test_returned_for_more_information_is_what_the_receipt_says(app, as_user, anonymous, token):
    receipt = receipt_of(form_post(anonymous, token, "plate_problem", {"problem": "missing"}))
    client_id = submission_of(app, receipt)["client_id"]
    answer = as_user("street").post(f"/api/v1/review/items/{client_id}/return",
                                    json={"reason": "请提供照片", "comments": {"note": "看不出是哪块门牌"}})
    assert answer.status_code == 200, answer.json
    assert state_of(anonymous, receipt) == "returned"
    assert "补充信息" in anonymous.get(f"/r/{receipt}").get_data(as_text=True)
    api = anonymous.get(f"/api/v1/public/receipts/{receipt}").json
    assert api["status"] == "returned" and api["state"] == "需补充信息" and "请提供照片" not in str(api)


# --- the reviewer's side -----------------------------------------------------------------------

def test_reviewers_see_a_badge_masked_numbers_and_full_ones_only_audited(app, as_user, anonymous, building_token):
    body = residence()
    receipt = receipt_of(form_post(anonymous, building_token, "residence", body))
    client_id = submission_of(app, receipt)["client_id"]
    police = as_user("police")
    queue = police.get("/review/").get_data(as_text=True)
    assert "居民申报" in queue and client_id in queue
    page = police.get(f"/review/items/{client_id}").get_data(as_text=True)
    masked = body["id_number"][:4] + "*" * 10 + body["id_number"][-4:]
    assert 'id="public-badge"' in page and masked in page and body["id_number"] not in page
    assert body["phone"] not in page and "139****5678" in page
    full = police.post(f"/api/v1/review/items/{client_id}/personal")
    assert full.status_code == 200 and full.json == {"id_number": body["id_number"], "phone": body["phone"]}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "public_report.reveal_personal", AuditLog.actor_name == "police")) >= 1
    street = as_user("street")  # no personal.full
    assert street.post(f"/api/v1/review/items/{client_id}/personal").status_code == 403
    assert "查看完整" not in street.get(f"/review/items/{client_id}").get_data(as_text=True)


# --- bad input ---------------------------------------------------------------------------------

BAD_RESIDENCE = [
    ({"name": ""}, "name", "请填写姓名"),
    ({"name": "张" * 33}, "name", "姓名不超过 32 个字"),
    ({"id_number": id_number_for()[:17] + ("0" if id_number_for()[17] != "0" else "1")}, "id_number", "校验码错误"),
    ({"id_number": "420606" + "19901301" + "0011"}, "id_number", "出生日期"),
    ({"id_number": "42060619900101"}, "id_number", "应为18位"),
    ({"phone": "12345"}, "phone", "联系电话应为 11 位手机号"),
    ({"moved_in": "2026/10/08"}, "moved_in", "入住日期应为“年-月-日”"),
    ({"moved_in": "2099-01-01"}, "moved_in", "入住日期应在 1950-01-01 到 "),
    ({"moved_in": "1949-12-31"}, "moved_in", "入住日期应在 1950-01-01 到 "),
    ({"reason": "tourism"}, "reason", "请选择来此事由"),
    ({"consent": None}, "consent", "请阅读并勾选同意声明"),
    ({"room": ""}, "room", "请填写户室号"),
    ({"room": "三零一"}, "room", "户室号只写数字或字母"),
    ({"room_id": "999999999"}, "room_id", "请从列表中选择居住户室"),
    ({"unit": "一"}, "unit", "单元只写数字或字母"),
]


@pytest.mark.parametrize("change,field,message", BAD_RESIDENCE, ids=[f"{c[1]}-{i}" for i, c in enumerate(BAD_RESIDENCE)])
def test_each_residence_rule_names_its_field_and_stores_nothing(app, anonymous, building_token, change, field, message):
    with app.app_context():
        before = (count(Submission), count(PublicReport))
    page = form_post(anonymous, building_token, "residence", residence(**change))
    assert page.status_code == 422
    errors = dict(ERROR.findall(page.get_data(as_text=True)))
    assert field in errors and message in errors[field], errors
    api = anonymous.post(f"/api/v1/public/plates/{building_token}/reports/residence", json=residence(**change))
    assert api.status_code == 422 and api.mimetype == "application/problem+json"
    assert any(e["field"] == field and message in e["message"] for e in api.json["errors"]), api.json
    with app.app_context():
        assert (count(Submission), count(PublicReport)) == before


@pytest.mark.parametrize("data,field,message", [
    ({"changes": "name", "org_name": "某店", "credit_code": "91420606MA4XXXXXX1"}, "credit_code", "统一社会信用代码校验码错误"),
    ({"org_name": "某店", "credit_code": credit_code_for()}, "changes", "请勾选变更事项"),
    ({"changes": "opened", "credit_code": credit_code_for()}, "org_name", "请填写单位名称"),
    ({"changes": "opened", "org_name": "某店"}, "credit_code", "新登记的单位请填写"),
    ({"changes": "other", "org_name": "某店", "credit_code": credit_code_for(), "phone": "abc"}, "phone", "联系电话应为"),
    ({"changes": "name", "org_name": "店" * 65, "credit_code": credit_code_for()}, "org_name", "单位名称不超过 64 个字"),
    ({"changes": "contact", "org_name": "某店", "credit_code": credit_code_for(), "contact": "张" * 33}, "contact",
     "联系人不超过 32 个字"),
    ({"changes": "other", "org_name": "某店", "credit_code": credit_code_for(), "note": "说" * 301}, "note",
     "说明不超过 300 个字"),
    ({"changes": "closed", "organisation_id": "999999999"}, "organisation_id", "请从列表中选择单位"),
    ({"changes": "sold"}, "changes", "请勾选变更事项"),
    ({"note": "x"}, "problem", "请选择问题"),
    ({"problem": "stolen"}, "problem", "请选择问题"),
    ({"problem": "damaged", "note": "说" * 301}, "note", "说明不超过 300 个字"),
])
def test_business_and_plate_rules_name_their_field(app, anonymous, token, data, field, message):
    kind = "plate_problem" if "problem" in data or field == "problem" else "org_change"
    page = form_post(anonymous, token, kind, data)
    errors = dict(ERROR.findall(page.get_data(as_text=True)))
    assert page.status_code == 422 and message in errors.get(field, ""), errors


def test_a_photo_that_is_not_an_image_or_too_large_is_refused_whole(app, anonymous, token):
    with app.app_context():
        before = count(Submission)
    for data, message in ((b"%PDF-1.4 not a photo", "只接受 JPEG、PNG 或 WebP 照片"),
                          (b"\xff\xd8\xff" + b"0" * (app.config["PHOTO_MAX_BYTES"] + 1), "超过上限")):
        page = form_post(anonymous, token, "plate_problem", {"problem": "damaged", "photo": (io.BytesIO(data), "p.jpg")},
                         content_type="multipart/form-data")
        errors = dict(ERROR.findall(page.get_data(as_text=True)))
        assert page.status_code == 422 and message in errors.get("photo", ""), errors
    huge = form_post(anonymous, token, "plate_problem", {"problem": "damaged",
                                                          "photo": (io.BytesIO(b"0" * (50 * 1024 * 1024)), "p.jpg")},
                     content_type="multipart/form-data")
    assert huge.status_code == 413
    with app.app_context():
        assert count(Submission) == before


# --- abuse ---------------------------------------------------------------------------------------

def test_someone_typing_another_persons_id_number_and_room_gets_a_receipt_of_their_own_and_learns_nothing(
        app, anonymous, building_token):
    victim = residence()
    victims = receipt_of(form_post(anonymous, building_token, "residence", victim))
    attacker = {**victim, "name": "赵六", "phone": "13600000000"}
    for send in (lambda: form_post(anonymous, building_token, "residence", attacker),
                 lambda: anonymous.post(f"/api/v1/public/plates/{building_token}/reports/residence", json=attacker)):
        answer = send()
        assert victims not in answer.get_data(as_text=True) and victims not in str(answer.headers)
        own = receipt_of(answer) if answer.status_code == 303 else answer.json["receipt_token"]
        assert own != victims
        state = anonymous.get(f"/api/v1/public/receipts/{own}").json
        assert state["status"] == "submitted" and state["reference"] == submission_of(app, own)["reference"]
        with app.app_context():  # what the attacker typed is kept, for the reviewer: nothing is dropped
            report = db.session.scalar(select(PublicReport).where(PublicReport.receipt_token == own))
            assert (report.submission.data["name"], report.phone_masked) == ("赵六", "136****0000")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PublicReport).where(
            PublicReport.id_number_hash == privacy.blind_index(victim["id_number"]))) == 3


def test_the_reviewer_sees_a_repeated_declaration_flagged_and_both_linked(app, as_user, anonymous, building_token):
    first = residence()
    earlier = submission_of(app, receipt_of(form_post(anonymous, building_token, "residence", first)))
    again = submission_of(app, receipt_of(form_post(anonymous, building_token, "residence", {**first, "name": "赵六"})))
    other_room = submission_of(app, receipt_of(form_post(anonymous, building_token, "residence",
                                                         {**first, "room": first["room"] + "1"})))
    police = as_user("police")
    flags = lambda s: [f["code"] for f in police.get(f"/api/v1/review/items/{s['client_id']}").json["flags"]]  # noqa: E731
    assert "report.repeat" in flags(again) and "report.repeat" not in flags(earlier) + flags(other_room)
    page = police.get(f"/review/items/{again['client_id']}").get_data(as_text=True)
    assert "同一人对同一户室的申报" in page and earlier["client_id"] in page
    assert "同一人对同一户室已有待审核的申报" in page
    with app.app_context():  # a room on record, once chosen from the list and once typed: the same room
        room = db.session.scalar(select(Room).join(Building).where(
            Building.id == db.session.scalar(select(Submission.building_id).where(
                Submission.client_id == earlier["client_id"]))).order_by(Room.id))
        typed = {"unit": room.unit.number if room.unit else "", "room": room.number}
    chosen = submission_of(app, receipt_of(form_post(anonymous, building_token, "residence", {**first, "room_id": str(room.id)})))
    retyped = submission_of(app, receipt_of(form_post(anonymous, building_token, "residence", {**first, **typed})))
    assert "report.repeat" not in flags(chosen) and "report.repeat" in flags(retyped)
    # Deciding one leaves the other to its reviewer: it may differ in what matters (a name, a phone).
    approve_all_steps(as_user, earlier["client_id"])
    assert police.get(f"/api/v1/review/items/{again['client_id']}").json["status"] == "submitted"


def form_id(page) -> str:
    return re.search(r'name="client_id" value="([0-9a-f-]{36})"', page.get_data(as_text=True)).group(1)


def test_the_same_form_sent_again_gets_its_own_receipt_back_and_is_stored_once(app, anonymous, building_token):
    client_id = form_id(anonymous.get(f"/p/{building_token}/report/residence"))
    assert client_id != form_id(anonymous.get(f"/p/{building_token}/report/residence"))  # one per form shown
    body = {**residence(), "client_id": client_id}
    answers = at_once(*(lambda: form_post(Client(app.test_client()), building_token, "residence", body) for _ in range(5)))
    receipts = {receipt_of(a) for a in answers}
    assert len(receipts) == 1  # a double tap, a retry after a lost connection: one declaration
    assert receipt_of(form_post(anonymous, building_token, "residence", body)) in receipts
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PublicReport).where(
            PublicReport.id_number_hash == privacy.blind_index(body["id_number"]))) == 1
    changed = form_post(anonymous, building_token, "residence", {**body, "phone": "13700000000"})
    assert changed.status_code == 409 and "另一份内容不同的申报" in changed.get_data(as_text=True)
    assert form_id(changed) != client_id  # the form shown again sends a new declaration
    api = f"/api/v1/public/plates/{building_token}/reports/residence"
    sent = {**residence(), "client_id": str(__import__("uuid").uuid4())}
    assert anonymous.post(api, json=sent).json == anonymous.post(api, json=sent).json
    refused = anonymous.post(api, json={**sent, "name": "赵六"})
    assert refused.status_code == 409 and refused.json["code"] == "submission.conflict"
    bad = anonymous.post(api, json={**residence(), "client_id": "12"})
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "client_id"


def test_a_filled_honeypot_looks_accepted_and_stores_nothing(app, anonymous, token):
    with app.app_context():
        before = count(Submission)
    trap = form_post(anonymous, token, "plate_problem", {"problem": "damaged", "homepage": "http://spam.example"})
    real = form_post(anonymous, token, "plate_problem", {"problem": "damaged"})
    assert trap.status_code == real.status_code == 303
    assert re.fullmatch(r"/r/[A-Za-z0-9_-]{16}\?new=1", trap.headers["Location"])
    api = anonymous.post(f"/api/v1/public/plates/{token}/reports/plate_problem", json={"problem": "damaged", "homepage": "x"})
    assert api.status_code == 202 and set(api.json) == {"reference", "receipt_token", "status_url"}
    with app.app_context():
        assert count(Submission) == before + 1  # only the real one


def test_reports_are_rate_limited_per_client_and_per_plate(app, as_user, places):
    admin = as_user("admin")
    one, two = scan_png(admin, places["township"]["plate"]), scan_png(admin, places["township"]["building"])
    def client(ip: str) -> Client:
        flask_client = app.test_client()
        flask_client.environ_base["REMOTE_ADDR"] = ip
        return Client(flask_client)

    app.config.update(RATELIMIT_REPORT_CLIENT="3 per minute", RATELIMIT_REPORT_PLATE="5 per minute")
    try:
        a = client("10.9.0.1")
        assert [form_post(a, two, "plate_problem", {"problem": "other"}).status_code for _ in range(4)] == [303] * 3 + [429]
        assert "请求过于频繁（限额：每 1 分钟 3 次）" in form_post(a, two, "plate_problem", {"problem": "other"}).get_data(as_text=True)
        by_many = [form_post(client(f"10.9.1.{i}"), one, "plate_problem", {"problem": "other"}).status_code
                   for i in range(6)]
        assert by_many == [303] * 5 + [429]
        api = client("10.9.2.1").post(f"/api/v1/public/plates/{one}/reports/plate_problem", json={"problem": "other"})
        assert api.status_code == 429 and api.json["code"] == "request.rate_limited"
    finally:
        app.config.update(RATELIMIT_REPORT_CLIENT="1000 per minute", RATELIMIT_REPORT_PLATE="1000 per minute")


# --- no enumeration ------------------------------------------------------------------------------

def test_unknown_replaced_and_revoked_plates_answer_reports_alike(app, as_user, anonymous, places):
    admin = as_user("admin")
    revoked = scan_png(admin, places["district"]["plate"])
    assert admin.post(f"/api/v1/plates/{revoked}/revoke", json={"reason": "测试"}).status_code == 200
    replaced = scan_png(admin, places["district"]["building"])
    assert admin.post(f"/api/v1/plates/{replaced}/reissue", json={"reason": "测试"}).status_code == 201
    body = {"problem": "damaged"}
    for send in (lambda t: anonymous.get(f"/p/{t}/report/plate_problem"),
                 lambda t: form_post(anonymous, t, "plate_problem", body),
                 lambda t: anonymous.post(f"/api/v1/public/plates/{t}/reports/plate_problem", json=body)):
        unknown = sql_work(app, lambda: send("Q" * 16))
        assert unknown[0] == 404
        for t in (revoked, replaced, "short"):
            assert sql_work(app, lambda: send(t)) == unknown, t


def test_a_report_tells_nothing_of_who_or_what_is_registered(app, anonymous, building_token, token):
    with app.app_context():
        registered = privacy.unseal(db.session.scalar(select(Resident.id_number_enc).where(Resident.status == "active")))
        taken_code = db.session.scalar(select(Organisation.credit_code).where(Organisation.credit_code.is_not(None)))
    shape = lambda r: (r.status_code, sorted(r.json))  # noqa: E731
    url = f"/api/v1/public/plates/{building_token}/reports/residence"
    assert shape(anonymous.post(url, json=residence(id_number=registered))) == shape(anonymous.post(url, json=residence()))
    url = f"/api/v1/public/plates/{token}/reports/org_change"
    new = {"changes": ["opened"], "org_name": "某某店"}
    assert shape(anonymous.post(url, json={**new, "credit_code": taken_code})) == shape(
        anonymous.post(url, json={**new, "credit_code": credit_code_for()}))
    assert anonymous.get("/r/" + "Q" * 16).status_code == 404
    assert anonymous.get("/api/v1/public/receipts/" + "Q" * 16).json["code"] == "resource.not_found"


def test_behind_a_trusted_proxy_each_phone_has_its_own_limit_and_otherwise_the_header_is_ignored(app, as_user, places):
    from app import create_app
    from app.jobs.services import bind_app
    from config import TestConfig

    token = scan_png(as_user("admin"), places["district"]["building"])
    phones = ["10.1.0.1"] * 3 + ["10.1.0.2", "10.1.0.3"]
    for proxies, expected in ((1, [303, 303, 429, 303, 303]), (0, [303, 303, 429, 429, 429])):
        class Config(TestConfig):
            TRUSTED_PROXIES = proxies
            RATELIMIT_REPORT_CLIENT = "2 per minute"

        try:
            client = create_app(Config).test_client()
            answers = [client.post(f"/p/{token}/report/plate_problem", data={"problem": "other"},
                                   headers={"X-Forwarded-For": phone}).status_code for phone in phones]
        finally:
            bind_app(app)  # background jobs of the other tests run in the session's app
        assert answers == expected, proxies
