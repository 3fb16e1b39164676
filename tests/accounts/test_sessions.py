"""A session lives on the server: signing out, changing the password or being deactivated ends it at
once, and a cookie someone kept opens nothing afterwards. Signing in takes as long for a name that
is no user as for one that is."""
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from app.accounts.models import User, UserSession
from app.extensions import db
from app.lifecycle import utcnow
from tests.client import Client
from tests.factories import unique


@pytest.fixture()
def person(app, as_user):
    """A new police user of 樊城区: (username, password)."""
    username, password = unique("officer"), "first-pass-1"
    made = as_user("admin").post("/api/v1/users", json={"username": username, "role": "police",
                                                        "password": password, "area_codes": ["420606"]})
    assert made.status_code == 201, made.json
    return username, password


def _replaying(app, client: Client):
    """A new client carrying the session cookie `client` has now, as someone who copied it would."""
    thief = app.test_client()
    thief.set_cookie("session", client.c.get_cookie("session").value)
    return thief


def _signed_in_as(flask_client) -> str | None:
    user = flask_client.get("/api/v1/session").json["user"]
    return user and user["username"]


def test_a_cookie_kept_from_before_sign_out_opens_nothing_after_it(app, person):
    officer = Client(app.test_client()).sign_in(*person)
    kept = _replaying(app, officer)
    assert _signed_in_as(kept) == person[0]
    assert officer.delete("/api/v1/session").status_code == 204
    assert _signed_in_as(kept) is None
    assert kept.get("/api/v1/areas").status_code == 401


def test_the_pages_sign_out_ends_the_session_too(app, person):
    officer = Client(app.test_client()).sign_in(*person)
    kept = _replaying(app, officer)
    page = officer.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert officer.c.post("/logout", data={"csrf_token": token}).status_code == 302
    assert kept.get("/places/areas/420606", headers={"Accept": "text/html"}).status_code == 302  # to sign-in
    assert _signed_in_as(kept) is None


def test_changing_the_password_ends_every_other_session_and_keeps_the_one_making_it(app, person):
    username, password = person
    phone = Client(app.test_client()).sign_in(username, password)
    desk = Client(app.test_client()).sign_in(username, password)
    wrong = desk.put("/api/v1/session/password", json={"current_password": "not-it-at-all", "new_password": "second-pass-2"})
    assert wrong.status_code == 422 and wrong.json["errors"][0]["field"] == "current_password"
    changed = desk.put("/api/v1/session/password", json={"current_password": password, "new_password": "second-pass-2"})
    assert changed.status_code == 204, changed.json
    assert _signed_in_as(desk.c) == username
    assert _signed_in_as(phone.c) is None
    fresh = Client(app.test_client())
    fresh.token = fresh.get("/api/v1/session").json["csrf_token"]
    assert fresh.post("/api/v1/session", json={"username": username, "password": password}).status_code == 401
    assert Client(app.test_client()).sign_in(username, "second-pass-2")


def test_the_password_page_changes_it_and_says_the_other_devices_are_signed_out(app, person):
    username, password = person
    other = Client(app.test_client()).sign_in(username, password)
    client = Client(app.test_client()).sign_in(username, password)
    page = client.get("/account/password", headers={"Accept": "text/html"}).get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    mismatch = client.c.post("/account/password", data={"csrf_token": token, "current_password": password,
                                                       "new_password": "third-pass-3", "confirm": "third-pass-4"})
    assert mismatch.status_code == 422 and "两次输入的新密码不一致" in mismatch.get_data(as_text=True)
    done = client.c.post("/account/password", data={"csrf_token": token, "current_password": password,
                                                   "new_password": "third-pass-3", "confirm": "third-pass-3"},
                         follow_redirects=True)
    assert done.status_code == 200 and "其他设备上的登录已全部退出" in done.get_data(as_text=True)
    assert _signed_in_as(other.c) is None and _signed_in_as(client.c) == username


def test_an_operator_resets_a_password_from_the_command_line_and_every_session_ends(app, person):
    username, password = person
    officer = Client(app.test_client()).sign_in(username, password)
    result = app.test_cli_runner().invoke(args=["users", "password", username, "--password", "reset-pass-9"])
    assert result.exit_code == 0, result.output
    assert _signed_in_as(officer.c) is None
    assert Client(app.test_client()).sign_in(username, "reset-pass-9")


def test_a_deactivated_user_enabled_again_finds_none_of_their_old_sessions_alive(app, as_user, person):
    username, password = person
    officer = Client(app.test_client()).sign_in(username, password)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == username))
    admin = as_user("admin")
    assert admin.post(f"/api/v1/users/{user_id}/active", json={"active": False}).status_code == 200
    assert admin.post(f"/api/v1/users/{user_id}/active", json={"active": True}).status_code == 200
    assert _signed_in_as(officer.c) is None


def test_a_session_past_its_lifetime_has_ended(app, person):
    officer = Client(app.test_client()).sign_in(*person)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == person[0]))
        db.session.execute(update(UserSession).where(UserSession.user_id == user_id)
                           .values(created_at=utcnow() - timedelta(days=32)))
        db.session.commit()
    assert _signed_in_as(officer.c) is None


def test_the_database_alone_holds_no_session_cookie_value(app, person):
    officer = Client(app.test_client()).sign_in(*person)
    cookie = officer.c.get_cookie("session").value
    with app.app_context():
        stored = db.session.scalars(select(UserSession.id).join(User).where(User.username == person[0])).all()
    assert len(stored) == 1 and stored[0] not in cookie


@pytest.mark.parametrize("who", ["unknown", "inactive", "known"])
def test_a_sign_in_checks_one_password_whether_the_name_is_a_user_or_not(app, as_user, monkeypatch, who):
    """A name that is no (active) user costs the same argon2 check as a wrong password: ~400 ms
    against ~11 ms told who has an account."""
    username = {"unknown": unique("nobody"), "known": "police"}.get(who)
    if who == "inactive":
        username = unique("gone")
        made = as_user("admin").post("/api/v1/users", json={"username": username, "role": "police",
                                                            "password": "gone-pass-1", "area_codes": ["420606"]})
        as_user("admin").post(f"/api/v1/users/{made.json['id']}/active", json={"active": False})
    checks = []
    real = PasswordHasher.verify
    monkeypatch.setattr(PasswordHasher, "verify", lambda self, *a: checks.append(1) or real(self, *a))
    client = Client(app.test_client())
    client.token = client.get("/api/v1/session").json["csrf_token"]
    answer = client.post("/api/v1/session", json={"username": username, "password": "wrong-password"})
    assert answer.status_code == 401 and answer.json["code"] == "auth.invalid_credentials"
    assert checks == [1]
