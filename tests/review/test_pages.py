"""The reviewers' desk as pages: the queue at my step, one item with its decisions sent as forms, the
bulk approval's dry run, the overview and the chain editor (the browser tests drive them in chromium)."""
from __future__ import annotations

import hashlib
import re
import uuid

import pytest
from sqlalchemy import select

from app.collect.models import Submission
from app.extensions import db
from app.places.models import Area
from tests.client import Client
from tests.collect.test_collect import jpeg, put_photo, shop_body
from tests.factories import unique

PASSWORD = "review-pages-1"


def browser(app, username: str, password: str):
    """A test client signed in through the login form, as a reviewer's browser is."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT"] = "text/html,application/xhtml+xml,*/*;q=0.8"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"csrf_token": token, "username": username, "password": password}).status_code == 302
    return client


@pytest.fixture()
def desk(app, demo):
    """desk(username) -> a signed-in page client of a demo user."""
    return lambda username: browser(app, username, demo["users"][username]["password"])


def send(client, url: str, **form):
    """Post a page's form with its CSRF token."""
    page = client.get("/review/overview").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    return client.post(url, data={"csrf_token": token, **form})


def text(response) -> str:
    return response.get_data(as_text=True)


def state(app, client_id: str) -> Submission:
    with app.app_context():
        s = db.session.scalar(select(Submission).where(Submission.client_id == client_id))
        db.session.expunge(s)
        return s


def post_shop(client, building: str, **overrides) -> str:
    """A shop submission with a photo of its own, sent by `client`; returns its client id."""
    data = jpeg(seed=uuid.uuid4().int % 256, size=(80, 60))
    assert put_photo(client, data).status_code in (200, 201)
    answer = client.post("/api/v1/submissions", json=shop_body(building, hashlib.sha256(data).hexdigest(), **overrides))
    assert answer.status_code == 201, answer.json
    return answer.json["id"]


@pytest.fixture()
def shop(as_user, places):
    """shop(**overrides) -> client id of a police shop submission in the grid worker's grid."""
    return lambda **overrides: post_shop(as_user("police"), places["grid"]["building"], **overrides)


def other_reviewer(as_user, area_code: str, role: str = "street_reviewer") -> str:
    username = unique("shenhe")
    answer = as_user("admin").post("/api/v1/users", json={"username": username, "role": role, "password": PASSWORD,
                                                          "area_codes": [area_code]})
    assert answer.status_code == 201, answer.json
    return username


# --- the queue --------------------------------------------------------------------------------

def test_a_new_shop_waits_for_the_street_reviewer_and_reaches_the_district_after_first_review(app, desk, shop, as_user):
    client_id = shop()
    street, district = desk("street"), desk("district")
    page = text(street.get("/review/?sort=newest"))
    assert client_id in page and "我的审核队列" in page and "门店采集" in page
    assert client_id not in text(district.get("/review/?sort=newest"))
    assert as_user("street").post(f"/api/v1/review/items/{client_id}/approve", json={}).status_code == 200
    assert client_id not in text(street.get("/review/?sort=newest"))
    assert client_id in text(district.get("/review/?sort=newest"))


def test_filters_narrow_the_queue_and_count_per_kind(desk, shop, places):
    client_id = shop(position=None)
    street = desk("street")
    shown = lambda **args: client_id in text(street.get("/review/", query_string={"sort": "newest", **args}))  # noqa: E731
    assert shown() and shown(kind="shop") and shown(collector="police") and shown(has_photo="true")
    assert shown(flag="gps.none") and shown(area=places["codes"]["grid"])
    assert not shown(kind="binding") and not shown(collector="grid") and not shown(has_photo="false")
    assert not shown(age_days=1) and not shown(flag="gps.far") and not shown(area=places["township"]["area"])
    page = text(street.get("/review/", query_string={"kind": "binding"}))
    assert re.search(r"门店采集（\d+）", page) and re.search(r"单位绑定（\d+）", page)
    bad = street.get("/review/", query_string={"age_days": "0"})
    assert bad.status_code == 200 and "等待天数" in text(bad) and "应在 1 到 3650 天之间" in text(bad)


def test_roles_without_a_review_step_get_a_clear_403(desk):
    for username in ("collector", "admin"):  # police and grid workers check residents' reports (app/reports)
        page = desk(username).get("/review/")
        assert page.status_code == 403 and "<h1>403 · 您的角色无权执行此操作</h1>" in text(page)
        assert "不是审核角色，没有审核队列" in text(page)


def test_a_reviewer_of_another_township_gets_404_for_the_item(app, desk, shop, as_user, places):
    client_id = shop()
    elsewhere = other_reviewer(as_user, places["district"]["area"][:9])
    assert browser(app, elsewhere, PASSWORD).get(f"/review/items/{client_id}").status_code == 404
    assert desk("street").get(f"/review/items/{client_id}").status_code == 200


# --- one item ---------------------------------------------------------------------------------

def test_the_item_page_shows_the_diff_photos_flags_duplicates_and_history(desk, shop, places):
    room = unique("8")
    first = shop(room=room, position=None)
    second = shop(room=room)
    page = text(desk("street").get(f"/review/items/{second}"))
    assert "提交内容与当前主数据" in page and 'class="changed"' in page and "尚无此户室，通过后新建" in page
    assert "/api/v1/photos/" in page and 'id="photo-dialog"' in page
    assert "同一户室" in page and f"/review/items/{first}" in page
    assert "提交门店采集" in page and "快捷键" in page and 'id="approve-form"' in page
    assert "拍照位置距楼栋" in page and 'id="map"' in page
    flagged = text(desk("street").get(f"/review/items/{first}"))
    assert "没有拍照位置" in flagged


def test_approve_reject_and_return_through_the_item_page(app, desk, shop):
    street = desk("street")
    approved, rejected, returned = shop(), shop(), shop()

    answer = send(street, f"/review/items/{approved}/approve", version="1")
    assert answer.status_code == 302 and "/review/" in answer.location
    assert state(app, approved).step_role == "district_reviewer"
    assert "已通过，转入下一环节" in text(street.get(answer.location))

    no_reason = send(street, f"/review/items/{rejected}/reject", reason=" ")
    assert no_reason.status_code == 422 and "请填写不通过的理由" in text(no_reason)
    assert state(app, rejected).status == "submitted"
    assert send(street, f"/review/items/{rejected}/reject", reason="现场没有这家店").status_code == 302
    s = state(app, rejected)
    assert (s.status, s.reason) == ("rejected", "现场没有这家店")
    page = text(street.get(f"/review/items/{rejected}"))
    assert "未通过" in page and "现场没有这家店" in page and 'id="approve-form"' not in page

    nothing = send(street, f"/review/items/{returned}/return")
    assert nothing.status_code == 422 and "请至少对一个字段写明需要更正的内容" in text(nothing)
    assert send(street, f"/review/items/{returned}/return", **{"comment.room": "室号应为 102", "comment.use": ""},
                reason="请核对").status_code == 302
    s = state(app, returned)
    assert (s.status, s.comments) == ("returned", {"room": "室号应为 102"})
    assert "室号应为 102" in text(street.get(f"/review/items/{returned}"))


def test_an_item_claimed_by_another_reviewer_says_so_and_refuses_decisions(app, desk, shop, as_user, places):
    client_id = shop()
    colleague = other_reviewer(as_user, places["codes"]["township"])
    colleague_api = Client(app.test_client()).sign_in(colleague, PASSWORD)
    assert colleague_api.post(f"/api/v1/review/items/{client_id}/claim", json={}).status_code == 200
    street = desk("street")
    assert re.search(r"已被.+领取", text(street.get("/review/?sort=newest")))
    page = text(street.get(f"/review/items/{client_id}"))
    assert "已被" in page and 'id="approve-form"' not in page
    refused = send(street, f"/review/items/{client_id}/approve")
    assert refused.status_code == 409 and "已被其他审核人领取" in text(refused)


def test_a_conflict_is_shown_with_both_versions_and_rebase_lets_it_through(app, desk, shop, as_user):
    room = unique("9")
    first, second = shop(room=room), shop(room=room)
    for client_id in (first, second):
        assert as_user("street").post(f"/api/v1/review/items/{client_id}/approve", json={}).status_code == 200
    assert as_user("district").post(f"/api/v1/review/items/{first}/approve", json={}).status_code == 200
    district = desk("district")
    conflict = send(district, f"/review/items/{second}/approve")
    page = text(conflict)
    assert conflict.status_code == 409 and "提交后主数据已变化" in page and "以当前数据为准" in page
    assert "房间在提交后已被他人登记" in page and "第 1 版" in page and "没有" in page
    rebased = send(district, f"/review/items/{second}/rebase")
    assert rebased.status_code == 302 and "以当前数据为准" in text(district.get(rebased.location))
    assert send(district, f"/review/items/{second}/approve").status_code == 302
    assert state(app, second).status == "approved"


def test_j_and_k_links_walk_the_queue(desk, shop):
    older, newer = shop(), shop()
    page = text(desk("street").get(f"/review/items/{older}"))
    assert re.search(rf'id="next-item"[^>]*href="/review/items/{newer}"', page)


# --- bulk, export, overview, chains -------------------------------------------------------------

def test_the_bulk_dry_run_counts_what_the_filter_selects_and_starts_a_job(desk, shop, as_user):
    shop()
    street = desk("street")
    expected = as_user("street").get("/api/v1/review/queue?collector=police&kind=shop&limit=1").json["counts"]["total"]
    page = text(street.get("/review/bulk?collector=police&kind=shop"))
    assert f'id="bulk-count">{expected}<' in page and "采集人 police" in page and "确认批量通过" in page
    # a job on a filter that selects nothing: it must not approve the other tests' items
    started = send(street, "/review/bulk", collector="city")
    assert started.status_code == 302 and re.search(r"/jobs/[\w-]+$", started.location)
    assert "批量审核通过" in text(street.get(started.location))
    exported = send(street, "/review/export", kind="shop")
    assert exported.status_code == 302 and "/jobs/" in exported.location
    assert desk("collector").get("/review/bulk").status_code == 403


def test_the_overview_shows_the_backlog_and_a_chart(desk, shop, places):
    shop()
    page = text(desk("street").get("/review/overview"))
    assert "各环节积压" in page and "街道/乡镇初审" in page and "<svg" in page and "<rect" in page
    assert "等待最久的一条" in page
    narrowed = desk("district").get(f"/review/overview?area={places['codes']['township']}")
    assert narrowed.status_code == 200 and places["codes"]["township"] in text(narrowed)
    outside = text(desk("street").get("/review/overview?area=420602"))
    assert "不在您的辖区内" in outside and "<svg" in outside


def test_the_admin_edits_a_chain_and_others_are_refused(app, desk, places):
    admin = desk("admin")
    page = text(admin.get("/review/chains"))
    assert "在用的流程" in page and "全市默认" in page and "区县部门复审" in page
    area = places["elsewhere"]["area"]
    saved = send(admin, "/review/chains", kind="binding", area_code=area, label0="初审", reviewer0="street_or_owner",
                 label1="", reviewer1="", label2="终审", reviewer2="district")
    assert saved.status_code == 302
    page = text(admin.get(saved.location))
    assert "已保存" in page and area in page
    with app.app_context():
        assert db.session.scalar(select(Area.name).where(Area.code == area)) in page  # named, not just coded
    retired = send(admin, "/review/chains", kind="binding", area_code=area)  # no steps: back to the wider chain
    assert retired.status_code == 302
    page = text(admin.get(retired.location))
    assert "已取消“单位绑定”" in page and f"<span class=\"muted\">{area}</span>" not in page
    bad = send(admin, "/review/chains", kind="binding", area_code="999999", label0="初审", reviewer0="street")
    assert bad.status_code == 422 and "没有代码为 999999 的区划" in text(bad)
    empty = send(admin, "/review/chains", kind="binding")
    assert empty.status_code == 422 and "审核流程须有 1 到 6 个环节" in text(empty)
    long_label = send(admin, "/review/chains", kind="binding", label0="初" * 33, reviewer0="street")
    assert long_label.status_code == 422 and "环节名称不超过 32 个字" in text(long_label)
    for username in ("street", "police"):
        assert desk(username).get("/review/chains").status_code == 403
        assert send(desk(username), "/review/chains", kind="shop", reviewer0="street").status_code == 403
