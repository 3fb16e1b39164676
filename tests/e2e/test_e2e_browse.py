"""Browsing the address base: my area → community → grid → building → room with its residents,
each with a map drawn from our own server only."""
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

MASKED_ID = re.compile(r"^[0-9]{4}\*{10}[0-9X]{4}$")


def _map_has_markers(page, count: int | None = None):
    expect(page.locator("#map.leaflet-container")).to_be_visible()
    markers = page.locator("#map .leaflet-interactive")
    if count is None:
        expect(markers.first).to_be_visible()
    else:
        expect(markers).to_have_count(count)
    box = page.locator("#map").bounding_box()
    assert box["width"] > 200 and box["height"] > 200, box


def _building_rows(page):
    return page.locator("section.card", has=page.get_by_role("heading", name=re.compile("楼栋"))).locator("tbody tr")


def test_browse_from_my_area_down_to_the_people_in_a_room(new_page, server, home, screenshot):
    township_code, township_name = home["township"]
    community_code, community_name = home["community"]
    grid_code, grid_name = home["grid"]
    page = new_page("police")

    page.goto("/")
    page.get_by_role("link", name=township_name).click()
    page.wait_for_url(f"{server.url}/places/areas/{township_code}")
    expect(page.locator("h1")).to_contain_text(township_name)
    expect(page.locator("h1")).to_contain_text("街道/乡镇")
    expect(page.locator("ul.tree")).to_contain_text(community_name)
    rows = _building_rows(page)
    expect(rows.first).to_be_visible()
    _map_has_markers(page, rows.count())  # one marker per building listed
    screenshot(page, "address-browser-area")

    page.locator("ul.tree").get_by_role("link", name=community_name).click()
    page.wait_for_url(f"{server.url}/places/areas/{community_code}")
    expect(page.locator(".crumbs")).to_contain_text(township_name)

    page.locator("ul.tree").get_by_role("link", name=grid_name, exact=True).click()
    page.wait_for_url(f"{server.url}/places/areas/{grid_code}")
    expect(page.locator("h1")).to_contain_text(grid_name)
    total = int(re.search(r"共 (\d+) 栋", page.locator("h2", has_text="楼栋").inner_text()).group(1))
    expect(_building_rows(page)).to_have_count(min(total, 100))
    _map_has_markers(page, min(total, 100))

    page.get_by_role("link", name=home["building_text"], exact=True).click()
    page.wait_for_url(f"{server.url}/places/a/{home['building']}")
    expect(page.locator("h1")).to_have_text(home["building_text"])
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("楼栋")
    expect(facts).to_contain_text(home["building"])
    expect(page.locator(".crumbs")).to_contain_text(grid_name)
    _map_has_markers(page, 1)
    expect(page.get_by_role("heading", name=re.compile(r"实有人口（\d+）"))).to_be_visible()
    screenshot(page, "address-browser-building")

    page.get_by_role("link", name=home["room_text"], exact=True).click()
    page.wait_for_url(f"{server.url}/places/a/{home['room']}")
    expect(page.locator("h1")).to_have_text(home["room_text"])
    expect(page.locator("dl.facts")).to_contain_text("户室")
    _map_has_markers(page, 1)
    expect(page.get_by_role("heading", name=f"实有人口（{len(home['residents'])}）")).to_be_visible()
    people = page.locator("tr[data-resident]")
    expect(people).to_have_count(len(home["residents"]))
    for resident_id, name, id_number, masked in home["residents"]:
        row = page.locator(f'tr[data-resident="{resident_id}"]')
        expect(row).to_contain_text(name)
        shown = row.locator("td.id-number").inner_text().strip()
        assert MASKED_ID.match(shown), shown
        assert shown == masked and shown[:4] == id_number[:4] and shown[-4:] == id_number[-4:]
    html = page.content()
    assert not [n for _, _, n, _ in home["residents"] if n in html], "a full ID number is in the page"
    screenshot(page, "address-browser-room-residents")

    assert page.requests.off_origin(server.url) == [], "requests left our server"
    assert page.requests.failed == []


def test_building_list_pages_with_a_cursor(new_page, server, places):
    """The district list runs over several pages; 下一页 shows new buildings and 第一页 goes back."""
    page = new_page("district")
    page.goto(f"/places/areas/{places['district']['area'][:6]}")
    first = _building_rows(page).locator("a").all_inner_texts()
    assert len(first) == 100
    page.get_by_role("link", name="下一页 »").click()
    expect(page).to_have_url(re.compile(r"cursor="))
    second = _building_rows(page).locator("a").all_inner_texts()
    assert second and not set(first) & set(second)
    page.get_by_role("link", name="« 第一页").click()
    assert _building_rows(page).locator("a").all_inner_texts() == first
