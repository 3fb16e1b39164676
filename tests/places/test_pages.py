"""The address browser's pages, as the server renders them (the browser tests drive them in chromium)."""
import re

from tests.client import Client


def signed_in_page_client(app, demo, username):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"csrf_token": token, "username": username,
                                           "password": demo["users"][username]["password"]})
    assert response.status_code == 302
    return client


def test_wrong_password_page_says_so_in_chinese(app):
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    page = client.post("/login", data={"csrf_token": token, "username": "police", "password": "nope"})
    assert page.status_code == 401 and "用户名或密码错误" in page.get_data(as_text=True)


def test_home_lists_the_jurisdiction_and_searches(app, demo, places):
    client = signed_in_page_client(app, demo, "police")
    home = client.get("/").get_data(as_text=True)
    assert "我的辖区" in home and places["codes"]["township"] in home
    api = Client(app.test_client()).sign_in("police", demo["users"]["police"]["password"])
    parts = api.get(f"/api/v1/addresses/{places['grid']['plate']}").json["parts"]
    results = client.get("/", query_string={"q": f"{parts['road']}{parts['number']}号"}).get_data(as_text=True)
    assert f"/places/a/{places['grid']['plate']}" in results


def test_area_page_lists_buildings_with_a_map_and_exports(app, demo, places):
    client = signed_in_page_client(app, demo, "district")
    page = client.get(f"/places/areas/{places['codes']['township']}").get_data(as_text=True)
    assert "楼栋（共" in page and 'id="map"' in page and "导出 Excel" in page
    assert f"/places/a/{places['grid']['building']}" in page or "下一页" in page


def test_room_page_shows_residents_masked_and_only_police_get_the_reveal_button(app, demo, places):
    for username, can_reveal in (("police", True), ("street", False)):
        client = signed_in_page_client(app, demo, username)
        page = client.get(f"/places/a/{places['grid']['room']}").get_data(as_text=True)
        assert "实有人口" in page
        assert not re.search(r"\b\d{17}[\dX]\b", page), "a full ID number is in the page"
        assert ("查看完整" in page) is can_reveal


def test_collector_sees_addresses_but_no_people(app, demo, places):
    client = signed_in_page_client(app, demo, "collector")
    page = client.get(f"/places/a/{places['grid']['room']}").get_data(as_text=True)
    assert "户室" in page and "实有人口" not in page


def test_outside_the_jurisdiction_the_page_is_404(app, demo, places):
    client = signed_in_page_client(app, demo, "grid")
    assert client.get(f"/places/a/{places['elsewhere']['building']}").status_code == 404
    assert client.get(f"/places/areas/{places['elsewhere']['area']}").status_code == 404


def test_admin_page_issues_a_key_once(app, demo):
    client = signed_in_page_client(app, demo, "admin")
    page = client.get("/admin/users").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    dept_id = re.search(r'name="user_id" value="(\d+)">\s*<input name="name"', page).group(1)
    issued = client.post("/admin/users", data={"csrf_token": token, "action": "issue_key", "user_id": dept_id,
                                               "name": "住建局"}).get_data(as_text=True)
    secret = re.search(r'id="new-secret">(ybk_[^<]+)<', issued).group(1)
    assert secret not in client.get("/admin/users").get_data(as_text=True)
    bad = client.post("/admin/users", data={"csrf_token": token, "action": "create", "username": "ab",
                                            "role": "police", "password": "short", "area_codes": "4206"})
    assert bad.status_code == 422
    assert "用户名：长度应为 3–64 个字符" in bad.get_data(as_text=True) and "密码" in bad.get_data(as_text=True)
    assert signed_in_page_client(app, demo, "police").get("/admin/users").status_code == 403
