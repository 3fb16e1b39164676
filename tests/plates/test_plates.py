"""Plates in the system: issued once per address, a scan opens the address (and nothing personal),
revoke and reissue, printing in batches with progress, history and a report of refused plates."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from app.actuals.models import Resident
from app.audit.models import AuditLog
from app.extensions import db
from app.jobs.queue import start_in_process_consumer
from app.places.models import Room
from app.plates.models import Plate, PlatePrint
from tests.client import Client, sql_work
from tests.factories import unique
from tests.jobs.test_jobs import wait_until_finished

TOKEN_URL = re.compile(r"^http://127\.0\.0\.1:5000/p/([A-Za-z0-9_-]{16})$")


def qr_texts(image: Image.Image) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]


@pytest.fixture()
def admin(as_user):
    return as_user("admin")


@pytest.fixture()
def address(admin, places) -> dict:
    """A new door plate with a building, a unit and a room, in the grid worker's grid."""
    road = admin.post("/api/v1/roads", json={"name": unique("牌测") + "路", "area_code": "420606"}).json
    plate = admin.post("/api/v1/door-plates", json={"road_id": road["id"], "number": "7", "lon": 112.1351,
                                                     "lat": 32.0462, "area_code": places["grid"]["area"]}).json
    building = admin.post("/api/v1/buildings", json={"door_plate_code": plate["object_code"], "number": "2",
                                                      "floors": 6, "use": "residential"}).json
    unit = admin.post("/api/v1/units", json={"building_code": building["object_code"], "number": "1"}).json
    room = admin.post("/api/v1/rooms", json={"building_code": building["object_code"],
                                             "unit_code": unit["object_code"], "number": "302"}).json
    return {"door": plate, "building": building, "unit": unit, "room": room, "road": road["name"]}


def scan_png(client, code: str, width_px: int = 600) -> str:
    response = client.get(f"/api/v1/addresses/{code}/plate.png?width_px={width_px}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "image/png"
    texts = qr_texts(Image.open(io.BytesIO(response.data)))
    assert len(texts) == 1
    return TOKEN_URL.match(texts[0]).group(1)


def test_each_kind_gets_one_plate_and_its_qr_opens_the_public_page(admin, anonymous, address):
    tokens = {}
    for kind in ("door", "building", "unit", "room"):
        code = address[kind]["object_code"]
        tokens[kind] = scan_png(admin, code)
        assert scan_png(admin, code, width_px=300) == tokens[kind]  # issued once, then the same plate
        history = admin.get(f"/api/v1/addresses/{code}/plates").json
        assert [(p["kind"], p["status"], p["token"]) for p in history] == [(kind, "active", tokens[kind])]
    assert len(set(tokens.values())) == 4

    page = anonymous.get(f"/p/{tokens['room']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"{address['road']}7号2栋1单元302室" in html and "户牌" in html
    assert address["room"]["location"]["grid_code"] in html  # the building's BeiDou code

    scanned = anonymous.get(f"/api/v1/plates/{tokens['door']}")
    assert scanned.status_code == 200
    assert scanned.json["plate"]["kind_label"] == "门牌" and scanned.json["plate"]["status"] == "active"
    assert scanned.json["address"]["text"].endswith(f"{address['road']}7号")
    assert scanned.json["address"]["beidou"] == address["door"]["location"]["grid_code"]


def test_the_public_page_shows_no_personal_data(app, admin, anonymous, places):
    with app.app_context():
        room = db.session.scalar(select(Room).join(Resident, Resident.room_id == Room.id).order_by(Room.id))
        code = room.object_code
        residents = db.session.scalars(select(Resident).where(Resident.room_id == room.id)).all()
        private = [r.name for r in residents] + [r.id_number_masked for r in residents]
        private += [r.phone_masked for r in residents if r.phone_masked]
    assert private
    token = scan_png(admin, code)
    for body in (anonymous.get(f"/p/{token}").get_data(as_text=True),
                 anonymous.get(f"/api/v1/plates/{token}").get_data(as_text=True)):
        assert not [p for p in private if p in body]


def _statements(app, client, url) -> tuple[int, int, bytes]:
    return sql_work(app, lambda: client.get(url))


def test_unknown_and_malformed_tokens_answer_the_same_with_the_same_work(app, anonymous):
    unknown = "Q" * 16
    malformed = ["short", "Q" * 17, "QQQQQQQQQQQQQQQ%21", "%F0%A1%90%93" + "Q" * 15, "Q" * 15 + "="]
    for prefix in ("/p/", "/api/v1/plates/"):
        status, work, body = _statements(app, anonymous, prefix + unknown)
        assert status == 404
        for token in malformed:
            assert _statements(app, anonymous, prefix + token) == (404, work, body), token
    problem = anonymous.get(f"/api/v1/plates/{unknown}")
    assert problem.mimetype == "application/problem+json" and problem.json["code"] == "plate.unknown"
    page = anonymous.get(f"/p/{unknown}", headers={"Accept": "text/html"})
    assert "无法识别这个门牌二维码" in page.get_data(as_text=True)


def test_reissue_and_revoke_keep_the_old_qr_telling_what_happened(app, admin, anonymous, address):
    code = address["door"]["object_code"]
    old = scan_png(admin, code)
    missing_reason = admin.post(f"/api/v1/plates/{old}/reissue", json={})
    assert missing_reason.status_code == 422 and missing_reason.json["errors"][0]["field"] == "reason"

    new = admin.post(f"/api/v1/plates/{old}/reissue", json={"reason": "门牌被撞坏"})
    assert new.status_code == 201 and new.json["token"] != old and new.json["status"] == "active"
    assert scan_png(admin, code) == new.json["token"]
    replaced = anonymous.get(f"/p/{old}").get_data(as_text=True)
    assert "已更换" in replaced and f"{address['road']}7号" in replaced
    assert anonymous.get(f"/api/v1/plates/{old}").json["plate"]["status"] == "replaced"
    assert new.json["token"] not in replaced  # the old QR does not hand out the new one
    again = admin.post(f"/api/v1/plates/{old}/reissue", json={"reason": "再换一次"})
    assert again.status_code == 409 and again.json["code"] == "state.not_allowed"

    revoked = admin.post(f"/api/v1/plates/{new.json['token']}/revoke", json={"reason": "楼栋拆除"})
    assert revoked.status_code == 200 and revoked.json["status"] == "revoked"
    assert "已停用" in anonymous.get(f"/p/{new.json['token']}").get_data(as_text=True)
    history = admin.get(f"/api/v1/addresses/{code}/plates").json
    assert [(p["status"], p["reason"]) for p in history] == [("revoked", "楼栋拆除"), ("replaced", "门牌被撞坏")]
    with app.app_context():
        actions = db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "plate")
                                     .order_by(AuditLog.id.desc()).limit(4)).all()
    assert actions == ["plate.revoke", "plate.issue", "plate.replace", "plate.issue"]


def test_only_admins_inside_the_jurisdiction_manage_plates(app, admin, as_user, address, places):
    token = scan_png(admin, address["room"]["object_code"])
    police = as_user("police")
    assert police.get(f"/api/v1/addresses/{address['room']['object_code']}/plate.png").status_code == 403
    assert police.post(f"/api/v1/plates/{token}/revoke", json={"reason": "试试"}).status_code == 403
    assert police.get("/plates").status_code == 403

    created = admin.post("/api/v1/users", json={"username": unique("xc-admin"), "role": "admin",
                                                "password": "xiangcheng-1", "area_codes": ["420602"]})
    assert created.status_code == 201, created.json
    xiangcheng = Client(app.test_client()).sign_in(created.json["username"], "xiangcheng-1")
    assert xiangcheng.post(f"/api/v1/plates/{token}/revoke", json={"reason": "越权"}).status_code == 404
    assert xiangcheng.get(f"/api/v1/addresses/{address['room']['object_code']}/plates").status_code == 404
    outside = xiangcheng.post("/api/v1/plate-prints", json={"area_code": "420606", "kinds": ["door"]})
    assert outside.status_code == 404
    assert admin.get(f"/api/v1/addresses/{address['room']['object_code']}/plates").json[0]["status"] == "active"


def test_scans_are_rate_limited_per_client(app, anonymous):
    old = app.config["RATELIMIT_PLATE_SCAN"]
    app.config["RATELIMIT_PLATE_SCAN"] = "3 per minute"
    try:
        first = [anonymous.get("/api/v1/plates/" + "R" * 16, environ_base={"REMOTE_ADDR": "10.9.9.9"})
                 for _ in range(4)]
        other = anonymous.get("/api/v1/plates/" + "R" * 16, environ_base={"REMOTE_ADDR": "10.9.9.10"})
    finally:
        app.config["RATELIMIT_PLATE_SCAN"] = old
    assert [r.status_code for r in first] == [404, 404, 404, 429]
    assert first[3].json["code"] == "request.rate_limited"
    assert other.status_code == 404


def test_a_print_job_streams_a_pdf_with_progress_and_keeps_the_history(app, admin, address, places):
    start_in_process_consumer()
    grid = places["grid"]["area"]
    started = admin.post("/api/v1/plate-prints", json={"area_code": grid, "kinds": ["door", "room"], "layout": "A4"})
    assert started.status_code == 202, started.json
    job, seen = wait_until_finished(admin, started.json["id"])
    assert job["status"] == "done", job
    assert job["done"] == job["total"] > 1 and job["message"].startswith("已生成")
    pdf = admin.get(job["download"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    document = pdfium.PdfDocument(pdf.data)
    urls = qr_texts(document[0].render(scale=300 / 72).to_pil())
    assert urls and all(TOKEN_URL.match(u) for u in urls)
    with app.app_context():
        tokens = [TOKEN_URL.match(u).group(1) for u in urls]
        plates = db.session.scalars(select(Plate).where(Plate.token.in_(tokens))).all()
        assert len(plates) == len(tokens) and all(p.status == "active" and p.prints >= 1 for p in plates)
        printed = db.session.scalar(select(func.count()).select_from(PlatePrint)
                                    .where(PlatePrint.job_id == job["id"]))
    assert printed == job["total"]


def test_print_requests_with_bad_input_say_what_to_fix(admin, places):
    grid = places["grid"]["area"]
    cases = [
        ({}, "area_code"),
        ({"area_code": grid, "object_codes": [places["grid"]["room"]]}, "area_code"),
        ({"area_code": grid, "kinds": ["gate"]}, "kinds.0"),
        ({"area_code": grid, "kinds": []}, "kinds"),
        ({"area_code": grid, "layout": "A5"}, "layout"),
        ({"area_code": grid, "colour": "red"}, "colour"),
        ({"object_codes": ["12345"]}, "object_codes.0"),
    ]
    for body, field in cases:
        response = admin.post("/api/v1/plate-prints", json=body)
        assert response.status_code == 422, (body, response.json)
        assert field in [e["field"] for e in response.json["errors"]], (body, response.json)
    unknown = admin.post("/api/v1/plate-prints", json={"area_code": "429999"})
    assert unknown.status_code == 404


def test_a_name_the_font_cannot_draw_is_refused_and_reported(app, admin):
    village = "420684103229"  # 高村委会 holds U+E170, a private-use character
    road = admin.post("/api/v1/roads", json={"name": unique("私用") + "路", "area_code": "420684"}).json
    door = admin.post("/api/v1/door-plates", json={"road_id": road["id"], "number": "1", "lon": 111.95,
                                                    "lat": 31.72, "area_code": village})
    assert door.status_code == 201, door.json
    png = admin.get(f"/api/v1/addresses/{door.json['object_code']}/plate.png")
    assert png.status_code == 422 and png.json["code"] == "plate.unprintable" and "U+E170" in png.json["detail"]

    start_in_process_consumer()
    started = admin.post("/api/v1/plate-prints", json={"object_codes": [door.json["object_code"]],
                                                        "kinds": ["door"], "layout": "plate"})
    job, _ = wait_until_finished(admin, started.json["id"])
    assert job["status"] == "done"
    assert "1 块无法打印" in job["message"] and "U+E170" in job["message"]
    assert door.json["object_code"] in job["message"]


def test_flask_plates_render_writes_the_pdf_with_a_progress_bar(app, places, tmp_path):
    out = tmp_path / "rooms.pdf"
    result = app.test_cli_runner().invoke(args=["plates", "render", "--area", places["grid"]["area"],
                                                "--kind", "room", "--layout", "A4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "已生成" in result.output and "块" in result.output
    document = pdfium.PdfDocument(out.read_bytes())
    assert len(document) >= 1 and qr_texts(document[0].render(scale=300 / 72).to_pil())
    missing = app.test_cli_runner().invoke(args=["plates", "render", "--out", str(out)])
    assert missing.exit_code != 0 and "--area" in missing.output


def test_admin_pages_preview_and_replace_a_plate(app, admin, anonymous, as_user, address, places):
    page = admin.get(f"/plates?area={places['grid']['area']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "门牌种类" in html and "样牌预览" in html and "开始生成" in html
    bad_area = admin.get("/plates?area=999999").get_data(as_text=True)
    assert "未找到该对象" in bad_area

    code = address["building"]["object_code"]
    detail = admin.get(f"/plates/a/{code}").get_data(as_text=True)
    assert "还没有在用的楼牌" in detail and "换发新牌" not in detail
    assert admin.post(f"/plates/a/{code}/issue", data={"csrf_token": admin.token}).status_code == 302
    detail = admin.get(f"/plates/a/{code}").get_data(as_text=True)
    assert "换发新牌" in detail and "未打印" in detail
    with app.app_context():
        issued = db.session.scalar(select(Plate.issued_at).where(Plate.object_code == code))
    beijing = (issued.replace(tzinfo=None) + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert f"<dt>发牌时间</dt><dd>{beijing}</dd>" in detail  # shown in China time, stored in UTC
    token = scan_png(admin, code)
    form = admin.post(f"/plates/{token}/reissue", data={"reason": "", "csrf_token": admin.token})
    assert form.status_code == 302
    assert scan_png(admin, code) == token  # no reason, nothing changed
    form = admin.post(f"/plates/{token}/reissue", data={"reason": "褪色看不清", "csrf_token": admin.token})
    assert form.status_code == 302 and scan_png(admin, code) != token
    assert "已换发新门牌" in admin.get(f"/plates/a/{code}").get_data(as_text=True)


def test_a_scan_takes_field_staff_into_the_field_app_at_the_plate(app, admin, anonymous, as_user, address):
    from app.places.addresses import door_plate_of, find_by_code

    code = address["room"]["object_code"]
    token = scan_png(admin, code)
    with app.app_context():
        plate_code = door_plate_of(find_by_code(code)).object_code
    into_app = f"/app/#/site/{plate_code}?token={token}"
    police = as_user("police")
    assert police.get(f"/p/{token}?via=app").headers["Location"].endswith(into_app)
    assert "/login" in anonymous.get(f"/p/{token}?via=app").headers["Location"]
    page = as_user("grid").get(f"/p/{token}").get_data(as_text=True)
    assert "在系统中查看此地址" in page and into_app in page and "在采集应用中打开" in page
    # A reviewer sees the address in the system but has nothing to collect; the public sees neither.
    reviewer = as_user("street").get(f"/p/{token}").get_data(as_text=True)
    assert "在系统中查看此地址" in reviewer and "在采集应用中打开" not in reviewer
    assert as_user("street").get(f"/p/{token}?via=app").headers["Location"].endswith(f"/places/a/{code}")
    public = anonymous.get(f"/p/{token}").get_data(as_text=True)
    assert "在系统中查看此地址" not in public and "/app/" not in public


def test_without_a_chinese_font_the_admin_is_told_how_to_fix_it(admin, address, monkeypatch):
    from app.plates import render

    def no_font(*args, **kwargs):
        raise render.FontMissing()

    monkeypatch.setattr(render, "render_png", no_font)
    response = admin.get(f"/api/v1/addresses/{address['door']['object_code']}/plate.png")
    assert response.status_code == 503 and response.json["code"] == "plate.font_missing"
    assert "fonts-noto-cjk" in response.json["detail"] and "No Chinese" not in response.json["detail"]


def test_the_printing_page_warns_when_the_public_address_makes_the_qr_too_big(app, admin, places):
    url = f"/plates?area={places['grid']['area']}"
    html = admin.get(url).get_data(as_text=True)
    assert "QR 版本 4" in html and "建议不超过 4" not in html  # http://127.0.0.1:5000/p/ + 16
    old = app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = "https://yibiao-standard-address.xiangyang.hubei.gov.cn"
    try:
        html = admin.get(url).get_data(as_text=True)
    finally:
        app.config["PUBLIC_BASE_URL"] = old
    assert "建议不超过 4" in html and "请改用更短的域名" in html
