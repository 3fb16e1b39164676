"""On a phone (360×640, touch, zh-CN) the address pages fit the screen and their texts can be read:
no sideways scrolling, no ID number or name cut into pieces, no tiny type."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN", "device_scale_factor": 2}

# For each selector: on how many lines its text lies, its smallest font size, and whether it sticks
# out of the screen. A text broken mid-word shows as 2+ lines.
MEASURE = """(selectors) => selectors.map((selector) => [...document.querySelectorAll(selector)].map((el) => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
  const box = el.getBoundingClientRect();
  return { selector, text: el.innerText.trim(), lines: lines.size,
           fontSize: parseFloat(getComputedStyle(el).fontSize), right: box.right, left: box.left };
}))"""


def _no_sideways_scroll(page):
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner + 1, f"the page is {width}px wide on a {inner}px screen"


def test_the_address_pages_fit_a_phone(new_page, server, home, screenshot):
    page = new_page("police", **PHONE)

    page.goto(f"/places/a/{home['building']}")
    expect(page.locator("#map .leaflet-interactive")).to_have_count(1)
    _no_sideways_scroll(page)

    page.goto(f"/places/a/{home['room']}")
    expect(page.locator("h1")).to_have_text(home["room_text"])
    expect(page.locator("#map .leaflet-interactive")).to_have_count(1)
    expect(page.locator("tr[data-resident]")).to_have_count(len(home["residents"]))
    _no_sideways_scroll(page)
    inner = page.evaluate("window.innerWidth")

    single_line = ["tr[data-resident] td:first-child", "td.id-number", "td.phone", "dl.facts dt"]
    for group in page.evaluate(MEASURE, single_line):
        assert group, "nothing measured"
        for m in group:
            assert m["lines"] == 1, f"{m['selector']} {m['text']!r} is broken over {m['lines']} lines"
    readable = ["h1", "dl.facts dd", "tr[data-resident] td", ".crumbs a", "header .brand", "section.card h2"]
    for group in page.evaluate(MEASURE, readable):
        assert group, "nothing measured"
        for m in group:
            assert m["fontSize"] >= 12, f"{m['selector']} {m['text']!r} is set in {m['fontSize']}px"
            assert m["left"] >= 0 and m["right"] <= inner + 1, f"{m['selector']} {m['text']!r} runs off the screen"
    # Every resident's masked number is there in full, and the map fills the width.
    for resident_id, _, _, masked in home["residents"]:
        expect(page.locator(f'tr[data-resident="{resident_id}"] td.id-number')).to_have_text(masked)
    box = page.locator("#map").bounding_box()
    assert box["width"] >= inner - 40 and box["x"] >= 0
    screenshot(page, "address-room-phone")

    # The reveal button can be tapped.
    page.locator("tr[data-resident] button.reveal").first.tap()
    expect(page.locator("tr[data-resident] button.reveal").first).to_have_text("已显示（已记录）")
    _no_sideways_scroll(page)
    assert page.requests.off_origin(server.url) == []
