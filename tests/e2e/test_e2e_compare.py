"""The point-to-point loop of issue 9 in real browsers: a department uploads a small register at
/compare/, a business its register puts at another address becomes a verification task, the grid
worker answers it in the field app with no signal and then with signal, and the department's report
shows what was found."""
from __future__ import annotations

import io
import uuid

import pytest
from openpyxl import Workbook
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
    return out.getvalue(), {"moved": moved_name}


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
    download = dept.request.get(report_url + "/report.xlsx")
    assert download.ok and download.headers["content-type"].startswith("application/vnd.openxmlformats")

    phone = new_page("dept", **PHONE)  # the report reads on a phone too
    phone.goto(report_url)
    expect(phone.locator("#classes")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "compare-report-phone")
