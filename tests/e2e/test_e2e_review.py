"""The reviewers' desk in a browser: a business collected and bound with the field app goes through
the street office's first review (by keyboard) and the district's second, and then shows at its door
plate in the address browser; bulk approval after its dry run, a conflict resolved by re-basing, the
Excel export, and the pages at desk and phone width."""
from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from tests.client import Client
from tests.e2e.test_e2e_field import (camera_browser, fill_in, phone, photograph, plate, scan,  # noqa: F401
                                      storefront, submit)
from tests.factories import credit_code_for, unique
from tests.review.test_pages import post_shop

pytestmark = pytest.mark.e2e
PASSWORD = "review-e2e-1"


@pytest.fixture(scope="module")
def collector(app, demo, places) -> dict:
    """A collector of our own in the grid worker's grid, so that a queue filtered by them holds only
    this module's shops: {"username", "api", "building"}."""
    admin = Client(app.test_client()).sign_in("admin", demo["users"]["admin"]["password"])
    username = unique("caiji")
    answer = admin.post("/api/v1/users", json={"username": username, "role": "collector", "password": PASSWORD,
                                               "area_codes": [places["codes"]["grid"]]})
    assert answer.status_code == 201, answer.json
    return {"username": username, "api": Client(app.test_client()).sign_in(username, PASSWORD),
            "building": places["grid"]["building"]}


def new_shop(collector, **overrides) -> str:
    """A shop of our collector in the grid worker's grid (sent through the API)."""
    return post_shop(collector["api"], collector["building"], **overrides)


def flash(page):
    return page.locator("p.flash")


def shortcut(page, key: str) -> None:
    """Press a shortcut once the page's scripts are running: a decision reloads the page, and its
    flash message shows before the module that listens for the keys has run."""
    page.wait_for_load_state("load")
    page.keyboard.press(key)


def binding_of(app, code: str) -> str:
    from app.collect.models import Submission
    from app.extensions import db

    with app.app_context():
        found = [s.client_id for s in db.session.scalars(select(Submission).where(Submission.kind == "binding"))
                 if s.data.get("credit_code") == code]
        db.session.remove()
    [client_id] = found
    return client_id


def test_a_business_bound_in_the_field_is_reviewed_twice_and_shows_at_its_door_plate(
        app, phone, plate, storefront, new_page, screenshot):
    police = phone("police")
    scan(police, plate)
    photograph(police, storefront)
    shop_name = unique("审核面馆")
    fill_in(police, plate, shop_name, unique("6"))
    shop_id = submit(police)
    grid = phone("grid")
    scan(grid, plate)
    grid.locator(f"[data-shop='{shop_id}']").click()
    code = credit_code_for("92")
    grid.fill("[name=credit_code]", code)
    expect(grid.locator("[name=name]")).to_have_value(shop_name)
    grid.click("#bind")
    expect(grid.locator("#item-state")).to_have_text("已上传")
    binding_id = binding_of(app, code)

    street = new_page("street")
    street.goto("/review/?sort=newest")
    expect(street.locator("h1")).to_contain_text("我的审核队列")
    row = street.locator(f"tr[data-id='{binding_id}']")
    expect(row).to_contain_text("单位绑定")
    expect(row).to_contain_text(shop_name)
    expect(row).to_contain_text(plate["text"])
    expect(street.locator(f"tr[data-id='{shop_id}']")).to_contain_text("门店采集")
    screenshot(street, "review-queue")
    row.get_by_role("link").click()
    expect(street.locator("table.diff")).to_contain_text(code)
    expect(street.locator("#history")).to_contain_text("提交单位绑定")
    screenshot(street, "review-item-binding")
    shortcut(street, "c")  # 领取
    expect(flash(street)).to_contain_text("已领取")
    expect(street.locator("#claimed")).to_contain_text("我已领取")
    shortcut(street, "a")  # 通过
    expect(flash(street)).to_contain_text(f"已通过，转入下一环节“复审”：{plate['text']}")

    district = new_page("district")
    district.goto("/review/?kind=binding&sort=newest")
    district.locator(f"tr[data-id='{binding_id}'] a").click()
    expect(district.locator("#history")).to_contain_text("通过")
    district.locator("#approve").click()
    expect(flash(district)).to_contain_text("已通过并写入主数据")

    street.goto(f"/places/a/{plate['code']}")
    organisations = street.locator("section", has=street.get_by_role("heading", name=re.compile("实有单位")))
    expect(organisations).to_contain_text(shop_name)
    expect(organisations).to_contain_text(code)


def test_the_shop_item_page_shows_photos_position_and_keyboard_legend(collector, new_page, screenshot):
    room = unique("5")
    first = new_shop(collector, room=room, position=None)
    second = new_shop(collector, room=room)
    page = new_page("street")
    page.goto(f"/review/items/{second}?collector={collector['username']}")
    expect(page.locator("table.diff tr.changed").first).to_be_visible()
    expect(page.locator("#duplicates")).to_contain_text("同一户室")
    expect(page.locator("#distance")).to_contain_text(re.compile(r"拍照位置距楼栋 \d+ 米"))
    expect(page.locator("#map .leaflet-interactive")).to_have_count(2)  # the building and where the photo was taken
    expect(page.locator(".legend")).to_contain_text("快捷键")
    page.wait_for_function("[...document.querySelectorAll('a.thumb img')].every((i) => i.complete && i.naturalWidth > 0)")
    screenshot(page, "review-item")
    page.locator("a.thumb").first.click()
    expect(page.locator("#photo-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#photo-dialog")).to_be_hidden()
    shortcut(page, "k")  # the earlier one in the queue
    expect(page).to_have_url(re.compile(f"/review/items/{first}"))
    page.wait_for_load_state()  # the shortcuts are there once the page's module has run
    shortcut(page, "r")
    expect(page.locator("#reject-reason")).to_be_focused()
    page.keyboard.type("门店已关闭")
    page.get_by_role("button", name="不通过").click()
    expect(flash(page)).to_contain_text("已标记为不通过")
    expect(page).to_have_url(re.compile(f"/review/items/{second}"))  # on to the next item in the queue
    page.wait_for_load_state()
    shortcut(page, "t")
    expect(page.locator("#comment-address")).to_be_focused()
    page.keyboard.type("请核对门牌号")
    page.get_by_role("button", name="退回采集人更正").click()
    expect(flash(page)).to_contain_text("已退回采集人更正")


def test_bulk_approval_after_its_dry_run_follows_the_job_to_100_percent(collector, new_page):
    for _ in range(3):
        new_shop(collector, room=unique("7"))
    page = new_page("street")
    page.goto(f"/review/?collector={collector['username']}")
    count = int(page.locator("#total").inner_text())
    assert count >= 3
    page.get_by_role("link", name="批量通过…").click()
    expect(page.locator("#bulk-count")).to_have_text(str(count))
    expect(page.locator("main")).to_contain_text(f"采集人 {collector['username']}")
    page.locator("#bulk-confirm").click()
    page.wait_for_url(re.compile(r"/jobs/[^/]+$"))
    expect(page.locator("h1")).to_have_text("批量审核通过")
    expect(page.locator("#status")).to_have_text("已完成", timeout=30_000)
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#message")).to_contain_text(f"已通过 {count} 条")
    page.goto(f"/review/?collector={collector['username']}")
    expect(page.locator("#total")).to_have_text("0")


def test_a_conflict_is_shown_and_rebasing_lets_the_reviewer_approve(collector, as_user, new_page, screenshot):
    room = unique("3")
    first, second = (new_shop(collector, room=room) for _ in range(2))
    for client_id in (first, second):
        assert as_user("street").post(f"/api/v1/review/items/{client_id}/approve", json={}).status_code == 200
    assert as_user("district").post(f"/api/v1/review/items/{first}/approve", json={}).status_code == 200
    page = new_page("district")
    page.goto(f"/review/items/{second}")
    shortcut(page, "a")
    conflict = page.locator("#conflict")
    expect(conflict).to_contain_text("提交后主数据已变化")
    expect(conflict).to_contain_text("房间在提交后已被他人登记")
    screenshot(page, "review-conflict")
    page.get_by_role("button", name="以当前数据为准").click()
    expect(flash(page)).to_contain_text("已以当前数据为准")
    expect(page.locator("#conflict")).to_have_count(0)
    page.locator("#approve").click()
    expect(flash(page)).to_contain_text("已通过并写入主数据")


def test_the_queue_exports_to_excel(collector, new_page, tmp_path):
    client_id = new_shop(collector, room=unique("4"))
    page = new_page("street")
    page.goto(f"/review/?collector={collector['username']}")
    page.get_by_role("button", name="导出 Excel").click()
    page.wait_for_url(re.compile(r"/jobs/[^/]+$"))
    expect(page.locator("#status")).to_have_text("已完成", timeout=30_000)
    with page.expect_download() as info:
        page.locator("#download").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.name.startswith("审核队列-") and path.suffix == ".xlsx"
    rows = list(load_workbook(path, read_only=True)["审核队列"].iter_rows(values_only=True))
    assert rows[0][:2] == ("提交编号", "类型") and [r[0] for r in rows[1:]] == [client_id]


def test_overview_and_chains_at_desk_and_phone_width(collector, new_page, screenshot):
    new_shop(collector, room=unique("2"))
    page = new_page("street")
    page.goto("/review/overview")
    expect(page.locator("#backlog")).to_contain_text("街道/乡镇初审")
    expect(page.locator("svg.chart rect.received").last).to_be_visible()  # today
    screenshot(page, "review-overview")
    admin = new_page("admin")
    admin.goto("/review/chains")
    expect(admin.locator("#chains")).to_contain_text("全市默认")
    admin.locator("#chains tr", has_text="门店采集").filter(has_text="全市默认").get_by_role("link", name="修改").click()
    expect(admin.locator("[name=reviewer1]")).to_have_value("district")
    admin.fill("[name=area_code]", "12")
    admin.locator("#save-chain").click()
    expect(admin.locator(".field-error")).to_have_text("没有代码为 12 的区划")
    screenshot(admin, "review-chains")

    phone_page = new_page("street", viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
    for url in ("/review/", "/review/overview", f"/review/?collector={collector['username']}"):
        phone_page.goto(url)
        assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360, url
    phone_page.locator("table.queue a").first.click()
    expect(phone_page.locator("#actions")).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone_page, "review-item-phone", full_page=False)
