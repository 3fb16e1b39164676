"""The admin page: a department user with a jurisdiction, an API key shown once, used by a program,
then revoked."""
import re
import uuid
import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def _call_areas(playwright_instance, server, secret: str):
    """GET /api/v1/areas as a department's program would: the key in a header, no cookie."""
    api = playwright_instance.request.new_context(
        base_url=server.url, extra_http_headers={"Authorization": f"Bearer {secret}"})
    try:
        response = api.get("/api/v1/areas")
        return response.status, response.headers.get("content-type", ""), response.json()
    finally:
        api.dispose()


def test_admin_creates_a_department_user_and_issues_then_revokes_a_key(
        new_page, server, home, playwright_instance, screenshot):
    township_code, township_name = home["township"]
    username = f"e2e-dept-{uuid.uuid4().hex[:6]}"
    page = new_page("admin")
    page.goto("/")
    page.get_by_role("navigation").get_by_role("link", name="用户与密钥").click()
    expect(page.get_by_role("heading", name="用户与 API 密钥", exact=True)).to_be_visible()
    expect(page.locator("tbody tr", has_text="演示police")).to_contain_text(township_name)
    screenshot(page, "admin-users-and-keys")

    # A department user whose programs may read one township.
    page.fill("#nu-username", username)
    page.fill("#nu-name", "交通运输局接口")
    page.select_option("#nu-role", label="部门接口（API）")
    page.fill("#nu-areas", township_code)
    page.fill("#nu-password", "e2e-pass-" + uuid.uuid4().hex[:8])
    page.get_by_role("button", name="创建").click()
    expect(page.get_by_role("status")).to_have_text(f"已创建用户 {username}")
    user_row = page.locator("section", has=page.get_by_role("heading", name="用户", exact=True)) \
        .locator("tbody tr", has=page.get_by_role("cell", name=username, exact=True))
    expect(user_row).to_contain_text("部门接口")
    expect(user_row).to_contain_text(township_name)
    expect(user_row.locator(".tag")).to_have_text("在用")

    # The secret is shown once, on the page that answers the request.
    user_row.get_by_label("密钥名称").fill("交通监管")
    user_row.get_by_role("button", name="签发密钥").click()
    secret_box = page.locator("#new-secret")
    expect(secret_box).to_be_visible()
    secret = secret_box.inner_text().strip()
    assert re.fullmatch(r"ybk_[A-Za-z0-9_-]{20,}", secret), secret
    expect(page.get_by_text("只显示这一次").first).to_be_visible()
    keys = page.locator("section", has=page.get_by_role("heading", name="API 密钥", exact=True)) \
        .locator("tbody tr", has=page.get_by_role("cell", name=username, exact=True))
    expect(keys).to_have_count(1)
    expect(keys).to_contain_text("交通监管")
    expect(keys).to_contain_text(secret[:8])
    assert secret not in keys.inner_text()

    # Reloading shows the list, never the secret again, and does not issue a second key.
    page.reload()
    expect(page.get_by_role("heading", name="API 密钥", exact=True)).to_be_visible()
    expect(page.locator("#new-secret")).to_have_count(0)
    assert secret not in page.content()
    expect(keys).to_have_count(1)

    # The key works from a program: its user's jurisdiction, and nothing else.
    status, content_type, body = _call_areas(playwright_instance, server, secret)
    assert status == 200, body
    assert [a["code"] for a in body] == [township_code]

    page.once("dialog", lambda dialog: dialog.accept())  # 吊销后使用该密钥的调用将全部失败，确定吊销？
    keys.get_by_role("button", name="吊销").click()
    expect(page.get_by_role("status")).to_have_text("已吊销密钥“交通监管”")
    expect(keys.locator(".tag")).to_have_text("已吊销")
    expect(keys.get_by_role("button", name="吊销")).to_have_count(0)

    # Each worker looks a valid key up again 1 s after it last did (app/accounts/auth.py, RECHECK_S),
    # so 1 s after the revocation no worker accepts it.
    time.sleep(1.1)
    status, content_type, body = _call_areas(playwright_instance, server, secret)
    assert status == 401
    assert content_type.startswith("application/problem+json")
    assert body["status"] == 401 and body["title"] == "API 密钥无效或已吊销"
