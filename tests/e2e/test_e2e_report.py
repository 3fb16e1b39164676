"""Resident self-report from a door plate, on a phone with nobody signed in: 我住这里 (checked as it is
typed, then by the server), 单位信息变更 with a photo and 门牌问题, each ending on its receipt; reviewers
approve them in the web queue, the receipts then say so, and the plate problem becomes a task in the
grid worker's field app inbox."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app import privacy
from app.collect.models import Submission
from app.extensions import db
from app.reports.models import PublicReport
from tests.collect.test_collect import jpeg
from tests.e2e.test_e2e_plates import PHONE, _fits_the_screen
from tests.e2e.test_e2e_review import flash
from tests.factories import credit_code_for, unique
from tests.plates.test_plates import scan_png
from tests.reports.test_reports import count, residence, submission_of

pytestmark = pytest.mark.e2e
RECEIPT_URL = re.compile(r"/r/([A-Za-z0-9_-]+)\?new=1$")


def open_form(page, token: str, button: str):
    """The plate's public page, then one of its three report buttons."""
    page.goto(f"/p/{token}")
    page.locator("#report-actions a", has_text=button).click()
    expect(page.locator("h1")).to_have_text(button)
    page.wait_for_load_state("load")  # report.js runs as a module: its checks are there after load


def submit(page, app) -> dict:
    """Send the form, land on its receipt: {"url", "client_id", "reference"}."""
    page.locator("#submit-report").click()
    page.wait_for_url(RECEIPT_URL)
    expect(page.locator("#filed")).to_contain_text("已提交")
    expect(page.locator("#state")).to_have_text("已受理")
    expect(page.locator("#state")).to_have_attribute("data-status", "submitted")
    _fits_the_screen(page)
    filed = submission_of(app, RECEIPT_URL.search(page.url).group(1))
    expect(page.locator("#reference")).to_have_text(filed["reference"])
    return {"url": page.url.removesuffix("?new=1"), **filed}


def open_item(new_page, reviewer: str, kind: str, client_id: str, hidden: tuple[str, ...] = (),
              shown: tuple[str, ...] = ()):
    """The reviewer finds the report in their web queue with its badge and opens it: `shown` is in
    what was submitted, nothing of `hidden` anywhere in the page."""
    page = new_page(reviewer)
    page.goto(f"/review/?kind={kind}&sort=newest")
    row = page.locator(f"tr[data-id='{client_id}']")
    expect(row.locator(".tag.public")).to_have_text("居民申报")
    row.get_by_role("link").click()
    expect(page.locator("#public-badge")).to_have_text("居民申报")
    for text in shown:
        expect(page.locator("table.diff")).to_contain_text(text)
    assert [t for t in hidden if t in page.content()] == []
    return page


def fill_declaration(page, body: dict) -> None:
    """我住这里 filled in as `body` says, the room typed."""
    page.fill("#f-name", body["name"])
    page.fill("#f-id_number", body["id_number"])
    expect(page.locator("#e-id_number")).to_have_text("")
    page.fill("#f-phone", body["phone"])
    if page.locator("#f-room_id").count():
        page.select_option("#f-room_id", "")
    expect(page.locator("#typed-room")).to_be_visible()
    page.fill("#f-unit", body["unit"])
    page.fill("#f-room", body["room"])
    page.fill("#f-moved_in", body["moved_in"])
    page.select_option("#f-reason", body["reason"])
    page.check("#f-consent")


def approve(page, last_step: bool) -> None:
    page.locator("#approve").click()
    expect(flash(page)).to_contain_text("已通过并写入主数据" if last_step else "已通过，转入下一环节")


def shows_approved(new_page, receipt_url: str):
    page = new_page(**PHONE)  # the reporter again, anonymous, from the saved link
    page.goto(receipt_url)
    expect(page.locator("#state")).to_have_text("已办结（已采纳）")
    expect(page.locator("#state")).to_have_attribute("data-status", "approved")
    expect(page.locator("#filed")).to_have_count(0)
    return page


def test_a_resident_declares_where_they_live_and_police_then_street_approve(app, as_user, places, new_page,
                                                                           screenshot):
    token = scan_png(as_user("admin"), places["grid"]["building"])  # a building plate: one building
    body = residence()
    page = new_page(**PHONE)
    open_form(page, token, "我住这里")

    right = body["id_number"]
    wrong = right[:17] + ("0" if right[17] != "0" else "1")
    page.fill("#f-id_number", wrong)
    expect(page.locator("#e-id_number")).to_have_text(f"公民身份号码校验码错误：第18位应为“{right[17]}”")
    page.fill("#f-id_number", "420606199013010011")
    expect(page.locator("#e-id_number")).to_contain_text("出生日期")
    expect(page.locator("[data-field=id_number]")).to_have_class(re.compile(r"\binvalid\b"))

    fill_declaration(page, {**body, "name": ""})
    with app.app_context():
        before = (count(Submission), count(PublicReport))
    page.locator("#submit-report").click()  # the name left empty
    expect(page.locator("#e-name")).to_have_text("请填写姓名")
    expect(page.locator("[data-field=name]")).to_have_class(re.compile(r"\binvalid\b"))
    expect(page.locator("#form-problem")).to_contain_text("姓名：请填写姓名")
    assert re.search(r"/report/residence$", page.url)
    with app.app_context():
        assert (count(Submission), count(PublicReport)) == before
    _fits_the_screen(page)
    screenshot(page, "report-residence-error-phone")

    expect(page.locator("#f-room")).to_have_value(body["room"])  # what was typed is still there
    page.fill("#f-name", body["name"])
    filed = submit(page, app)
    screenshot(page, "report-receipt-phone")

    masked = right[:4] + "*" * 10 + right[-4:]
    police = open_item(new_page, "police", "residence", filed["client_id"], hidden=(right, body["phone"]),
                       shown=(masked, "139****5678"))
    screenshot(police, "report-review-item")
    approve(police, last_step=False)
    page.reload()
    expect(page.locator("#state")).to_have_attribute("data-status", "in_review")
    street = open_item(new_page, "street", "residence", filed["client_id"], hidden=(right, body["phone"]),
                       shown=(masked,))
    approve(street, last_step=True)
    shows_approved(new_page, filed["url"])


def test_a_new_business_is_reported_with_a_photo_and_approved_twice(app, as_user, places, new_page):
    token = scan_png(as_user("admin"), places["grid"]["plate"])
    page = new_page(**PHONE)
    open_form(page, token, "单位信息变更")
    page.check("input[name=changes][value=opened]")
    page.fill("#f-org_name", unique("扫码新开小店"))
    page.fill("#f-credit_code", credit_code_for("92"))
    expect(page.locator("#e-credit_code")).to_have_text("")
    page.set_input_files("#f-photo", {"name": "shopfront.jpg", "mimeType": "image/jpeg", "buffer": jpeg(5)})
    filed = submit(page, app)

    for reviewer, last_step in (("street", False), ("district", True)):
        item = open_item(new_page, reviewer, "org_change", filed["client_id"])
        expect(item.locator("#photos a.thumb")).to_have_count(1)
        approve(item, last_step)
    shows_approved(new_page, filed["url"])


def test_a_damaged_plate_is_reported_and_becomes_a_task_in_the_grid_workers_inbox(app, as_user, places, new_page,
                                                                                screenshot):
    token = scan_png(as_user("admin"), places["grid"]["plate"])
    note = unique("门牌被车撞弯，号码看不清")
    page = new_page(**PHONE)
    open_form(page, token, "门牌问题")
    page.check("input[name=problem][value=damaged]")
    page.fill("#f-note", note)
    filed = submit(page, app)

    approve(open_item(new_page, "street", "plate_problem", filed["client_id"]), last_step=True)
    receipt = shows_approved(new_page, filed["url"])
    _fits_the_screen(receipt)
    screenshot(receipt, "report-receipt-approved-phone")

    grid = new_page("grid", **PHONE)
    grid.goto("/app/#/inbox")
    task = grid.locator("#tasks li", has_text=note)
    expect(task.locator("b")).to_have_text("门牌问题：门牌损坏")
    _fits_the_screen(grid)
    screenshot(grid, "report-task-inbox-phone", full_page=False)


def test_a_form_sent_again_files_one_declaration_and_someone_typing_that_id_number_and_room_gets_a_receipt_of_their_own(
        app, as_user, places, new_page):
    token = scan_png(as_user("admin"), places["grid"]["building"])
    body = residence()
    page = new_page(**PHONE)
    open_form(page, token, "我住这里")
    fill_declaration(page, body)
    reached = []

    def answer_lost_once(route):  # the form reaches the server; its first answer never reaches the phone
        answer = route.fetch(max_redirects=0)
        reached.append(answer.headers.get("location"))
        if len(reached) == 1:
            route.abort("aborted")  # as if the connection dropped: the form stays on the screen
        else:
            route.fulfill(response=answer)

    page.route("**/report/residence", answer_lost_once)
    page.locator("#submit-report").click(no_wait_after=True)
    while not reached:
        page.wait_for_timeout(50)
    expect(page.locator("h1")).to_have_text("我住这里")
    page.locator("#submit-report").click()  # nothing seemed to happen: tapped again
    expect(page).to_have_url(RECEIPT_URL)
    expect(page.locator("#state")).to_have_attribute("data-status", "submitted")
    first = submission_of(app, RECEIPT_URL.search(page.url).group(1))
    expect(page.locator("#reference")).to_have_text(first["reference"])
    assert len(reached) == 2 and reached[0] == reached[1], reached  # the server answered both with this receipt
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PublicReport).where(
            PublicReport.id_number_hash == privacy.blind_index(body["id_number"]))) == 1

    other = new_page(**PHONE)  # someone else who knows the ID number and the room
    open_form(other, token, "我住这里")
    fill_declaration(other, {**body, "name": "赵六", "phone": "13600000000"})
    theirs = submit(other, app)  # a receipt of their own: the state of what they sent, received now
    assert theirs["reference"] != first["reference"] and first["reference"] not in other.content()
    assert RECEIPT_URL.search(page.url).group(1) not in other.content() + other.url

    police = open_item(new_page, "police", "residence", theirs["client_id"], shown=("赵六", "136****0000"))
    expect(police.locator("#flags")).to_contain_text("同一人对同一户室已有待审核的申报")
    expect(police.locator("#duplicates")).to_contain_text("同一人对同一户室的申报")
    expect(police.locator(f"#duplicates a[href*='{first['client_id']}']")).to_have_count(1)
