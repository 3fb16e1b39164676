"""The field app on a phone, as officers use it in the street: the camera pointed at a real rendered
door plate, the storefront photographed, the building picked from nearby ones, the address filled in
and submitted; then the grid worker binds the business. Also with no network from scan to submit,
with a failing server, across an app update and a lost session: nothing is lost, nothing arrives twice.
"""
from __future__ import annotations

import hashlib
import io
import re
import time
import uuid

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.fakecam import plate_y4m
from tests.factories import REVIEWER_OF_ROLE, approve_all_steps, credit_code_for, unique

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True, "locale": "zh-CN",
         "device_scale_factor": 2}
CAMERA_ARGS = ["--no-sandbox", "--disable-background-networking", "--use-fake-ui-for-media-stream",
               "--use-fake-device-for-media-stream"]


@pytest.fixture(scope="module")
def plate(app, demo, places, tmp_path_factory) -> dict:
    """The door plate of a building in the grid worker's grid (inside the police township too), its
    plate rendered by the server as it is printed, and a camera video showing it."""
    from app.extensions import db
    from app.places.addresses import address_text, find_by_code

    from tests.client import Client

    admin = Client(app.test_client()).sign_in("admin", demo["users"]["admin"]["password"])
    png = admin.get(f"/api/v1/addresses/{places['grid']['plate']}/plate.png?width_px=620")
    assert png.status_code == 200
    folder = tmp_path_factory.mktemp("camera")
    (folder / "plate.png").write_bytes(png.data)
    with app.app_context():
        door = find_by_code(places["grid"]["plate"])
        building = find_by_code(places["grid"]["building"])
        found = {"code": door.object_code, "text": address_text(door), "building": building.object_code,
                 "building_parts": building.parts, "area_id": building.area_id,
                 "lon": building.lon, "lat": building.lat,
                 "video": plate_y4m(folder / "plate.png", folder / "plate.y4m")}
        db.session.remove()
    return found


@pytest.fixture(scope="module")
def camera_browser(playwright_instance, plate):
    from tests.e2e.conftest import CHROMIUM

    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), headless=True,
        args=[*CAMERA_ARGS, f"--use-file-for-fake-video-capture={plate['video']}"])
    yield browser
    browser.close()


@pytest.fixture()
def phone(camera_browser, server, plate, _signed_in_states):
    """phone(user) -> a page of the field app on a phone held ~20 m from the plate's building (or
    where `geolocation` says)."""
    contexts = []

    def make(user: str, geolocation: dict | None = None):
        context = camera_browser.new_context(
            base_url=server.url, storage_state=_signed_in_states(user), permissions=["camera", "geolocation"],
            geolocation=geolocation or {"latitude": plate["lat"] + 0.00018, "longitude": plate["lon"], "accuracy": 12},
            **PHONE)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.requests = []
        context.on("request", lambda r: page.requests.append(r.url))
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        open_app(page)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def storefront(tmp_path_factory) -> str:
    """A camera photo as phones save it: 3000×2000 landscape pixels with EXIF saying "turn it 90°"
    (so it shows portrait), and the position where it was taken."""
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (32.0, 2.0, 3.0), 3: "E", 4: (112.0, 8.0, 9.0)}
    image = Image.new("RGB", (3000, 2000), (190, 70, 40))
    image.paste((20, 20, 200), (0, 0, 3000, 400))  # a blue sign along the long top edge
    path = tmp_path_factory.mktemp("photos") / "storefront.jpg"
    image.save(path, "JPEG", quality=90, exif=exif)
    return str(path)


def open_app(page):
    page.goto("/app/")
    expect(page.locator("#pack-status")).to_contain_text("个门牌")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    expect(page.locator("#version")).to_have_text(re.compile(r"^版本 [0-9a-f]{12}$"))


def scan(page, plate):
    page.click("#start-scan, #scan-next")  # from the start screen, or after the last submission
    expect(page.locator("#plate-address")).to_have_text(plate["text"])


def photograph(page, storefront):
    page.click("#collect")
    page.set_input_files("#photo-input", storefront)
    expect(page.locator("#photos img")).to_have_count(1)


def fill_in(page, plate, shop_name: str, room: str) -> str:
    """Steps 3 and 4: the building (nearest first, with distances), then the address; returns the
    address text the app shows as it will be stored."""
    page.click("#next")
    expect(page.locator("#position")).to_contain_text("已定位")
    expect(page.locator("#far-from-plate")).to_have_count(0)  # the phone is ~20 m from the building
    own = page.locator(f"#own-buildings [data-building='{plate['building']}']")
    expect(own.locator(".dist")).to_have_text(re.compile(r"^\d+ 米$"))
    distances = [float(d.split()[0]) for d in page.locator("#nearby .dist").all_inner_texts()
                 if d.endswith(" 米")]
    assert distances == sorted(distances)
    own.click()
    page.fill("[name=room]", "1 01")
    expect(page.locator("#room-error")).to_contain_text("室号只能是")
    page.fill("[name=room]", room)
    expect(page.locator("#room-error")).to_have_text("")
    page.fill("[name=shop_name]", shop_name)
    page.select_option("[name=business_kind]", "catering")
    text = page.locator("#address-preview").inner_text()
    page.click("#next")
    expect(page.locator("#final-address")).to_have_text(text)
    return text


def collect_shop(page, plate, storefront, shop_name: str, room: str) -> str:
    """The whole police flow at the plate, up to 提交: the submission's id."""
    scan(page, plate)
    photograph(page, storefront)
    fill_in(page, plate, shop_name, room)
    return submit(page)


def submit(page) -> str:
    page.click("#submit")
    page.wait_for_url(re.compile(r"#/item/"))
    return page.url.split("#/item/")[1]


def upload_now(page):
    """Press 立即上传 if it is still there: the app may have started the upload by itself already."""
    page.evaluate("document.getElementById('upload')?.click()")


def submissions(app, client_id: str) -> list:
    from app.collect.models import Submission
    from app.extensions import db

    with app.app_context():
        found = db.session.scalars(select(Submission).where(Submission.client_id == client_id)).all()
        rows = [{"kind": s.kind, "status": s.status, "address_text": s.address_text, "data": s.data,
                 "photos": s.photo_hashes, "lon": s.lon, "flags": s.flags} for s in found]
        db.session.remove()
    return rows


def organisation(app, code: str) -> dict | None:
    """The organisation registered with this credit code, and the door plate it is bound at."""
    from app.actuals.models import Organisation
    from app.extensions import db

    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.credit_code == code))
        found = org and {"name": org.name, "kind": org.kind, "bindings": [(b.active, b.door_plate_id is not None)
                                                                       for b in org.bindings],
                         "bound_at": org.active_binding.door_plate.object_code
                         if org.active_binding and org.active_binding.door_plate else None}
        db.session.remove()
    return found


def wait_for_display_copy(app, sha: str, seconds: float = 20) -> None:
    """The server re-encodes each photo in the background, after answering the upload."""
    from app.collect.models import Photo
    from app.collect.storage import PhotoStore
    from app.extensions import db

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with app.app_context():
            done = db.session.get(Photo, sha).reencoded_at is not None
            db.session.remove()
        if done:
            display = Image.open(PhotoStore(app.config["PHOTO_STORAGE_ROOT"]).path(sha, "display"))
            assert display.format == "JPEG" and not display.getexif()
            return
        time.sleep(0.2)
    pytest.fail(f"photo {sha[:12]} was not re-encoded within {seconds} s")


def stored_photo(app, sha: str) -> Image.Image:
    from app.collect.storage import PhotoStore

    return Image.open(io.BytesIO(PhotoStore(app.config["PHOTO_STORAGE_ROOT"]).read(sha)))


def test_police_collects_a_shop_and_the_grid_worker_binds_it(app, phone, plate, storefront, screenshot, server,
                                                             as_user):
    police = phone("police")
    screenshot(police, "field-home-phone", full_page=False)
    scan(police, plate)
    screenshot(police, "field-plate-phone", full_page=False)
    photograph(police, storefront)
    shop_name, room = unique("老王面馆"), unique("1")
    text = fill_in(police, plate, shop_name, room)
    assert text.endswith(f"{plate['building_parts']['road']}{plate['building_parts']['number']}号"
                         + (f"{plate['building_parts']['building']}栋" if plate["building_parts"]["building"] else "")
                         + f"{room}室")
    screenshot(police, "field-confirm-phone", full_page=False)
    client_id = submit(police)
    expect(police.locator("#item-state")).to_have_text("已上传")
    screenshot(police, "field-sent-phone", full_page=False)
    [row] = submissions(app, client_id)
    assert row["kind"] == "shop" and row["status"] == "submitted" and row["address_text"] == text
    assert row["data"]["shop_name"] == shop_name and row["lon"] is not None
    photo = stored_photo(app, row["photos"][0])
    assert photo.format == "JPEG" and photo.size == (1365, 2048)  # upright, at most 2048 px
    assert not photo.getexif()  # no location, no camera data
    assert photo.getpixel((1300, 1000))[2] > 150  # the blue sign is now along the right-hand side
    wait_for_display_copy(app, row["photos"][0])

    grid = phone("grid")
    scan(grid, plate)
    shop = grid.locator(f"[data-shop='{client_id}']")
    expect(shop).to_be_visible()
    shop.click()
    code = credit_code_for("92")
    grid.fill("[name=credit_code]", code[:17] + ("0" if code[17] != "0" else "1"))
    expect(grid.locator("#credit_code-error")).to_contain_text(f"第18位应为“{code[17]}”")
    grid.fill("[name=credit_code]", code.lower())
    expect(grid.locator("#credit_code-error")).to_have_text("")
    expect(grid.locator("[name=credit_code]")).to_have_value(code)  # shown as printed on the licence
    grid.fill("[name=credit_code]", "")
    grid.context.grant_permissions(["clipboard-read", "clipboard-write"])
    grid.evaluate("text => navigator.clipboard.writeText(text)",  # the licence's link, copied from a message
                  f"https://www.gsxt.gov.cn/corp-query-entprise-info-xxx.html?uniscid={code}&from=wx")
    grid.focus("[name=credit_code]")
    grid.keyboard.press("Control+V")
    expect(grid.locator("[name=credit_code]")).to_have_value(code)
    expect(grid.locator("#credit_code-error")).to_have_text("")
    grid.fill("[name=credit_code]", f"统一社会信用代码：{code}")  # as a phone keyboard's clipboard inserts it
    expect(grid.locator("[name=credit_code]")).to_have_value(code)
    grid.fill("[name=credit_code]", f"https://www.gsxt.gov.cn/?uniscid={code[:17]}{'0' if code[17] != '0' else '1'}")
    expect(grid.locator("#credit_code-error")).to_have_text("这段文字里没有有效的 18 位统一社会信用代码，请对照营业执照核对")
    grid.fill("[name=credit_code]", code)
    expect(grid.locator("[name=name]")).to_have_value(shop_name)
    screenshot(grid, "field-bind-phone", full_page=False)
    grid.click("#bind")
    expect(grid.locator("#item-state")).to_have_text("已上传")
    expect(grid.locator("#item-note")).to_contain_text("已提交，待审核")  # bound only once approved
    binding_id = grid.url.split("#/item/")[1]
    [row] = submissions(app, binding_id)
    assert row["kind"] == "binding" and row["status"] == "submitted"
    assert organisation(app, code) is None
    approve_all_steps(as_user, binding_id)
    org = organisation(app, code)
    assert org["name"] == shop_name and org["kind"] == "individual" and org["bound_at"] == plate["code"]
    assert not police.errors and not grid.errors
    for page in (police, grid):  # nothing fetched from anywhere else: no CDN, no map tiles
        assert [u for u in page.requests if not u.startswith(server.url + "/") and not u.startswith(("data:", "blob:"))] == []
    assert any(u.endswith("/zxing_reader.wasm") for u in police.requests)  # Chromium here decodes with the wasm


def test_offline_from_scan_to_submit_then_online_arrives_exactly_once(app, phone, plate, storefront, screenshot):
    police = phone("police")
    police.context.set_offline(True)
    police.reload()  # the app opens with no network at all
    expect(police.locator("#net")).to_have_text("离线")
    scan(police, plate)
    photograph(police, storefront)
    police.reload()  # the phone closed the page while the camera app was open
    expect(police.locator("#photos img")).to_have_count(1)
    shop_name = unique("离线小卖部")
    fill_in(police, plate, shop_name, unique("2"))
    client_id = submit(police)
    expect(police.locator("#item-state")).to_have_text("已保存，待上传")
    police.reload()
    police.goto("/app/#/outbox")
    expect(police.locator(f"#outbox [data-id='{client_id}'] .chip")).not_to_have_text("已上传")
    expect(police.locator("#badge b")).to_have_text("1")
    screenshot(police, "field-outbox-offline-phone", full_page=False)
    assert submissions(app, client_id) == []

    police.goto("/app/#/")
    expect(police.locator("#outbox-link")).to_have_text("待上传 1 条")
    police.context.set_offline(False)  # back in signal: the app uploads by itself
    expect(police.locator("#outbox-link")).to_have_text("待上传（无）")  # the start screen keeps count
    expect(police.locator("#badge")).to_be_hidden()
    police.goto("/app/#/outbox")
    expect(police.locator(f"#outbox [data-id='{client_id}'] .chip")).to_have_text("已上传")
    [row] = submissions(app, client_id)
    assert row["data"]["shop_name"] == shop_name and len(row["photos"]) == 1
    assert stored_photo(app, row["photos"][0]).size == (1365, 2048)


def test_sent_items_leave_the_phone_after_a_week_and_waiting_ones_never(app, phone, plate, storefront):
    """An officer submits every day: what the server has is kept a week as a receipt, then dropped,
    so the outbox does not grow forever; what is still waiting stays, however old."""
    police = phone("police")
    sent_id = collect_shop(police, plate, storefront, unique("上周的店"), unique("3"))
    expect(police.locator("#item-state")).to_have_text("已上传")
    police.context.set_offline(True)
    waiting_shop = unique("一直没信号的店")
    waiting_id = collect_shop(police, plate, storefront, waiting_shop, unique("4"))
    expect(police.locator("#item-state")).to_have_text("已保存，待上传")
    police.goto("/app/#/outbox")
    expect(police.locator(f"#outbox [data-id='{sent_id}']")).to_be_visible()
    expect(police.locator("#sent-kept")).to_have_text("已上传的记录在手机上保留 7 天，之后可在“我的提交”中查看。")

    police.clock.install(time=time.time() + 8 * 86_400)  # the phone opened again eight days later, still offline
    police.reload()
    expect(police.locator(f"#outbox [data-id='{waiting_id}']")).to_be_visible()
    expect(police.locator(f"#outbox [data-id='{sent_id}']")).to_have_count(0)
    expect(police.locator("#sent-kept")).to_have_count(0)
    police.goto(f"/app/#/item/{sent_id}")  # a link to it from before
    expect(police.locator("#item-gone")).to_contain_text("已上传超过 7 天")

    police.context.set_offline(False)  # the waiting item, its photo kept on the phone, goes up
    police.goto("/app/#/outbox")
    expect(police.locator(f"#outbox [data-id='{waiting_id}'] .chip")).to_have_text("已上传")
    [row] = submissions(app, waiting_id)
    assert row["data"]["shop_name"] == waiting_shop and len(row["photos"]) == 1
    assert len(submissions(app, sent_id)) == 1  # the server keeps what the phone let go
    assert not police.errors


def test_a_failing_server_keeps_items_queued_and_none_arrives_twice(app, phone, plate, storefront):
    police = phone("police")
    calls = {"n": 0}

    def failing(route):
        calls["n"] += 1
        if calls["n"] == 1:
            route.fulfill(status=503, content_type="application/problem+json",
                          body='{"code": "server.unavailable", "detail": "服务暂不可用，请稍后再试", "status": 503}')
        elif calls["n"] == 2:
            route.fulfill(status=500, body="Internal Server Error")
        else:  # the server takes it, but the answer is lost on the way back
            route.fetch()
            route.abort("connectionreset")

    police.route("**/api/v1/submissions", failing)
    ids = []
    for _ in range(2):
        ids.append(collect_shop(police, plate, storefront, unique("故障测试店"), unique("3")))
    police.goto("/app/#/outbox")
    for client_id in ids:
        expect(police.locator(f"#outbox [data-id='{client_id}'] .chip")).to_have_text("上传失败，稍后自动重试")
    for _ in range(10):
        if calls["n"] >= 3:
            break
        upload_now(police)
        police.wait_for_timeout(300)
    assert calls["n"] >= 3
    police.unroute("**/api/v1/submissions")
    upload_now(police)
    for client_id in ids:
        expect(police.locator(f"#outbox [data-id='{client_id}'] .chip")).to_have_text("已上传")
        assert len(submissions(app, client_id)) == 1


def test_an_app_update_while_items_wait_keeps_the_queue(app, phone, plate, storefront, server):
    police = phone("police")
    old_version = police.locator("#version").inner_text()
    police.route("**/api/v1/submissions", lambda route: route.fulfill(status=503, body=""))
    client_id = collect_shop(police, plate, storefront, unique("更新测试店"), unique("4"))
    css = server.pwa_dir / "app.css"
    before = css.read_text(encoding="utf-8")
    try:
        css.write_text(before + f"\n/* deployed {uuid.uuid4()} */\n", encoding="utf-8")  # a new version
        police.goto("/app/")
        police.reload()
        police.click("#update")
        # The reloaded page's home screen with the new version: until it shows, the old page's reload
        # may still be on its way (a move to the outbox now would be undone by it).
        police.wait_for_function("(shown) => /^版本 [0-9a-f]{12}$/.test(shown = document.getElementById('version')"
                                 f"?.textContent.trim()) && shown !== {old_version!r}")
        police.goto("/app/#/outbox")
        expect(police.locator(f"#outbox [data-id='{client_id}'] .chip")).not_to_have_text("已上传")
        police.unroute("**/api/v1/submissions")
        upload_now(police)
        expect(police.locator(f"#outbox [data-id='{client_id}'] .chip")).to_have_text("已上传")
        assert len(submissions(app, client_id)) == 1
    finally:
        css.write_text(before, encoding="utf-8")


def test_items_queued_when_the_session_expired_upload_after_signing_in(app, phone, plate, storefront, demo,
                                                                       sign_in):
    police = phone("police")
    police.context.clear_cookies()  # the session ended (expired, or signed out elsewhere)
    client_id = collect_shop(police, plate, storefront, unique("过期测试店"), unique("5"))
    expect(police.locator("#item-state")).to_have_text("登录已过期，请重新登录后自动上传")
    police.goto("/app/#/outbox")
    police.click("text=重新登录后上传")
    sign_in(police, "police", demo["users"]["police"]["password"])
    police.wait_for_url(re.compile(r"/app/"))
    expect(police.locator(f"#outbox [data-id='{client_id}'] .chip")).to_have_text("已上传")
    assert len(submissions(app, client_id)) == 1


def test_the_app_is_installable_and_opens_from_a_plates_public_page(playwright_instance, server, demo,
                                                                    tmp_path, plate, as_user, sign_in):
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
        base_url=server.url, **PHONE)
    try:
        page = context.new_page()
        token = as_user("admin").get(f"/api/v1/addresses/{plate['code']}/plates").json[0]["token"]
        page.goto(f"/p/{token}")
        expect(page.locator("#open-field-app")).to_have_count(0)  # not signed in: the public page only
        page.goto("/login?next=" + f"/p/{token}")
        sign_in(page, "police", demo["users"]["police"]["password"])
        page.click("#open-field-app")
        expect(page.locator("#plate-address")).to_have_text(plate["text"])
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        cdp = context.new_cdp_session(page)
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        manifest = cdp.send("Page.getAppManifest")
        assert '"name": "一标三实采集"' in manifest["data"] and not manifest["errors"]
    finally:
        context.close()


def test_the_version_shows_when_the_worker_answers_late(camera_browser, server, _signed_in_states):
    context = camera_browser.new_context(base_url=server.url, storage_state=_signed_in_states("police"), **PHONE)
    # A worker just woken answers late: every message on a channel arrives 1.5 s after it was sent.
    context.add_init_script("""
        const own = Object.getOwnPropertyDescriptor(MessagePort.prototype, 'onmessage');
        Object.defineProperty(MessagePort.prototype, 'onmessage', {
          get() { return own.get.call(this); },
          set(handler) { own.set.call(this, (e) => setTimeout(() => handler(e), 1500)); },
        });""")
    try:
        page = context.new_page()
        page.goto("/app/")
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        page.reload()  # opened again, under its worker
        expect(page.locator("#version")).to_have_text(re.compile(r"^版本 [0-9a-f]{12}$"), timeout=10_000)
    finally:
        context.close()


def test_leaving_the_scan_screen_while_the_camera_starts_releases_the_camera(phone):
    """The officer taps 扫码 and, before answering the camera prompt, goes to 待上传: the camera must
    not stay on behind the next screen."""
    police = phone("police")
    police.add_init_script("""(() => {
      const ask = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      window.cameraStreams = [];
      navigator.mediaDevices.getUserMedia = async (constraints) => {
        await new Promise((answered) => setTimeout(answered, 1000)); // the permission prompt, still open
        const stream = await ask(constraints);
        window.cameraStreams.push(stream);
        return stream;
      };
    })()""")
    open_app(police)
    police.click("#start-scan")
    expect(police.locator("#manual")).to_be_visible()
    police.click(".tabs a[data-tab='outbox']")
    expect(police.locator("main h1").first).to_have_text("待上传")
    police.wait_for_function("window.cameraStreams.length === 1")
    police.wait_for_function("window.cameraStreams[0].getTracks().every((track) => track.readyState === 'ended')")
    expect(police.locator("main h1").first).to_have_text("待上传")
    assert not police.errors


def test_a_plate_printed_after_the_pack_is_looked_up_online_and_never_covers_the_next_screen(phone, plate):
    """The officer scans a plate the phone's pack does not know yet (printed since it was fetched):
    the server looks it up. When the answer comes after they moved on, the screen they went to
    stays; when they wait, they land on the plate's address."""
    police = phone("police")
    police.evaluate("""() => new Promise((done, failed) => {  // the pack as fetched before the plate was printed
      const opened = indexedDB.open('yibiao-field');
      opened.onerror = failed;
      opened.onsuccess = () => {
        const meta = opened.result.transaction('meta', 'readwrite').objectStore('meta');
        const read = meta.get('pack');
        read.onsuccess = () => {
          const pack = read.result;
          pack.data.plates = pack.data.plates.filter(([token, code]) => code !== '%s');
          meta.put(pack, 'pack').onsuccess = done;
        };
      };
    })""" % plate["code"])
    with police.expect_response("**/api/v1/collect/pack") as reopened:
        police.reload()
    assert reopened.value.status == 304  # the phone keeps the pack it has, without the new plate
    held = []  # look-ups of the plate, answered only when the test says so
    police.route("**/api/v1/plates/*", lambda route: held.append(route))
    police.click("#start-scan")
    expect(police.locator("#scan-message")).to_have_text("已识别，正在查找地址…")
    police.click(".tabs a[data-tab='outbox']")
    expect(police.locator("main h1").first).to_have_text("待上传")
    with police.expect_response("**/api/v1/plates/*"):
        held[0].continue_()
    police.wait_for_timeout(500)  # the site would be shown within a few milliseconds of the answer
    expect(police.locator("main h1").first).to_have_text("待上传")
    police.unroute("**/api/v1/plates/*")
    police.goto("/app/#/")
    with police.expect_response("**/api/v1/plates/*"):
        scan(police, plate)
    assert not police.errors


def test_a_late_gps_fix_is_kept_but_never_covers_the_next_screen(phone, plate, storefront):
    """The position comes while the officer is on another screen: the draft keeps it, the screen
    they went to stays."""
    police = phone("police")
    police.add_init_script("""(() => {
      const ask = navigator.geolocation.getCurrentPosition.bind(navigator.geolocation);
      navigator.geolocation.getCurrentPosition = (found, failed, options) => {
        window.releasePosition = () => ask(found, failed, options); // the fix, when the test says so
      };
    })()""")
    open_app(police)
    scan(police, plate)
    photograph(police, storefront)
    police.click("#next")
    expect(police.locator("#position")).to_contain_text("正在定位")
    police.click(".tabs a[data-tab='outbox']")
    expect(police.locator("main h1").first).to_have_text("待上传")
    police.evaluate("window.releasePosition()")
    police.wait_for_timeout(500)  # the building step would draw within a few milliseconds of the fix
    expect(police.locator("main h1").first).to_have_text("待上传")
    police.goto("/app/#/collect")
    expect(police.locator("#position")).to_contain_text("已定位")
    assert not police.errors


def photos_on_phone(page) -> int:
    """How many photos the field app keeps in the phone's IndexedDB."""
    return page.evaluate("""() => new Promise((done) => { const o = indexedDB.open('yibiao-field'); o.onsuccess = () => {
      const r = o.result.transaction('photos').objectStore('photos').count(); r.onsuccess = () => done(r.result); }; })""")


def test_a_wrong_photo_is_taken_out_before_submitting(app, phone, plate, storefront, tmp_path):
    police = phone("police")
    green = tmp_path / "next-door.jpg"  # the shop next door, photographed by mistake
    Image.new("RGB", (1200, 900), (30, 160, 60)).save(green, "JPEG", quality=90)
    scan(police, plate)
    photograph(police, storefront)
    police.set_input_files("#photo-input", str(green))
    expect(police.locator("#photos img")).to_have_count(2)
    assert photos_on_phone(police) == 2
    police.locator("#photos figure").nth(1).get_by_role("button", name="删除这张").click()
    expect(police.locator("#photos img")).to_have_count(1)
    assert photos_on_phone(police) == 1  # not kept on the phone either
    police.reload()  # the draft remembers
    expect(police.locator("#photos img")).to_have_count(1)
    fill_in(police, plate, unique("只留一张的店"), unique("6"))
    client_id = submit(police)
    expect(police.locator("#item-state")).to_have_text("已上传")
    [row] = submissions(app, client_id)
    assert len(row["photos"]) == 1 and stored_photo(app, row["photos"][0]).getpixel((10, 10))[0] > 150  # the storefront
    assert not police.errors


def test_a_phone_with_full_storage_says_so_and_the_officer_submits_once_there_is_room(app, phone, plate, storefront,
                                                                                      screenshot):
    police = phone("police")
    police.add_init_script("""(() => {  // the phone's storage is full while window.fullPhone is true
      window.fullPhone = false;
      const put = IDBObjectStore.prototype.put;
      IDBObjectStore.prototype.put = function (...args) {
        if (window.fullPhone && ['outbox', 'photos'].includes(this.name)) {
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        }
        return put.apply(this, args);
      };
    })()""")
    open_app(police)
    scan(police, plate)
    police.click("#collect")
    police.evaluate("window.fullPhone = true")
    police.set_input_files("#photo-input", storefront)
    expect(police.locator("main p.error")).to_contain_text("手机存储空间不足，没有保存")
    expect(police.locator("#photos img")).to_have_count(0)
    police.evaluate("window.fullPhone = false")  # the officer deleted some videos
    police.set_input_files("#photo-input", storefront)
    expect(police.locator("#photos img")).to_have_count(1)
    shop_name = unique("存储满的店")
    fill_in(police, plate, shop_name, unique("5"))
    police.evaluate("window.fullPhone = true")
    police.click("#submit")
    expect(police.locator("#save-error")).to_have_text("手机存储空间不足，没有保存：请清理手机空间（如不用的照片、视频）后再试一次。")
    expect(police.locator("#submit")).to_be_enabled()
    expect(police.locator("#final-address")).to_be_visible()  # still on the step, the draft as it was
    screenshot(police, "field-storage-full-phone", full_page=False)
    police.evaluate("window.fullPhone = false")
    client_id = submit(police)
    expect(police.locator("#item-state")).to_have_text("已上传")
    [row] = submissions(app, client_id)
    assert row["data"]["shop_name"] == shop_name and len(row["photos"]) == 1
    assert not police.errors


def test_poor_gps_falls_back_to_the_plates_buildings_and_search(phone, plate, storefront):
    page = phone("police", geolocation={"latitude": plate["lat"], "longitude": plate["lon"], "accuracy": 900})
    scan(page, plate)
    photograph(page, storefront)
    page.click("#next")
    expect(page.locator("#position")).to_contain_text("精度较差")
    expect(page.locator("#nearby")).to_have_count(0)  # no list ranked by a position that far off
    expect(page.locator(f"#own-buildings [data-building='{plate['building']}'] .dist")).to_have_text("本门牌")
    page.fill("#building-search", f"{plate['building_parts']['road']}{plate['building_parts']['number']}")
    expect(page.locator(f"#building-results [data-building='{plate['building']}']")).to_be_visible()


def test_a_phone_far_from_the_plate_is_told_before_review_flags_it(app, phone, plate, storefront, screenshot):
    """An officer ~3 km from the plate (a plate read off a photo at the station, or the wrong plate):
    the building step says so and lists no far-off buildings as "nearby", the last step says review
    will flag the photo's position, and review does."""
    page = phone("police", geolocation={"latitude": plate["lat"] + 0.027, "longitude": plate["lon"], "accuracy": 10})
    scan(page, plate)
    photograph(page, storefront)
    page.click("#next")
    expect(page.locator("#far-from-plate")).to_have_text(re.compile(
        r"^您离这个门牌约 3\.0 公里，不在门牌附近：请确认扫的是眼前的门牌。离楼栋 200 米以外拍的照片，审核时会标出。$"))
    for distance in page.locator("#nearby .dist").all_inner_texts():  # only what is really near the phone
        assert distance.endswith(" 米") and float(distance.split()[0]) <= 200
    screenshot(page, "field-far-from-plate-phone", full_page=False)
    page.click(f"#own-buildings [data-building='{plate['building']}']")
    page.fill("[name=room]", "108")
    page.fill("[name=shop_name]", name := unique("远处采集的店"))
    page.select_option("[name=business_kind]", "catering")
    page.click("#next")
    expect(page.locator("#far-from-building")).to_have_text(
        "拍照位置距这栋楼约 3.0 公里（超过 200 米），审核时会标出：请确认楼栋选对了。")
    screenshot(page, "field-far-from-building-phone", full_page=False)
    client_id = submit(page)
    expect(page.locator("#item-state")).to_have_text("已上传")
    [row] = submissions(app, client_id)
    assert row["data"]["shop_name"] == name and "gps.far" in row["flags"]


def test_a_phone_that_may_not_locate_asks_once_and_offers_to_try_again(new_page, plate, storefront):
    """Location refused: the building step says so and stays still (it asked the phone again at every
    redraw, so the list was redrawn under the officer's finger); 重新定位 asks once more."""
    police = new_page("police", **PHONE)  # no geolocation permission: the phone refuses
    police.add_init_script("""(() => {
      window.locateCalls = 0;
      const ask = navigator.geolocation.getCurrentPosition.bind(navigator.geolocation);
      navigator.geolocation.getCurrentPosition = (...args) => { window.locateCalls += 1; return ask(...args); };
    })()""")
    open_app(police)
    police.goto(f"/app/#/site/{plate['code']}")
    photograph(police, storefront)
    police.click("#next")
    expect(police.locator("#position")).to_contain_text("未允许定位：请在浏览器设置中允许本站获取位置")
    police.wait_for_timeout(500)
    assert police.evaluate("window.locateCalls") == 1
    police.click("#locate-again")
    police.wait_for_function("window.locateCalls === 2")
    expect(police.locator("#locate-again")).to_be_visible()  # refused again, and said so
    police.wait_for_timeout(500)
    assert police.evaluate("window.locateCalls") == 2
    police.click(f"#own-buildings [data-building='{plate['building']}']")
    expect(police.locator("[name=room]")).to_be_visible()


def test_a_business_bound_elsewhere_is_moved_only_after_confirming(app, phone, plate, as_user, places):
    code = credit_code_for("91")
    first = as_user("grid").post("/api/v1/submissions", json={
        "id": str(uuid.uuid4()), "kind": "binding", "address_code": places["grid"]["room"], "credit_code": code,
        "name": unique("襄阳搬家公司")})
    assert first.status_code == 201
    approve_all_steps(as_user, first.json["id"])  # the business is now bound at that room
    grid = phone("grid")
    scan(grid, plate)
    grid.click("text=按信用代码绑定其他单位")
    licence_qr = f"https://www.gsxt.gov.cn/corp-query-entprise-info?uniscid={code}&type=1"
    assert grid.evaluate("(t) => import('/app/js/credit.js').then((m) => m.fromScan(t))", licence_qr) == code
    grid.fill("[name=credit_code]", code)
    grid.click("#bind")
    expect(grid.locator("#item-state")).to_have_text("需要确认")
    expect(grid.locator(".error")).to_contain_text("确认迁移")
    expect(grid.locator("#item-note")).to_have_text("确认迁移后才会上传；代码输错了就点“修改”。")
    moved = grid.url.split("#/item/")[1]
    grid.click("text=确认迁移并上传")  # right there, after 提交绑定
    expect(grid.locator("#item-state")).to_have_text("已上传")
    expect(grid.locator(".confirm-move")).to_have_count(0)
    assert organisation(app, code)["bindings"] == [(True, False)]  # still where it was, until approved
    approve_all_steps(as_user, moved)
    assert organisation(app, code)["bindings"] == [(False, False), (True, True)]


def test_a_binding_that_would_move_a_business_is_changed_when_the_code_was_mistyped(app, phone, plate, as_user,
                                                                                   places):
    """The server says the code is bound elsewhere: the grid worker sees the code was mistyped and
    uses 修改 instead of confirming the move; the business stays where it was."""
    bound = credit_code_for("91")
    first = as_user("grid").post("/api/v1/submissions", json={
        "id": str(uuid.uuid4()), "kind": "binding", "address_code": places["grid"]["room"], "credit_code": bound,
        "name": unique("襄阳别处的公司")})
    approve_all_steps(as_user, first.json["id"])
    grid = phone("grid")
    scan(grid, plate)
    grid.click("text=按信用代码绑定其他单位")
    grid.fill("[name=credit_code]", bound)
    grid.click("#bind")
    expect(grid.locator("#item-state")).to_have_text("需要确认")
    asked_id = grid.url.split("#/item/")[1]
    grid.click("#change")
    expect(grid.locator("#refusal")).to_contain_text("确认迁移")
    grid.fill("[name=credit_code]", right := credit_code_for("92"))
    grid.fill("[name=name]", name := unique("襄阳市樊城区输对代码店"))
    grid.click("#bind")
    expect(grid.locator("#item-state")).to_have_text("已上传")
    [row] = submissions(app, grid.url.split("#/item/")[1])
    assert row["data"]["credit_code"] == right and row["data"]["name"] == name
    assert submissions(app, asked_id) == []
    assert organisation(app, bound)["bindings"] == [(True, False)]  # one binding, still at its room
    grid.goto("/app/#/outbox")
    expect(grid.locator("#outbox li.item")).to_have_count(1)
    assert not grid.errors


def shops_submitted(as_user, places, names: list[str]) -> list[str]:
    """Shops the demo police officer submitted through the API (one small photo for all); their ids."""
    police_api = as_user("police")
    image = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(image, "JPEG")
    data = image.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    police_api.put(f"/api/v1/photos/{sha}", data=data, headers={"Content-Type": "image/jpeg"})
    ids = []
    for name in names:
        body = {"id": str(uuid.uuid4()), "kind": "shop", "building_code": places["grid"]["building"], "floor": 1,
                "room": "8", "shop_name": name, "business_kind": "retail", "photos": [sha]}
        ids.append(police_api.post("/api/v1/submissions", json=body).json["id"])
    return ids


def test_a_shop_already_collected_at_the_address_is_pointed_out(phone, plate, places, as_user, storefront):
    [name] = [unique("已采集过的店")]
    shops_submitted(as_user, places, [name])  # room 8 of the plate's building, in review
    police = phone("police")  # the pack it fetched has that shop
    scan(police, plate)
    photograph(police, storefront)
    police.click("#next")
    expect(police.locator("#position")).to_contain_text("已定位")
    police.locator(f"#own-buildings [data-building='{plate['building']}']").click()
    expect(police.locator("#address-known")).to_have_text("")
    police.fill("[name=room]", "8")
    expect(police.locator("#address-known")).to_contain_text("这个地址已采集过：")
    expect(police.locator("#address-known")).to_contain_text(f"{name}（已提交，待审核）")
    police.fill("[name=room]", unique("9"))  # another shop in the building: nothing to say
    expect(police.locator("#address-known")).to_have_text("")
    assert not police.errors


def test_the_phones_own_shops_count_at_their_address_before_its_pack_has_them(phone, plate, storefront):
    """A shop this phone collected is not in its address pack until the pack is fetched again: the
    plate's screen lists it all the same (waiting on the phone, then as the server answered), and the
    address step says it was collected when the officer starts on the same address again."""
    police = phone("police")
    police.context.set_offline(True)  # no signal in this street
    name, room = unique("本机采集的店"), unique("7")
    collect_shop(police, plate, storefront, name, room)
    expect(police.locator("#item-state")).to_have_text("已保存，待上传")
    scan(police, plate)
    own = police.locator("#shops li", has_text=name)
    expect(own.locator(".chip")).to_have_text("本机待上传")
    photograph(police, storefront)  # the same shop again, forgotten
    police.click("#next")
    police.locator(f"#own-buildings [data-building='{plate['building']}']").click()
    police.fill("[name=room]", room)
    expect(police.locator("#address-known")).to_contain_text(f"这个地址已采集过：{name}（本机待上传）")
    police.once("dialog", lambda dialog: dialog.accept())
    police.get_by_role("button", name="上一步").click()
    police.get_by_role("button", name="上一步").click()
    police.get_by_role("button", name="放弃").click()
    expect(police.locator("#start-scan")).to_be_visible()
    assert photos_on_phone(police) == 1  # the waiting shop's; the given-up draft's copy of it is its too

    scan(police, plate)
    expect(own.locator(".chip")).to_have_text("本机待上传")
    police.route("**/api/v1/collect/pack*", lambda route: route.abort())  # the pack stays the one without it
    police.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # down the list
    scrolled = police.evaluate("window.scrollY")
    assert scrolled > 0
    police.context.set_offline(False)  # uploaded while the officer looks at the plate
    expect(own.locator(".chip")).to_have_text("已提交，待审核")
    assert abs(police.evaluate("window.scrollY") - scrolled) <= 2  # drawn again where it was, not at the top
    assert not police.errors


def bind_own_shop(page, plate, shop_id: str) -> str:
    """The grid worker binds a shop this phone collected (not on the server yet) with a new code: the
    binding's id, saved and waiting."""
    scan(page, plate)
    page.locator(f"#shops [data-shop='{shop_id}']").click()
    page.fill("[name=credit_code]", credit_code_for("92"))
    page.click("#bind")
    expect(page.locator("#item-state")).to_have_text("已保存，待上传")
    return page.url.split("#/item/")[1]


def test_a_shop_and_its_binding_made_on_one_phone_reach_the_server_in_that_order(app, phone, plate, storefront):
    """A grid worker collects a shop and binds it straight away, with one bar of signal: the shop's
    upload fails and waits to be tried again, and the binding waits for it instead of going first
    (the server would refuse a binding naming a shop it does not have yet)."""
    grid = phone("grid")
    hold, posted = {"shop": True}, []

    def signal(route):
        kind = route.request.post_data_json["kind"]
        if kind == "shop" and hold["shop"]:
            route.abort("connectionreset")
            return
        posted.append(kind)
        route.continue_()

    grid.route("**/api/v1/submissions", signal)
    shop_id = collect_shop(grid, plate, storefront, name := unique("先采后绑的店"), unique("5"))
    expect(grid.locator("#item-state")).to_have_text("已保存，待上传")
    binding_id = bind_own_shop(grid, plate, shop_id)
    grid.goto("/app/#/outbox")
    expect(grid.locator(f"#outbox [data-id='{binding_id}']")).to_contain_text("在所绑定的门店上传之后上传")
    expect(grid.locator(f"#outbox [data-id='{shop_id}'] .delete")).to_have_count(0)
    upload_now(grid)
    grid.wait_for_timeout(500)
    assert posted == []  # the shop could not go, so neither did its binding
    hold["shop"] = False
    upload_now(grid)
    expect(grid.locator(f"#outbox [data-id='{binding_id}'] .chip")).to_have_text("已上传")
    assert posted == ["shop", "binding"]
    [row] = submissions(app, binding_id)
    assert row["data"]["shop"] == shop_id and row["data"]["name"] == name
    assert not grid.errors


def test_a_shop_changed_after_it_was_bound_on_the_phone_takes_its_binding_along(app, phone, plate, storefront):
    """Collected and bound with no signal, then a typo seen in the shop: 修改 on the shop keeps the
    binding, which waits while the shop is being changed and then names the changed shop."""
    grid = phone("grid")
    grid.context.set_offline(True)
    shop_id = collect_shop(grid, plate, storefront, unique("错名待绑店"), unique("6"))
    binding_id = bind_own_shop(grid, plate, shop_id)
    grid.goto("/app/#/outbox")
    expect(grid.locator(f"#outbox [data-id='{shop_id}'] .awaited")).to_have_text(
        "单位绑定在等这条上传：要删除这条，请先删除那条绑定。")
    grid.locator(f"#outbox [data-id='{shop_id}'] .change").click()
    grid.fill("[name=shop_name]", right := unique("正名待绑店"))
    grid.context.set_offline(False)  # the signal returns while the shop is being changed
    grid.wait_for_timeout(1000)
    assert submissions(app, binding_id) == []  # it waits for its shop
    grid.click("#next")
    new_shop_id = submit(grid)
    grid.goto("/app/#/outbox")
    expect(grid.locator("#outbox li .chip")).to_have_text(["已上传", "已上传"])
    [row] = submissions(app, binding_id)
    assert row["data"]["shop"] == new_shop_id and submissions(app, new_shop_id)[0]["data"]["shop_name"] == right
    assert submissions(app, shop_id) == []
    assert not grid.errors


def test_a_refused_shop_that_a_binding_waits_on_is_deleted_only_after_it(app, phone, plate, storefront, as_user):
    """Collected and bound with no signal; when the signal returns the server refuses the shop. The
    binding keeps waiting for it, and the shop cannot be deleted from under the binding."""
    refusal = as_user("grid").post("/api/v1/submissions", json={
        "id": str(uuid.uuid4()), "kind": "shop", "building_code": plate["building"], "floor": 1, "room": "坏房号",
        "shop_name": "拒收样例", "business_kind": "retail", "photos": []})
    assert refusal.status_code == 422
    grid = phone("grid")
    grid.route("**/api/v1/submissions", lambda route: route.fulfill(
        status=422, content_type="application/problem+json", body=refusal.text)
        if route.request.post_data_json["kind"] == "shop" else route.continue_())
    grid.context.set_offline(True)
    shop_id = collect_shop(grid, plate, storefront, unique("被拒待绑店"), unique("7"))
    binding_id = bind_own_shop(grid, plate, shop_id)
    grid.goto("/app/#/outbox")
    grid.context.set_offline(False)
    shop, binding = grid.locator(f"#outbox [data-id='{shop_id}']"), grid.locator(f"#outbox [data-id='{binding_id}']")
    expect(shop.locator(".chip")).to_have_text("未被接收，需要处理")
    expect(binding).to_contain_text("在所绑定的门店上传之后上传")
    expect(shop.locator(".awaited")).to_have_text("单位绑定在等这条上传：要删除这条，请先删除那条绑定。")
    expect(shop.locator(".delete")).to_have_count(0)
    expect(shop.locator(".change")).to_have_count(1)
    grid.once("dialog", lambda dialog: dialog.accept())
    binding.locator(".delete").click()
    expect(binding).to_have_count(0)
    expect(shop.locator(".delete")).to_have_count(1)
    assert submissions(app, binding_id) == [] and submissions(app, shop_id) == []
    assert not grid.errors


def test_an_app_left_open_all_day_shows_the_shops_collected_since(phone, plate, places, as_user):
    """The grid worker opened the app in the morning and never closed it. A shop an officer collects
    at the plate later shows when the app comes back to the screen, or a plate is opened, once a few
    minutes have passed: the pack is asked for again (not on every screen: it is the phone's largest
    download), and the plate's screen is drawn again in place."""
    grid = phone("grid")
    grid.clock.install()
    grid.reload()
    expect(grid.locator("#pack-status")).to_contain_text("个门牌")
    asked = lambda: sum("/api/v1/collect/pack" in url for url in grid.requests)  # noqa: E731
    at_start = asked()
    [name] = [unique("后来采集的店")]
    shops_submitted(as_user, places, [name])
    scan(grid, plate)
    expect(grid.locator("#plate-address")).to_have_text(plate["text"])
    expect(grid.locator("main")).not_to_contain_text(name)  # the morning's pack, checked a moment ago
    assert asked() == at_start

    grid.clock.fast_forward("05:01")  # the phone in a pocket, then out again, on the plate's screen
    set_visibility(grid, "visible")
    expect(grid.locator("#shops")).to_contain_text(name)  # drawn again with the fresher pack
    assert asked() == at_start + 1

    grid.clock.fast_forward("05:01")
    grid.goto("/app/#/")
    with grid.expect_response("**/api/v1/collect/pack*") as answer:
        scan(grid, plate)
    assert answer.value.status == 304  # nothing new: not downloaded again
    expect(grid.locator("#shops")).to_contain_text(name)
    assert not grid.errors


def test_an_approved_shop_is_bound_and_again_after_the_binding_is_turned_down(phone, plate, places, as_user):
    """The grid worker comes after the shop was approved: it is listed (已通过) and bound at its room.
    The binding is turned down; once the phone has the newer pack, the shop can be bound again."""
    [name] = [unique("审核通过的店")]
    [shop_id] = shops_submitted(as_user, places, [name])
    approve_all_steps(as_user, shop_id)
    grid = phone("grid")
    scan(grid, plate)
    listed = grid.locator("#shops li", has_text=name)
    expect(listed.locator(".chip")).to_have_text("已通过")
    listed.locator(f"[data-shop='{shop_id}']").click()
    grid.fill("[name=credit_code]", credit_code_for("92"))
    grid.click("#bind")
    expect(grid.locator("#item-state")).to_have_text("已上传")
    binding_id = grid.url.split("#/item/")[1]
    grid.goto("/app/#/")
    scan(grid, plate)
    expect(listed).to_contain_text("已提交绑定，待审核")
    item = as_user("admin").get(f"/api/v1/review/items/{binding_id}").json
    turned_down = as_user(REVIEWER_OF_ROLE[item["step_role"]]).post(
        f"/api/v1/review/items/{binding_id}/reject", json={"reason": "信用代码与营业执照不符"})
    assert turned_down.status_code == 200, turned_down.json
    grid.goto("/app/#/")
    with grid.expect_response("**/api/v1/collect/pack*") as answer:
        grid.reload()  # the app opened again: the server's pack lists the shop again, as before the binding
    assert answer.value.status == 304
    scan(grid, plate)
    expect(listed.locator(f"[data-shop='{shop_id}']")).to_have_text("绑定单位")
    assert not grid.errors


def test_the_start_screen_says_when_the_pack_was_last_checked_and_why_it_could_not_be(phone, screenshot):
    grid = phone("grid")  # opened: the pack fetched
    status = grid.locator("#pack-status")
    expect(status).to_contain_text("栋楼，更新于")
    expect(status).not_to_contain_text("核对无变化")
    expect(grid.locator("#pack-error")).to_be_hidden()
    with grid.expect_response("**/api/v1/collect/pack*") as answer:
        grid.reload()  # opened again later
    assert answer.value.status == 304
    expect(status).to_contain_text("核对无变化")  # the line updated when the server answered

    grid.route("**/api/v1/collect/pack*", lambda route: route.fulfill(status=503, body="busy"))
    update = grid.get_by_role("button", name="更新地址包")
    update.click()
    expect(grid.locator("#pack-error")).to_have_text("地址包没有更新（服务器返回 503），手机上的地址包照常可用，请稍后再试")
    expect(update).to_be_enabled()
    expect(status).to_contain_text("个门牌")  # the pack kept stands
    screenshot(grid, "field-home-pack-error-phone", full_page=False)
    grid.unroute("**/api/v1/collect/pack*")
    update.click()
    expect(grid.locator("#pack-error")).to_be_hidden()
    assert not grid.errors


FAKE_CAMERA_KEEPING_TRACKS = """(() => {  // a camera showing no plate, its tracks kept for the test
  window.cameraTracks = [];
  navigator.mediaDevices.getUserMedia = async () => {
    const canvas = Object.assign(document.createElement('canvas'), { width: 320, height: 240 });
    canvas.getContext('2d').fillRect(0, 0, 320, 240);
    const stream = canvas.captureStream(10);
    window.cameraTracks.push(stream.getVideoTracks()[0]);
    return stream;
  };
})()"""


def phone_counting_cameras(new_page, user: str):
    """The field app open on a phone whose camera shows no plate; every camera the app opens is kept
    in window.cameraTracks, so a test can see which are still on."""
    page = new_page(user, **PHONE)
    page.add_init_script(FAKE_CAMERA_KEEPING_TRACKS)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    open_app(page)
    return page


def test_a_camera_the_phone_takes_away_is_said_and_scanning_again_keeps_it_under_control(new_page):
    """iOS ends the camera when the app goes to the background, another app may claim it: the scan
    screen says so instead of freezing, 重新扫描 opens it again, and leaving the screen after that
    still lets the camera go."""
    police = phone_counting_cameras(new_page, "police")
    police.click("#start-scan")
    message = police.locator("#scan-message")
    expect(message).to_have_text("将门牌上的二维码对准取景框")
    police.wait_for_function("window.cameraTracks.length === 1")
    police.evaluate("window.cameraTracks[0].dispatchEvent(new Event('ended'))")  # the phone took it
    expect(message).to_contain_text("摄像头已关闭（手机切换到了其他应用，或相机被占用）")
    assert police.evaluate("window.cameraTracks[0].readyState") == "ended"  # released, not left on
    police.click("#scan-again")
    expect(message).to_have_text("将门牌上的二维码对准取景框")
    police.wait_for_function("window.cameraTracks.length === 2 && window.cameraTracks[1].readyState === 'live'")
    police.goto("/app/#/outbox")  # the officer leaves the scan screen
    police.wait_for_function("window.cameraTracks[1].readyState === 'ended'")  # the camera opened again went too
    assert not police.errors


def test_a_phone_put_away_lets_the_camera_go_and_opens_it_again_on_return(new_page):
    """An officer who pockets the phone on the scan screen: the camera goes off (its light, the
    battery), and is on again, reading, when the app is back in front; a screen that stopped for a
    reason (the camera taken away) keeps saying so instead of asking for the camera again."""
    police = phone_counting_cameras(new_page, "police")
    police.click("#start-scan")
    message = police.locator("#scan-message")
    police.wait_for_function("window.cameraTracks.length === 1 && window.cameraTracks[0].readyState === 'live'")

    set_visibility(police, "hidden")
    police.wait_for_function("window.cameraTracks[0].readyState === 'ended'")
    set_visibility(police, "visible")
    police.wait_for_function("window.cameraTracks.length === 2 && window.cameraTracks[1].readyState === 'live'")
    expect(message).to_have_text("将门牌上的二维码对准取景框")

    police.evaluate("window.cameraTracks[1].dispatchEvent(new Event('ended'))")  # another app took it
    expect(message).to_contain_text("摄像头已关闭")
    set_visibility(police, "hidden")
    set_visibility(police, "visible")
    expect(police.locator("#scan-again")).to_be_visible()
    assert police.evaluate("window.cameraTracks.length") == 2  # not opened behind the officer's back
    police.click("#scan-again")
    police.wait_for_function("window.cameraTracks.length === 3 && window.cameraTracks[2].readyState === 'live'")

    police.goto("/app/#/outbox")
    police.wait_for_function("window.cameraTracks[2].readyState === 'ended'")
    set_visibility(police, "hidden")
    set_visibility(police, "visible")  # another screen: nothing to open again
    police.wait_for_timeout(300)
    assert police.evaluate("window.cameraTracks.length") == 3
    assert not police.errors


def test_the_licence_camera_is_let_go_whenever_the_bind_screen_no_longer_needs_it(new_page, plate):
    """扫营业执照二维码 pressed twice, the phone put away and taken out, the screen left: one camera
    at a time, none left on."""
    grid = phone_counting_cameras(new_page, "grid")
    grid.goto(f"/app/#/bind/{plate['code']}")
    scan_licence = grid.get_by_role("button", name="扫营业执照二维码")
    scan_licence.click()
    scan_licence.click()
    grid.wait_for_function("window.cameraTracks.length === 2 && window.cameraTracks[1].readyState === 'live'")
    assert grid.evaluate("window.cameraTracks[0].readyState") == "ended"
    set_visibility(grid, "hidden")
    grid.wait_for_function("window.cameraTracks[1].readyState === 'ended'")
    set_visibility(grid, "visible")
    grid.wait_for_function("window.cameraTracks.length === 3 && window.cameraTracks[2].readyState === 'live'")
    grid.goto("/app/#/outbox")
    grid.wait_for_function("window.cameraTracks[2].readyState === 'ended'")
    assert not grid.errors


def test_a_code_or_name_still_being_typed_is_not_called_wrong_until_the_field_is_left(new_page, plate, screenshot):
    """Typing a credit code key by key: a count of what is still missing, no red "应为18位" at every
    key; a character that can never be right is said at once; leaving the field short says what to fix."""
    grid = new_page("grid", **PHONE)
    open_app(grid)
    grid.goto(f"/app/#/bind/{plate['code']}")
    code = credit_code_for("92")
    box = grid.locator("[name=credit_code]")
    error, ok = grid.locator("#credit_code-error"), grid.locator("#credit_code-ok")
    box.press_sequentially(code[:17].lower())  # a phone keyboard's small letters
    expect(box).to_have_value(code[:17])
    expect(error).to_have_text("")
    expect(ok).to_have_text("已输入 17 位，还差 1 位")
    screenshot(grid, "field-bind-typing-phone", full_page=False)
    box.press("I")  # never part of a code
    expect(error).to_have_text("第18位“I”不是合法字符（不使用I、O、Z、S、V）")
    box.press("Backspace")
    expect(error).to_have_text("")
    grid.locator("[name=name]").focus()  # left with a digit missing
    expect(error).to_have_text("统一社会信用代码应为18位，现为17位")
    box.press("End")
    box.press_sequentially(code[17])
    expect(error).to_have_text("")
    expect(ok).to_have_text("✓ 代码有效")
    name = grid.locator("[name=name]")
    name.press_sequentially("襄")
    expect(grid.locator("#name-error")).to_have_text("")
    grid.get_by_role("button", name="提交绑定").focus()
    expect(grid.locator("#name-error")).to_have_text("名称应为 2–128 个字")  # may be left empty, not one character


def set_visibility(page, state):
    """What the phone does when the app goes to the background or comes back (headless Chromium
    never hides a page of its own)."""
    page.evaluate("""(state) => {
      Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
      Object.defineProperty(document, 'hidden', { value: state === 'hidden', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    }""", state)


def test_returned_submissions_come_first_in_the_inbox(app, phone, places, as_user):
    names = [unique("退回测试店"), unique("正常店")]
    ids = shops_submitted(as_user, places, names)
    returned = as_user("street").post(f"/api/v1/review/items/{ids[0]}/return", json={"reason": "照片看不清招牌"})
    assert returned.status_code == 200, returned.json
    police = phone("police")
    police.goto("/app/#/inbox")
    expect(police.locator("#inbox li").first).to_contain_text(names[0])
    expect(police.locator("#inbox li").first.locator(".chip")).to_have_text("已退回，待更正")
    expect(police.locator("#inbox li").first.locator(".reason")).to_have_text("退回理由：照片看不清招牌")
    expect(police.locator("main")).to_contain_text("条被退回，需要更正")


def test_a_slow_inbox_shows_what_the_phone_kept_and_never_covers_the_next_screen(phone, places, as_user, screenshot):
    """One bar of signal: the server's list takes a while. The inbox shows what the phone kept at
    once, and when the answer comes after the officer has moved on, it stays out of sight."""
    [kept, later] = [unique("留存店"), unique("新提交店")]
    shops_submitted(as_user, places, [kept])
    police = phone("police")
    police.goto("/app/#/inbox")
    expect(police.locator("#inbox")).to_contain_text(kept)
    shops_submitted(as_user, places, [later])
    held = []  # requests for the list, answered only when the test says so

    def wait_held(n: int) -> None:  # a held request's route handler runs while Playwright waits
        for _ in range(50):
            if len(held) == n:
                break
            police.wait_for_timeout(20)
        assert len(held) == n

    police.route("**/api/v1/submissions?limit=*", lambda route: held.append(route))
    police.goto("/app/#/")
    with police.expect_request("**/api/v1/submissions?limit=*"):
        police.goto("/app/#/inbox")
    expect(police.locator("main")).to_contain_text("正在从服务器更新")
    expect(police.locator("#inbox")).to_contain_text(kept)
    screenshot(police, "inbox-kept-while-loading-phone", full_page=False)
    police.click(".tabs a[data-tab='outbox']")
    expect(police.locator("main h1").first).to_have_text("待上传")
    wait_held(1)
    with police.expect_response("**/api/v1/submissions?limit=*"):
        held[0].continue_()
    police.wait_for_timeout(500)  # the inbox would draw within a few milliseconds of its answer
    expect(police.locator("main h1").first).to_have_text("待上传")
    expect(police.locator("#inbox")).to_have_count(0)
    with police.expect_request("**/api/v1/submissions?limit=*"):
        police.goto("/app/#/inbox")
    expect(police.locator("#inbox")).to_contain_text(later)  # the late answer was kept on the phone
    wait_held(2)
    held[1].continue_()
    expect(police.locator("main")).not_to_contain_text("正在从服务器更新")
    police.context.set_offline(True)
    police.goto("/app/#/")
    police.goto("/app/#/inbox")
    expect(police.locator("#inbox-note")).to_have_text("离线：显示上次联网时的内容")
    expect(police.locator("#inbox")).to_contain_text(later)
    police.context.set_offline(False)
    assert not police.errors


def test_the_address_pack_comes_compressed_and_only_when_it_changed(phone, plate, places, as_user):
    grid = phone("grid")

    def reopened():
        with grid.expect_response(lambda r: "/api/v1/collect/pack" in r.url) as pack:
            grid.reload()
        expect(grid.locator("#pack-status")).to_contain_text("个门牌")
        return pack.value

    assert reopened().status == 304  # nothing changed since the phone fetched it
    police_api = as_user("police")
    image = io.BytesIO()
    Image.new("RGB", (40, 30), (9, 8, 7)).save(image, "JPEG")
    sha = hashlib.sha256(image.getvalue()).hexdigest()
    police_api.put(f"/api/v1/photos/{sha}", data=image.getvalue(), headers={"Content-Type": "image/jpeg"})
    shop_name = unique("压缩包新店")
    body = {"id": str(uuid.uuid4()), "kind": "shop", "building_code": places["grid"]["building"], "floor": 1,
            "room": "9", "shop_name": shop_name, "business_kind": "retail", "photos": [sha]}
    assert police_api.post("/api/v1/submissions", json=body).status_code == 201
    changed = reopened()
    assert changed.status == 200 and changed.headers["content-encoding"] in ("zstd", "br", "gzip")
    scan(grid, plate)  # the new shop came with the pack: the grid worker can bind it
    expect(grid.locator(f"[data-shop='{body['id']}']")).to_be_visible()
    expect(grid.locator("main")).to_contain_text(shop_name)


def review_queue_item(as_user, reviewer: str, client_id: str) -> dict | None:
    """The submission as it stands in the reviewer's queue, or None when it is not there."""
    page = as_user(reviewer).get("/api/v1/review/queue?collector=police&sort=newest&limit=200")
    assert page.status_code == 200, page.json
    return next((i for i in page.json["items"] if i["id"] == client_id), None)


def test_a_shop_saved_offline_is_changed_before_it_goes_and_arrives_once_as_changed(app, phone, plate, storefront,
                                                                                    screenshot):
    """A typo seen right after 提交, with no signal: 修改 opens the address step again, photo and all;
    what arrives later is the changed shop, once, and nothing under the first id."""
    police = phone("police")
    police.context.set_offline(True)
    wrong, right, room = unique("错字小吃店"), unique("正字小吃店"), unique("3")
    first_id = collect_shop(police, plate, storefront, wrong, room)
    expect(police.locator("#item-state")).to_have_text("已保存，待上传")
    screenshot(police, "field-item-change-phone", full_page=False)
    police.click("#change")
    expect(police.locator("[name=shop_name]")).to_have_value(wrong)
    expect(police.locator("[name=room]")).to_have_value(room)
    police.fill("[name=shop_name]", right)
    screenshot(police, "field-change-before-upload-phone", full_page=False)
    police.click("#next")
    expect(police.locator("img.photo-preview")).to_have_count(1)  # the photo came back with it
    second_id = submit(police)
    assert second_id != first_id
    police.goto("/app/#/outbox")
    expect(police.locator("#outbox li.item")).to_have_count(1)
    police.context.set_offline(False)
    expect(police.locator(f"#outbox [data-id='{second_id}'] .chip")).to_have_text("已上传")
    expect(police.locator("#outbox .change")).to_have_count(0)  # on the server now: changed through review only
    expect(police.locator("#outbox .delete")).to_have_count(0)  # nor deleted
    [row] = submissions(app, second_id)
    assert row["data"]["shop_name"] == right and row["data"]["room"] == room and len(row["photos"]) == 1
    assert submissions(app, first_id) == []
    assert not police.errors


def test_a_binding_saved_offline_can_be_deleted_before_it_goes(app, phone, plate):
    """A business bound at the wrong plate, with no signal: 删除 takes it off the phone, and nothing
    reaches the server when the signal returns. Once sent, it can no longer be deleted."""
    grid = phone("grid")
    scan(grid, plate)
    grid.click("text=按信用代码绑定其他单位")
    grid.fill("[name=credit_code]", credit_code_for("92"))
    grid.fill("[name=name]", unique("绑错门牌的店"))
    grid.context.set_offline(True)
    grid.click("#bind")
    expect(grid.locator("#item-state")).to_have_text("已保存，待上传")
    client_id = grid.url.split("#/item/")[1]
    grid.goto("/app/#/outbox")
    grid.once("dialog", lambda dialog: dialog.accept())
    grid.locator(f"#outbox [data-id='{client_id}'] .delete").click()
    expect(grid.locator(f"#outbox [data-id='{client_id}']")).to_have_count(0)
    expect(grid.locator("#badge")).to_be_hidden()
    grid.context.set_offline(False)
    grid.goto("/app/#/")
    expect(grid.locator("#net")).to_have_text("在线")
    grid.wait_for_timeout(500)
    assert submissions(app, client_id) == []
    assert not grid.errors


def test_a_binding_the_server_turned_down_is_changed_and_sent_again(app, phone, plate, screenshot):
    """A new business bound without its name is refused by the server for real; 修改 brings back the
    bind screen with the code as typed, and the binding with its name arrives once, under a new id."""
    grid = phone("grid")
    scan(grid, plate)
    grid.click("text=按信用代码绑定其他单位")
    code, name = credit_code_for("92"), unique("襄阳市樊城区补名副食店")
    grid.fill("[name=credit_code]", code)
    grid.click("#bind")
    expect(grid.locator("#item-state")).to_have_text("未被接收，需要处理")
    expect(grid.locator(".error")).to_contain_text("请填写营业执照上的名称")
    expect(grid.locator("#item-note")).to_contain_text("不会自动重传")  # it waits for the grid worker
    first_id = grid.url.split("#/item/")[1]
    grid.click("#change")
    expect(grid.locator("h1")).to_have_text("修改绑定")
    expect(grid.locator("#refusal")).to_have_text("这是新登记的单位，请填写营业执照上的名称")  # still in view
    expect(grid.locator("[name=credit_code]")).to_have_value(code)
    expect(grid.locator("#credit_code-ok")).to_have_text("✓ 代码有效")
    grid.fill("[name=name]", name)
    screenshot(grid, "field-binding-change-phone", full_page=False)
    grid.click("#bind")
    expect(grid.locator("#item-state")).to_have_text("已上传")
    second_id = grid.url.split("#/item/")[1]
    assert second_id != first_id
    [row] = submissions(app, second_id)
    assert row["kind"] == "binding" and row["data"]["credit_code"] == code and row["data"]["name"] == name
    assert submissions(app, first_id) == []
    grid.goto("/app/#/outbox")
    expect(grid.locator("#outbox li.item")).to_have_count(1)  # the refused one became this one
    expect(grid.locator("#outbox .change")).to_have_count(0)
    grid.goto(f"/app/#/bind/{plate['code']}?change={second_id}")  # a 修改 link kept from before it went
    expect(grid.locator("#change-gone")).to_contain_text("不能再修改")
    assert not grid.errors


def test_a_binding_that_went_while_being_changed_is_not_sent_twice(app, phone, plate):
    """The signal returns while 修改 is open: the binding saved before goes as it was, and the change
    is refused with the reason instead of arriving as a second binding."""
    grid = phone("grid")
    scan(grid, plate)
    grid.click("text=按信用代码绑定其他单位")
    grid.fill("[name=credit_code]", credit_code_for("92"))
    grid.fill("[name=name]", first_name := unique("先走一步的店"))
    grid.context.set_offline(True)
    grid.click("#bind")
    expect(grid.locator("#item-state")).to_have_text("已保存，待上传")
    first_id = grid.url.split("#/item/")[1]
    grid.click("#change")
    grid.fill("[name=name]", unique("来不及改的店"))
    grid.context.set_offline(False)  # the outbox sends what it holds
    deadline = time.monotonic() + 10
    while not submissions(app, first_id) and time.monotonic() < deadline:
        grid.wait_for_timeout(100)
    said = []
    grid.once("dialog", lambda dialog: (said.append(dialog.message), dialog.accept()))
    grid.click("#bind")
    grid.wait_for_url(re.compile(rf"#/item/{first_id}$"))  # the binding as it went
    expect(grid.locator("#item-state")).to_have_text("已上传")
    assert said == ["这条已开始上传，不能再修改：审核时可被退回更正，或在“我的提交”中查看。"]
    [row] = submissions(app, first_id)
    assert row["data"]["name"] == first_name
    grid.goto("/app/#/outbox")
    expect(grid.locator("#outbox li.item")).to_have_count(1)
    expect(grid.locator("#outbox li .chip")).to_have_text("已上传")
    assert not grid.errors


def test_a_shops_binding_saved_offline_is_changed_before_it_goes(app, phone, plate, places, as_user):
    """The licence's code mistyped as another valid code, with no signal: 修改 at the approved shop's
    binding keeps it the shop's, and only the changed binding reaches the server."""
    [shop_name] = [unique("改代码的店")]
    [shop_id] = shops_submitted(as_user, places, [shop_name])
    approve_all_steps(as_user, shop_id)
    grid = phone("grid")
    scan(grid, plate)
    grid.context.set_offline(True)
    grid.locator(f"#shops [data-shop='{shop_id}']").click()
    wrong, right = credit_code_for("92"), credit_code_for("92")
    grid.fill("[name=credit_code]", wrong)
    grid.click("#bind")
    expect(grid.locator("#item-state")).to_have_text("已保存，待上传")
    first_id = grid.url.split("#/item/")[1]
    grid.goto("/app/#/outbox")
    grid.locator(f"#outbox [data-id='{first_id}'] .change").click()
    expect(grid.locator("h1")).to_have_text("修改绑定")
    expect(grid.locator(".card")).to_contain_text(shop_name)
    expect(grid.locator("[name=credit_code]")).to_have_value(wrong)
    grid.fill("[name=credit_code]", right)
    grid.click("#bind")
    expect(grid.locator("#item-state")).to_have_text("已保存，待上传")
    second_id = grid.url.split("#/item/")[1]
    grid.goto("/app/#/outbox")
    expect(grid.locator("#outbox li.item")).to_have_count(1)
    grid.context.set_offline(False)
    expect(grid.locator(f"#outbox [data-id='{second_id}'] .chip")).to_have_text("已上传")
    [row] = submissions(app, second_id)
    assert row["data"]["credit_code"] == right and row["data"]["name"] == shop_name
    assert row["address_text"] == submissions(app, shop_id)[0]["address_text"]  # at the shop's room
    assert submissions(app, first_id) == []
    assert not grid.errors


def test_a_shop_the_server_turned_down_is_changed_and_sent_again(app, phone, plate, storefront, as_user, screenshot):
    """What the server refused (here a room it would not take, as answered for real) can be fixed on
    the phone with its photo instead of deleted and collected again."""
    refusal = as_user("police").post("/api/v1/submissions", json={
        "id": str(uuid.uuid4()), "kind": "shop", "building_code": plate["building"], "floor": 1, "room": "坏房号",
        "shop_name": "拒收样例", "business_kind": "retail", "photos": []})
    assert refusal.status_code == 422 and refusal.json["errors"][0]["field"] == "room"
    police = phone("police")
    police.route("**/api/v1/submissions", lambda route: route.fulfill(
        status=422, content_type="application/problem+json", body=refusal.text))
    name = unique("退件修改店")
    first_id = collect_shop(police, plate, storefront, name, unique("4"))
    expect(police.locator("#item-state")).to_have_text("未被接收，需要处理")
    police.goto("/app/#/outbox")
    refused = police.locator(f"#outbox [data-id='{first_id}']")
    expect(refused).to_contain_text("输入有误，请按提示修改")
    expect(refused).to_contain_text("室号 / 铺位号：")
    expect(refused).not_to_contain_text("room：")  # the API's field names stay out of the officer's way
    screenshot(police, "field-outbox-refused-phone", full_page=False)
    police.unroute("**/api/v1/submissions")
    refused.locator(".change").click()
    police.fill("[name=room]", room := unique("5"))
    police.click("#next")
    second_id = submit(police)
    expect(police.locator("#item-state")).to_have_text("已上传")
    [row] = submissions(app, second_id)
    assert row["data"]["room"] == room and row["data"]["shop_name"] == name and len(row["photos"]) == 1
    police.goto("/app/#/outbox")
    expect(police.locator("#outbox li.item")).to_have_count(1)  # the refused one became this one
    assert not police.errors


def test_a_returned_shop_is_corrected_offline_and_goes_back_to_its_reviewer(app, phone, plate, storefront, as_user,
                                                                          screenshot):
    police = phone("police")
    shop_name, room, right_room = unique("回锅肉馆"), unique("6"), unique("7")
    client_id = collect_shop(police, plate, storefront, shop_name, room)
    expect(police.locator("#item-state")).to_have_text("已上传")
    assert review_queue_item(as_user, "street", client_id)["data"]["room"] == room

    returned = as_user("street").post(f"/api/v1/review/items/{client_id}/return", json={
        "reason": "房号与现场不符，请核对", "comments": {"room": f"房号应为{right_room}", "building_code": "楼栋无误"}})
    assert returned.status_code == 200, returned.json
    assert returned.json["status"] == "returned" and returned.json["version"] == 1
    assert review_queue_item(as_user, "street", client_id) is None

    police.goto("/app/#/inbox")
    item = police.locator(f"#inbox li[data-id='{client_id}']")
    expect(police.locator("#inbox li").first).to_have_attribute("data-id", client_id)  # returned ones first
    expect(item.locator(".chip")).to_have_text("已退回，待更正")
    expect(item.locator(".reason")).to_have_text("退回理由：房号与现场不符，请核对")
    expect(item.locator(".comment[data-field='room']")).to_have_text(f"室号 / 铺位号：房号应为{right_room}")
    expect(item.locator(".comment[data-field='building_code']")).to_have_text("楼栋：楼栋无误")
    screenshot(police, "field-inbox-returned-phone", full_page=False)

    police.context.set_offline(True)  # corrected where there is no signal
    item.locator("[data-correct]").click()
    expect(police.locator("#room-comment")).to_have_text(f"审核意见：房号应为{right_room}")
    expect(police.locator("[name=room]")).to_have_value(room)
    expect(police.locator("[name=shop_name]")).to_have_value(shop_name)
    expect(police.locator("#return-reason")).to_have_text("退回理由：房号与现场不符，请核对")
    expect(police.locator(".commented")).to_have_count(1)  # only the room: the building is not edited here
    screenshot(police, "field-correct-phone", full_page=False)
    police.locator(".commented").evaluate("(e) => e.scrollIntoView({block: 'center'})")
    screenshot(police, "field-correct-room-phone", full_page=False)
    police.fill("[name=room]", "7 7")
    police.click("#submit-correction")
    expect(police.locator("#room-error")).to_contain_text("室号只能是")  # the same checks as when collecting
    police.fill("[name=room]", right_room)
    expect(police.locator("#address-preview")).to_contain_text(f"{right_room}室")
    police.click("#submit-correction")
    police.wait_for_url(re.compile(r"#/item/"))
    expect(police.locator("#item-state")).to_have_text("已保存，待上传")
    police.reload()  # the app was closed before the signal came back
    police.goto("/app/#/inbox")
    expect(item.locator(".chip")).to_have_text("更正待上传")
    expect(item.locator("[data-correct]")).to_have_count(0)
    expect(police.locator("#badge b")).to_have_text("1")
    assert submissions(app, client_id)[0]["status"] == "returned"

    police.context.set_offline(False)  # the outbox sends it by itself, and the inbox asks again
    expect(item.locator(".chip")).to_have_text(re.compile(r"^(已提交，待审核|审核中)$"))
    expect(police.locator("#badge")).to_be_hidden()
    [row] = submissions(app, client_id)
    assert row["data"]["room"] == right_room and row["data"]["shop_name"] == shop_name and len(row["photos"]) == 1
    back = review_queue_item(as_user, "street", client_id)
    assert back["data"]["room"] == right_room and back["version"] == 2 and not back["comments"]

    sent = police.evaluate("(id) => import('/app/js/store.js').then((m) => m.getItem(id)).then((i) => i.body)", client_id)
    assert sent["revision"] == 1 and sent["photos"] == row["photos"]
    replay = as_user("police").post("/api/v1/submissions", json=sent)  # its answer lost: sent once more
    assert replay.status_code == 200 and replay.json["version"] == 2

    assert approve_all_steps(as_user, client_id)["status"] == "approved"
    police.goto("/app/#/outbox")
    police.goto("/app/#/inbox")
    expect(item.locator(".chip")).to_have_text("已通过")
    assert not police.errors


def test_a_returned_binding_is_corrected_with_the_name_on_the_licence(app, phone, places, as_user):
    code = credit_code_for("92")
    sent = as_user("grid").post("/api/v1/submissions", json={
        "id": str(uuid.uuid4()), "kind": "binding", "address_code": places["grid"]["room"], "credit_code": code,
        "name": unique("张记")})
    assert sent.status_code == 201, sent.json
    client_id = sent.json["id"]
    reviewer = REVIEWER_OF_ROLE[as_user("admin").get(f"/api/v1/review/items/{client_id}").json["step_role"]]
    name = unique("襄阳市樊城区张记副食店")
    returned = as_user(reviewer).post(f"/api/v1/review/items/{client_id}/return",
                                      json={"reason": "名称不全", "comments": {"name": f"应为执照上的“{name}”"}})
    assert returned.status_code == 200, returned.json

    grid = phone("grid")
    grid.goto("/app/#/inbox")
    item = grid.locator(f"#inbox li[data-id='{client_id}']")
    expect(item.locator(".comment[data-field='name']")).to_have_text(f"单位名称：应为执照上的“{name}”")
    item.locator("[data-correct]").click()
    expect(grid.locator("[name=credit_code]")).to_have_value(code)
    expect(grid.locator("#name-comment")).to_have_text(f"审核意见：应为执照上的“{name}”")
    grid.fill("[name=name]", name)
    grid.click("#submit-correction")
    expect(grid.locator("#item-state")).to_have_text("已上传")
    expect(grid.locator("#item-note")).to_have_text("更正已收到，回到退回它的审核环节。")
    grid.goto("/app/#/inbox")
    expect(item.locator(".chip")).to_have_text(re.compile(r"^(已提交，待审核|审核中)$"))
    assert approve_all_steps(as_user, client_id)["status"] == "approved"
    assert organisation(app, code)["name"] == name
    assert not grid.errors
