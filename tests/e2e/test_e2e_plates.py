"""QR plates as people meet them: a phone camera opens a plate's public page (the address, no personal
data; the old QR of a replaced plate says so), and an admin prints a batch whose PDF QR codes open
that page."""
import io
import re
from urllib.parse import urlsplit

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from app.standards import object_code

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN", "device_scale_factor": 2}
TOKEN_PATH = re.compile(r"^/p/([A-Za-z0-9_-]{16})$")


def _qr_texts(image: Image.Image) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]


def _personal_data(app, room_code: str) -> list[str]:
    """Names, masked ID numbers and masked phones of everyone recorded in the room."""
    from app.actuals.models import Resident
    from app.extensions import db
    from app.places.models import Room

    with app.app_context():
        residents = db.session.scalars(select(Resident).join(Room, Resident.room_id == Room.id)
                                       .where(Room.object_code == room_code)).all()
        private = [v for r in residents for v in (r.name, r.id_number_masked, r.phone_masked) if v]
        db.session.remove()
    return private


def _fits_the_screen(page):
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 360, f"the page is {width}px wide on a 360px screen"


def test_a_phone_scan_opens_the_address_and_nothing_personal(app, as_user, home, new_page, server, screenshot):
    admin = as_user("admin")
    png = admin.get(f"/api/v1/addresses/{home['room']}/plate.png?width_px=600")
    assert png.status_code == 200, png.get_data(as_text=True)
    [url] = _qr_texts(Image.open(io.BytesIO(png.data)))  # the QR the renderer drew, as a camera reads it
    path = urlsplit(url).path  # the host is the test config's PUBLIC_BASE_URL; the server is elsewhere
    token = TOKEN_PATH.match(path).group(1)
    beidou = admin.get(f"/api/v1/addresses/{home['room']}").json["location"]["grid_code"]
    private = _personal_data(app, home["room"])
    assert private

    page = new_page(**PHONE)  # nobody signed in
    page.goto(path)
    expect(page.locator("h1")).to_have_text(home["room_text"])
    expect(page.locator(".plate-kind .tag")).to_have_text("户牌")
    expect(page.get_by_text(beidou, exact=True)).to_be_visible()
    expect(page.locator(".static-map .pin")).to_be_visible()  # a pin without script: the page stays light
    assert page.locator(".static-map .tiles").bounding_box()["width"] >= 300
    expect(page.locator("#report-actions a")).to_have_count(3)
    _fits_the_screen(page)
    assert [p for p in private if p in page.content()] == []
    screenshot(page, "plate-scan-phone")

    reissued = admin.post(f"/api/v1/plates/{token}/reissue", json={"reason": "门牌被撞坏"})
    assert reissued.status_code == 201, reissued.json
    page.reload()
    expect(page.get_by_role("alert")).to_contain_text("已更换")
    expect(page.locator("h1")).to_have_text(home["room_text"])
    assert reissued.json["token"] not in page.content()
    _fits_the_screen(page)
    screenshot(page, "plate-replaced-phone")

    response = page.goto("/p/" + "Q" * 16)
    assert response.status == 404
    expect(page.locator("h1")).to_contain_text("无法识别这个门牌二维码")
    assert "Traceback" not in page.content()
    _fits_the_screen(page)
    assert page.requests.off_origin(server.url) == []


def _kind_counts(app, area_code: str) -> dict[str, int]:
    """Active door plates and rooms located in the area (rooms by their building)."""
    from app.extensions import db
    from app.places.models import Area, Building, DoorPlate, Room

    inside = select(Area.id).where(Area.code.startswith(area_code))
    with app.app_context():
        doors = db.session.scalars(select(DoorPlate.id).where(DoorPlate.status == "active",
                                                              DoorPlate.area_id.in_(inside))).all()
        rooms = db.session.scalars(select(Room.id).join(Building, Room.building_id == Building.id)
                                   .where(Room.status == "active", Building.area_id.in_(inside))).all()
        db.session.remove()
    return {"door": len(doors), "room": len(rooms)}


def _plate_of(app, token: str) -> tuple[str, str]:
    """(address text, plate kind label) of the plate with that token, from the database."""
    from app.extensions import db
    from app.places.addresses import address_text
    from app.plates.services import resolve

    with app.app_context():
        plate, node = resolve(token)
        found = address_text(node), plate.label
        db.session.remove()
    return found


def test_an_admin_prints_a_batch_whose_qr_codes_open_the_public_page(app, new_page, places, server, tmp_path,
                                                                       screenshot):
    area = places["grid"]["area"]
    counts = _kind_counts(app, area)
    assert counts["door"] and counts["room"]
    page = new_page("admin")
    page.goto(f"/plates?area={area}")
    kind = {k: page.locator("label.check", has=page.locator(f"input[value={k}]")) for k in counts}
    for k, label in (("door", "门牌"), ("room", "户牌")):
        expect(kind[k]).to_contain_text(f"{label} （{counts[k]:,} 块）")
    preview = page.locator("img.plate-preview")
    expect(preview).to_be_visible()
    page.wait_for_function("document.querySelector('img.plate-preview').complete")
    assert preview.evaluate("img => img.naturalWidth") > 0

    # The preview follows the kinds ticked: 户牌 alone shows a room plate.
    door_preview = preview.get_attribute("src")
    kind["door"].locator("input").uncheck()
    kind["room"].locator("input").check()
    expect(preview).not_to_have_attribute("src", door_preview)
    page.wait_for_function("document.querySelector('img.plate-preview').complete")
    assert preview.evaluate("img => img.naturalWidth") > 0
    detail_code = page.locator("#preview-detail").get_attribute("href").rsplit("/", 1)[1]
    assert object_code.parse(detail_code).class_name == "room"

    # Nothing ticked: the page says so and stays.
    for box in page.locator("input[name=kinds]:checked").all():
        box.uncheck()
    page.get_by_role("button", name="开始生成").click()
    expect(page.locator("#print-error")).to_have_text("请至少选择一种门牌")
    expect(page.get_by_role("button", name="开始生成")).to_be_enabled()
    assert page.url == f"{server.url}/plates?area={area}"
    assert not [u for u in page.requests.urls if "/api/v1/plate-prints" in u]

    kind["door"].locator("input").check()
    kind["room"].locator("input").check()
    page.select_option("#layout", "A4")
    screenshot(page, "plates-admin")
    page.get_by_role("button", name="开始生成").click()
    page.wait_for_url(re.compile(re.escape(server.url) + r"/jobs/[^/]+$"))
    expect(page.locator("h1")).to_have_text("打印门牌")
    status = page.locator("#status")
    expect(status).to_have_text(re.compile("^(已完成|失败)"), timeout=60_000)
    assert status.inner_text() == "已完成", page.locator("#message").inner_text()
    total = counts["door"] + counts["room"]
    expect(page.locator("#message")).to_have_text(f"已生成 {total:,} 块")
    expect(page.locator("#count")).to_have_text(f"{total} / {total}")
    screenshot(page, "plates-job-done")

    with page.expect_download() as info:
        page.get_by_role("link", name="下载结果").click()
    download = info.value
    assert download.suggested_filename == f"门牌户牌-{area}-A4.pdf"
    pdf = tmp_path / "plates.pdf"
    download.save_as(pdf)
    first_page = pdfium.PdfDocument(pdf.read_bytes())[0].render(scale=300 / 72).to_pil()
    urls = _qr_texts(first_page)
    assert urls, "no QR code could be read on page 1 of the PDF"
    paths = [urlsplit(u).path for u in urls]
    assert all(u.startswith(server.url + "/") and TOKEN_PATH.match(p) for u, p in zip(urls, paths)), urls

    text, label = _plate_of(app, TOKEN_PATH.match(paths[0]).group(1))
    page.goto(paths[0])
    expect(page.locator("h1")).to_have_text(text)
    expect(page.locator(".plate-kind .tag")).to_have_text(label)
    assert page.requests.off_origin(server.url) == []


def test_an_admin_replaces_a_damaged_plate_from_its_page(app, new_page, places, server, screenshot):
    """From the address page to the plate's page: issue it, replace it with a reason; the old QR then
    says the plate was replaced, the new one opens the address."""
    code = places["township"]["building"]
    page = new_page("admin")
    page.goto(f"/places/a/{code}")
    page.get_by_role("link", name="门牌二维码 ›").click()
    expect(page.locator("h1")).to_contain_text("楼牌")
    if page.get_by_role("button", name="发牌").count():
        page.get_by_role("button", name="发牌").click()
        expect(page.get_by_role("status")).to_have_text("已发牌")
    old_url = page.locator("dd a code").inner_text()
    assert TOKEN_PATH.match(urlsplit(old_url).path)

    page.get_by_role("button", name="换发新牌").click()  # no reason: the browser asks for one
    assert page.locator("#reissue-reason").evaluate("input => input.validationMessage")
    page.fill("#reissue-reason", "门牌被车辆撞坏")
    page.get_by_role("button", name="换发新牌").click()
    expect(page.get_by_role("status")).to_contain_text("已换发新门牌")
    new_url = page.locator("dd a code").inner_text()
    assert new_url != old_url
    rows = page.locator("table.cards tbody tr")
    expect(rows.first).to_contain_text("在用")
    expect(rows.nth(1)).to_contain_text("已更换")
    expect(rows.nth(1)).to_contain_text("门牌被车辆撞坏")
    page.wait_for_function("document.querySelector('img.plate-preview').complete")
    screenshot(page, "plate-detail")

    page.goto(urlsplit(old_url).path)
    expect(page.get_by_role("alert")).to_contain_text("已更换")
    page.goto(urlsplit(new_url).path)
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator(".plate-kind .tag")).to_have_text("楼牌")
