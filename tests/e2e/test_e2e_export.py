"""Excel export: started from an area page, followed on the job page to 100 %, downloaded as a real
workbook holding the area's buildings."""
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

pytestmark = pytest.mark.e2e


def _buildings_in(app, area_code: str) -> set[str]:
    from app.extensions import db
    from app.places.models import Area, Building

    with app.app_context():
        codes = set(db.session.scalars(
            select(Building.object_code).join(Area, Building.area_id == Area.id)
            .where(Area.code.startswith(area_code), Building.status == "active")))
        db.session.remove()
    return codes


def test_excel_export_of_a_district(new_page, app, server, tmp_path):
    """樊城区 as its district reviewer: a few thousand rows, long enough for progress to show."""
    district_code, district_name = "420606", "樊城区"
    expected = _buildings_in(app, district_code)
    page = new_page("district")
    page.goto(f"/places/areas/{district_code}")
    expect(page.locator("h1")).to_contain_text(district_name)
    expect(page.get_by_role("heading", name=f"楼栋（共 {len(expected)} 栋）")).to_be_visible()

    page.get_by_role("button", name="导出 Excel").click()
    page.wait_for_url(re.compile(re.escape(server.url) + r"/jobs/[^/]+$"))
    expect(page.locator("h1")).to_have_text("导出 Excel")
    expect(page.get_by_text(district_code)).to_be_visible()
    status = page.locator("#status")
    expect(status).to_have_text(re.compile("^(已完成|失败)"), timeout=30_000)
    assert status.inner_text().startswith("已完成"), status.inner_text()
    expect(page.locator("#bar")).to_have_attribute("style", re.compile(r"width:\s*100%"))
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    download_link = page.locator("#download")
    expect(download_link).to_be_visible()
    expect(download_link).to_have_text("下载结果")

    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename == f"{district_name}-{district_code}.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert path.read_bytes()[:2] == b"PK"  # a zip container, as every .xlsx is

    workbook = load_workbook(path, read_only=True)
    assert workbook.sheetnames[:3] == ["楼栋", "户室", "单位"]
    rows = list(workbook["楼栋"].iter_rows(values_only=True))
    assert rows[0][:2] == ("对象编码", "标准地址")
    assert {r[0] for r in rows[1:]} == expected
    assert all(r[1].startswith("湖北省襄阳市樊城区") for r in rows[1:])
    assert len(list(workbook["户室"].iter_rows())) > 1
    assert page.requests.off_origin(server.url) == []
