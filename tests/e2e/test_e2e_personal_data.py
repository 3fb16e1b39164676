"""Full ID numbers: a police officer may reveal one, and it is written to the audit log; a street
reviewer only ever sees them masked."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

pytestmark = pytest.mark.e2e


def _reveals(app, resident_id: int, username: str) -> int:
    from app.audit.models import AuditLog
    from app.extensions import db

    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "resident.reveal_personal", AuditLog.object_type == "resident",
            AuditLog.object_id == resident_id,
            AuditLog.actor_name == username))
        db.session.remove()
    return n


def test_police_reveals_a_full_id_number_and_it_is_audited(new_page, app, server, home):
    resident_id, name, id_number, masked = home["residents"][0]
    other_id, _, other_number, other_masked = home["residents"][1]
    before = _reveals(app, resident_id, "police")

    page = new_page("police")
    page.goto(f"/places/a/{home['room']}")
    row = page.locator(f'tr[data-resident="{resident_id}"]')
    expect(row.locator("td.id-number")).to_have_text(masked)
    button = row.locator("button.reveal")
    expect(button).to_have_text("查看完整")
    expect(button).to_have_attribute("title", re.compile("审计"))
    button.click()

    expect(row.locator("td.id-number")).to_have_text(id_number)
    assert re.fullmatch(r"[0-9]{17}[0-9X]", row.locator("td.id-number").inner_text())
    expect(button).to_have_text("已显示（已记录）")
    expect(button).to_be_disabled()
    # Only the row asked for: the neighbour stays masked.
    expect(page.locator(f'tr[data-resident="{other_id}"] td.id-number')).to_have_text(other_masked)
    assert _reveals(app, resident_id, "police") == before + 1
    assert _reveals(app, other_id, "police") == 0


def test_a_street_reviewer_has_no_reveal_button(new_page, server, home):
    page = new_page("street")
    page.goto(f"/places/a/{home['room']}")
    people = page.locator("tr[data-resident]")
    expect(people).to_have_count(len(home["residents"]))
    expect(page.locator("button.reveal")).to_have_count(0)
    expect(page.get_by_role("button", name="查看完整")).to_have_count(0)
    for resident_id, _, _, masked in home["residents"]:
        expect(page.locator(f'tr[data-resident="{resident_id}"] td.id-number')).to_have_text(masked)
    html = page.content()
    assert not [n for _, _, n, _ in home["residents"] if n in html]
    expect(page.get_by_text("身份号码和电话默认脱敏显示")).to_be_visible()
