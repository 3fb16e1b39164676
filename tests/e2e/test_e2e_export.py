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


def test_excel_export_of_an_area(new_page, app, server, home, tmp_path):
    township_code, township_name = home["township"]
    expected = _buildings_in(app, township_code)
    page = new_page("police")
    page.goto(f"/places/areas/{township_code}")
    expect(page.get_by_role("heading", name=f"楼栋（共 {len(expected)} 栋）")).to_be_visible()

    page.get_by_role("button", name="导出 Excel").click()
    page.wait_for_url(re.compile(re.escape(server.url) + r"/jobs/[^/]+$"))
    expect(page.locator("h1")).to_have_text("导出 Excel")
    expect(page.get_by_text(township_code)).to_be_visible()
    expect(page.locator("#bar")).to_have_attribute("style", re.compile(r"width:\s*100%"), timeout=30_000)
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    download_link = page.locator("#download")
    expect(download_link).to_be_visible()
    expect(download_link).to_have_text("下载结果")
    assert "失败" not in page.locator("#status").inner_text()

    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename == f"{township_name}-{township_code}.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert path.read_bytes()[:2] == b"PK"  # a zip container, as every .xlsx is

    workbook = load_workbook(path, read_only=True)
    assert workbook.sheetnames[:3] == ["楼栋", "户室", "单位"]
    rows = list(workbook["楼栋"].iter_rows(values_only=True))
    assert rows[0][:2] == ("对象编码", "标准地址")
    assert {r[0] for r in rows[1:]} == expected
    assert all(r[1].startswith("湖北省襄阳市樊城区" + township_name) for r in rows[1:])
    rooms = list(workbook["户室"].iter_rows(values_only=True))
    assert home["room"] in {r[0] for r in rooms[1:]}
    assert page.requests.off_origin(server.url) == []
