"""The search box: an address typed the way people say it (Chinese numerals, 幢 for 栋) finds the
standard address as the first result."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """12 -> 十二, 105 -> 一百零五: how a door-plate number is said."""
    assert 0 < n < 1000
    hundreds, tens, ones = n // 100, n // 10 % 10, n % 10
    text = f"{DIGITS[hundreds]}百" if hundreds else ""
    if tens:
        text += ("" if tens == 1 and not hundreds else DIGITS[tens]) + "十"
    elif hundreds and ones:
        text += "零"
    return text + (DIGITS[ones] if ones else "")


def spoken_address(parts: dict) -> str:
    """樊城区人民路十二号一幢二单元三零一: road, numbers in Chinese, room digit by digit."""
    text = "樊城区" + parts["road"] + chinese_number(int(parts["number"])) + "号"
    text += chinese_number(int(parts["building"])) + "幢"
    if parts.get("unit"):
        text += chinese_number(int(parts["unit"])) + "单元"
    return text + "".join(DIGITS[int(d)] for d in parts["room"])


def test_chinese_numerals():
    assert [chinese_number(n) for n in (1, 10, 12, 20, 105, 110, 999)] == \
        ["一", "十", "十二", "二十", "一百零五", "一百一十", "九百九十九"]


@pytest.mark.parametrize("user", ["police", "admin"])
def test_a_spoken_address_finds_the_room_first(new_page, server, home, user):
    query = spoken_address(home["room_parts"])
    assert not any(ch.isdigit() for ch in query) and "栋" not in query

    page = new_page(user)
    page.goto("/")
    box = page.get_by_role("search").locator("input[name=q]")
    box.fill(query)
    box.press("Enter")

    expect(page.get_by_role("heading", name=f"“{query}”的查找结果")).to_be_visible()
    expect(box).to_have_value(query)
    first = page.locator("section.card", has_text="的查找结果").locator("tbody tr").first
    expect(first).to_be_visible()
    link = first.get_by_role("link")
    expect(link).to_have_text(home["room_text"])
    expect(first).to_contain_text("户室")
    link.click()
    page.wait_for_url(f"{server.url}/places/a/{home['room']}")
    expect(page.locator("h1")).to_have_text(home["room_text"])
