"""The point-to-point loop of issue 9 in real browsers: a department uploads a small register at
/compare/, a business its register puts at another address becomes a verification task, the grid
worker answers it in the field app with no signal and then with signal, and the department's report
shows what was found. A large register is followed with its progress; findings beyond the task cap
(the e2e server's REGISTER_MAX_TASKS) wait for the district to send or dismiss them."""
from __future__ import annotations

import io
import re
import uuid

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from tests.collect.test_collect import jpeg
from tests.compare.test_compare import plate_text
from tests.e2e.test_e2e_plates import PHONE
from tests.e2e.test_e2e_task import grid_phone  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e


def register_file(app, places) -> tuple[bytes, dict]:
    """An .xlsx with one business at its own address and one the department puts at the door plate of
    the grid worker's grid (the field data has it elsewhere)."""
    from sqlalchemy import select

    from app.actuals.models import Binding
    from app.extensions import db
    from app.places.addresses import find_by_code

    with app.app_context():
        grid_plate = find_by_code(places["grid"]["plate"])
        found = []
        for binding in db.session.scalars(select(Binding).where(Binding.active).order_by(Binding.id.desc()).limit(300)):
            plate = binding.door_plate or binding.room.building.door_plate
            org = binding.organisation
            if plate.id != grid_plate.id and org.credit_code and org.status == "active":
                found.append((org.name, org.credit_code, plate_text(plate)))
            if len(found) == 2:
                break
        moved_to = plate_text(grid_plate)
        db.session.remove()
    (kept_name, kept_code, kept_at), (moved_name, moved_code, _) = found
    book = Workbook()
    book.active.append(["企业名称", "统一社会信用代码", "经营地址", "联系人", "联系电话"])
    book.active.append([kept_name, kept_code, kept_at, "张三", "13800001111"])
    book.active.append([moved_name, moved_code, moved_to, "李四", "13800002222"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), {"kept": kept_name, "moved": moved_name}


def test_a_suspicious_row_goes_to_the_grid_worker_and_the_answer_comes_back_to_the_department(
        app, places, new_page, grid_phone, screenshot):  # noqa: F811
    data, names = register_file(app, places)
    dept = new_page("dept")
    dept.goto("/compare/")
    dept.fill("[name=kind]", f"道路运输企业-{uuid.uuid4().hex[:6]}")
    dept.fill("[name=department]", "市交通运输局")
    dept.set_input_files("[name=file]", {"name": "运输企业名录.xlsx", "buffer": data,
                                         "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    dept.click("#upload button")
    # The comparison runs in the background; the page follows it and shows the report when done.
    expect(dept.locator("#classes")).to_be_visible(timeout=30_000)
    expect(dept.locator("#classes tr[data-class=matched] td")).to_have_text("1")
    expect(dept.locator("#classes tr[data-class=suspicious] td")).to_have_text("1")
    moved = dept.locator("#rows tr", has_text=names["moved"])
    expect(moved).to_contain_text("单位登记在其他地址")
    expect(moved).to_contain_text("待核查")
    report_url = dept.url
    screenshot(dept, "compare-report")

    grid = grid_phone
    grid.goto("/app/#/inbox")
    row = grid.locator("#tasks li", has_text=names["moved"])
    expect(row).to_contain_text("部门比对：单位登记在其他地址")
    row.locator("[data-task-open]").click()
    expect(grid.locator("#task-detail")).to_contain_text("市交通运输局")
    grid.context.set_offline(True)
    grid.check("input[name=outcome][value=confirmed]")
    grid.fill("[name=note]", "已搬到此处经营，营业执照地址未变更")
    grid.set_input_files("#task-photo-input", {"name": "front.jpg", "mimeType": "image/jpeg",
                                               "buffer": jpeg(seed=91, size=(1200, 900))})
    expect(grid.locator("#task-photos img")).to_have_count(1)
    grid.click("#answer-submit")
    expect(grid.locator("#task-state")).to_have_text("已保存，待上传")
    dept.reload()
    expect(dept.locator("#tasks tr[data-outcome=confirmed] td")).to_have_text("0")  # not yet: the phone is offline
    grid.context.set_offline(False)
    expect(grid.locator("#task-state")).to_have_text("已上传")

    dept.goto(report_url)
    expect(dept.locator("#tasks tr[data-outcome=confirmed] td")).to_have_text("1")
    expect(dept.locator("#rows tr", has_text=names["moved"])).to_contain_text("核实无误")
    expect(dept.locator("#rows tr", has_text=names["moved"])).to_contain_text("已搬到此处经营")
    dept.click("#download-report")  # written by a job; its page follows it and offers the file
    expect(dept.locator("h1")).to_have_text("比对报告（Excel）")
    expect(dept.locator("#status")).to_have_text("已完成", timeout=30_000)
    with dept.expect_download() as download:
        dept.click("#download")
    assert download.value.suggested_filename.startswith("比对报告-市交通运输局-")
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert [r[1] for r in book["明细"].iter_rows(values_only=True)][1:] == [names["kept"], names["moved"]]
    dept.goto(report_url)

    phone = new_page("dept", **PHONE)  # the report reads on a phone too
    phone.goto(report_url)
    expect(phone.locator("#classes")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "compare-report-phone")


def register_of(rows: list[list[str]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("名录")
    sheet.append(["单位名称", "统一社会信用代码", "地址", "联系人", "联系电话"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def empty_plates(app, count: int) -> list[str]:
    """Addresses of door plates with no organisation at them, as a clerk writes them (and as the
    comparison finds them): a new business there is 新单位, which opens no task."""
    from sqlalchemy import select

    from app.accounts.models import User
    from app.actuals.models import Binding
    from app.compare.matching import Matcher
    from app.extensions import db
    from app.places.models import DoorPlate

    with app.app_context():
        matcher = Matcher(db.session.scalar(select(User).where(User.username == "dept")).jurisdiction)
        taken = select(Binding.door_plate_id).where(Binding.active, Binding.door_plate_id.is_not(None))
        plates = db.session.scalars(select(DoorPlate).where(DoorPlate.status == "active", DoorPlate.id.not_in(taken))
                                    .order_by(DoorPlate.id.desc()).limit(10 * count)).all()
        texts = [plate_text(p) for p in plates if matcher.place(plate_text(p)).plates == [p.id]
                 and not matcher.orgs_at.get(p.id)][:count]
        db.session.remove()
    assert len(texts) == count
    return texts


def upload_register(page, data: bytes, department: str) -> None:
    page.goto("/compare/")
    page.fill("[name=kind]", f"测试名录-{uuid.uuid4().hex[:6]}")
    page.fill("[name=department]", department)
    page.set_input_files("[name=file]", {"name": "名录.xlsx", "buffer": data,
                                         "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    page.click("#upload button")


def test_a_large_register_is_followed_with_its_progress_until_its_report(app, new_page, screenshot):
    tag = uuid.uuid4().hex[:4]
    plates = empty_plates(app, 50)
    data = register_of([[f"襄阳{tag}第{i}商贸有限公司", "", plates[i % len(plates)], "", ""] for i in range(6000)])
    dept = new_page("dept")
    upload_register(dept, data, "市统计局")
    # The upload answers at once; reading and comparing go on in the background, the bar moving.
    expect(dept.locator("#matching [role=progressbar]")).to_be_visible()
    expect(dept.locator("#matching h2")).to_have_text(re.compile("正在读取文件…|正在比对…"))
    expect(dept.locator("#status")).to_have_text(re.compile("读取中|比对中|排队中"))
    screenshot(dept, "compare-progress")
    expect(dept.locator("#classes")).to_be_visible(timeout=120_000)
    expect(dept.locator("#classes tr", has_text="合计").locator("td")).to_have_text("6000")
    expect(dept.locator("#classes tr[data-class=new] td")).to_have_text("6000")
    expect(dept.locator("#rows tbody tr")).to_have_count(100)  # a page of rows, not all 6000
    dept.click("text=下一页")
    expect(dept.locator("#rows tbody tr").first).to_have_attribute("data-row", "102")


def test_findings_beyond_the_task_cap_wait_for_the_district_to_send_or_dismiss_them(new_page, screenshot):
    tag = uuid.uuid4().hex[:4]  # roads 樊城区 does not have: each row's task goes to the district's street office
    data = register_of([[f"襄阳{tag}第{i}商贸有限公司", "", f"襄阳市樊城区没有{tag}这条路{i + 1}号", "", ""] for i in range(25)])
    dept = new_page("dept")
    upload_register(dept, data, "市市场监督管理局")
    expect(dept.locator("#held")).to_be_visible(timeout=60_000)
    expect(dept.locator("#tasks tr", has_text="推送任务").locator("td")).to_have_text("20")
    expect(dept.locator("#held tr[data-state=held] td")).to_have_text("5")
    expect(dept.locator("#held tr[data-cause=register] td")).to_have_text("5")
    report_url = dept.url

    district = new_page("district")
    district.goto("/tasks/")
    held = district.locator("#held tr[data-held-row]", has_text=tag)
    expect(held).to_have_count(5)
    held.nth(0).locator("input[name=row]").check()
    screenshot(district, "tasks-held")
    district.click("#held button[value=send]")
    expect(district.locator(".flash").first).to_contain_text("已派发 1 条核查任务")
    held = district.locator("#held tr[data-held-row]", has_text=tag)
    expect(held).to_have_count(4)
    held.nth(0).locator("input[name=row]").check()
    district.click("#held button[value=dismiss]")
    expect(district.locator(".flash").first).to_contain_text("已标为不派发 1 条")
    expect(district.locator("#held tr[data-held-row]", has_text=tag)).to_have_count(3)

    dept.goto(report_url)
    expect(dept.locator("#held tr[data-state=held] td")).to_have_text("3")
    expect(dept.locator("#held tr[data-state=sent] td")).to_have_text("1")
    expect(dept.locator("#held tr[data-state=dismissed] td")).to_have_text("1")
    expect(dept.locator("#tasks tr", has_text="推送任务").locator("td")).to_have_text("21")
