"""Signing in: the error a person sees, where they land, and the way back to the page they wanted."""
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_wrong_password_shows_the_error_and_stays_on_login(new_page, server, demo, sign_in, screenshot):
    page = new_page()
    page.goto("/login")
    expect(page).to_have_title(re.compile("登录"))
    expect(page.get_by_role("heading", name="登录一标三实")).to_be_visible()
    screenshot(page, "login")

    sign_in(page, "police", demo["users"]["police"]["password"] + "x")

    expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")
    assert page.url.split("?")[0] == server.url + "/login"
    expect(page.locator("#username")).to_have_value("police")  # kept, so only the password is retyped
    expect(page.locator("#password")).to_have_value("")
    expect(page.get_by_role("link", name="退出")).to_have_count(0)


def test_right_password_lands_on_the_address_browser(new_page, server, demo, sign_in, home):
    page = new_page()
    page.goto("/login")
    sign_in(page, "police", demo["users"]["police"]["password"])

    page.wait_for_url(server.url + "/")
    expect(page.get_by_role("heading", name="标准地址浏览")).to_be_visible()
    expect(page.get_by_role("search").get_by_label("地址")).to_be_visible()
    township_code, township_name = home["township"]
    expect(page.locator("ul.tree")).to_contain_text(township_name)
    expect(page.locator("header .who")).to_contain_text("社区民警")


def test_a_deep_link_asks_to_sign_in_then_comes_back(new_page, server, demo, sign_in, home):
    community_code, community_name = home["community"]
    page = new_page()
    page.goto(f"/places/areas/{community_code}")

    assert page.url.startswith(server.url + "/login?next=")
    expect(page.locator("#username")).to_be_visible()
    sign_in(page, "street", demo["users"]["street"]["password"])

    page.wait_for_url(f"{server.url}/places/areas/{community_code}")
    expect(page.locator("h1")).to_contain_text(community_name)
