"""Signing in, CSRF on browser writes, department API keys, and user administration."""
from sqlalchemy import select

from app.accounts.models import ApiKey, User
from app.audit.models import AuditLog
from app.extensions import db
from tests.client import Client


def test_wrong_password_is_401_and_right_one_signs_in(anonymous, demo):
    token = anonymous.get("/api/v1/session").json["csrf_token"]
    anonymous.token = token
    bad = anonymous.post("/api/v1/session", json={"username": "police", "password": "wrong-password"})
    assert bad.status_code == 401 and bad.json["code"] == "auth.invalid_credentials"
    good = anonymous.post("/api/v1/session", json={"username": "police",
                                                   "password": demo["users"]["police"]["password"]})
    assert good.status_code == 200
    assert good.json["user"]["role"] == "police"
    assert anonymous.get("/api/v1/areas").status_code == 200


def test_browser_writes_without_the_csrf_token_are_refused(as_user, places):
    client = as_user("admin")
    response = client.c.post("/api/v1/units", json={"building_code": places["grid"]["building"], "number": "77"})
    assert response.status_code == 400
    assert response.json["code"] == "request.csrf"


def test_a_department_calls_with_its_key_and_no_cookie_or_csrf(app, demo, places):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {demo['users']['dept']['api_key']}"}
    response = client.get(f"/api/v1/addresses/{places['elsewhere']['building']}", headers=headers)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    # A department may read but not write, even with a valid key.
    response = client.post("/api/v1/residents", headers=headers,
                           json={"room_code": places["grid"]["room"], "name": "某", "id_number": "11010519491231002X"})
    assert response.status_code == 403


def test_keys_are_hashed_at_rest_shown_once_counted_and_revocable(app, as_user):
    admin = as_user("admin")
    dept = admin.post("/api/v1/users", json={"username": "transport", "role": "department",
                                             "password": "transport-pass", "area_codes": ["420606"]})
    assert dept.status_code == 201, dept.json
    issued = admin.post("/api/v1/api-keys", json={"user_id": dept.json["id"], "name": "交通运输局"})
    assert issued.status_code == 201
    secret = issued.json["secret"]
    assert secret.startswith("ybk_") and len(secret) > 40

    with app.app_context():
        stored = db.session.get(ApiKey, issued.json["id"])
        assert stored.key_hash != secret and secret not in (stored.key_hash, stored.prefix)
    listed = admin.get("/api/v1/api-keys").json
    assert all("secret" not in k for k in listed)

    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    for _ in range(3):
        assert client.get("/api/v1/areas", headers=headers).status_code == 200
    calls = {k["id"]: k["calls"] for k in admin.get("/api/v1/api-keys").json}
    assert calls[issued.json["id"]] == 3

    assert admin.post(f"/api/v1/api-keys/{issued.json['id']}/revoke").status_code == 200
    refused = client.get("/api/v1/areas", headers=headers)
    assert refused.status_code == 401 and refused.json["code"] == "auth.api_key_invalid"
    again = admin.post(f"/api/v1/api-keys/{issued.json['id']}/revoke")
    assert again.status_code == 409


def user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def test_keys_only_for_department_users(app, as_user):
    admin = as_user("admin")
    police_id = user_id(app, "police")
    response = admin.post("/api/v1/api-keys", json={"user_id": police_id, "name": "x"})
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "user_id"


def test_non_admins_cannot_manage_users(as_user):
    for username in ("police", "city", "district"):
        client = as_user(username)
        assert client.get("/api/v1/users").status_code == 403
        assert client.post("/api/v1/users", json={"username": "someone", "role": "police", "password": "12345678",
                                                  "area_codes": ["4206"]}).status_code == 403


def test_user_creation_checks_role_password_and_jurisdiction(as_user):
    admin = as_user("admin")
    cases = [
        ({"username": "user1", "role": "mayor", "password": "long-enough", "area_codes": ["4206"]}, "role"),
        ({"username": "user2", "role": "police", "password": "short", "area_codes": ["4206"]}, "password"),
        ({"username": "user3", "role": "police", "password": "long-enough", "area_codes": []}, "area_codes"),
        ({"username": "user4", "role": "police", "password": "long-enough", "area_codes": ["1101"]}, "area_codes"),
        ({"username": "user5", "role": "owner_reviewer", "password": "long-enough"}, "object_codes"),
        ({"username": "police", "role": "police", "password": "long-enough", "area_codes": ["4206"]}, "username"),
    ]
    for body, field in cases:
        response = admin.post("/api/v1/users", json=body)
        assert response.status_code in (409, 422), (body, response.json)
        assert response.json["errors"][0]["field"] == field, (body, response.json)
    names = {u["username"] for u in admin.get("/api/v1/users").json}
    assert not names & {"user1", "user2", "user3", "user4", "user5"}


def test_a_district_admin_manages_only_users_of_its_district(app):
    from app.accounts.services import create_user

    with app.app_context():
        create_user(None, {"username": "admin_zy", "role": "admin", "password": "district-admin-2",
                           "area_codes": ["420683"]})
    client = Client(app.test_client()).sign_in("admin_zy", "district-admin-2")
    names = {u["username"] for u in client.get("/api/v1/users").json}
    assert "admin_zy" in names and "police" not in names
    police_id = user_id(app, "police")
    assert client.post(f"/api/v1/users/{police_id}/active", json={"active": False}).status_code == 404
    response = client.post("/api/v1/users", json={"username": "zy_police", "role": "police",
                                                  "password": "long-enough", "area_codes": ["420606"]})
    assert response.status_code == 422


def test_disabled_users_cannot_sign_in(app, as_user):
    admin = as_user("admin")
    created = admin.post("/api/v1/users", json={"username": "temp_grid", "role": "grid_worker",
                                                "password": "temp-grid-pass", "area_codes": ["420606"]}).json
    assert admin.post(f"/api/v1/users/{created['id']}/active", json={"active": False}).json["active"] is False
    client = Client(app.test_client())
    client.token = client.get("/api/v1/session").json["csrf_token"]
    response = client.post("/api/v1/session", json={"username": "temp_grid", "password": "temp-grid-pass"})
    assert response.status_code == 401, response.json
    with app.app_context():
        actions = db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "user",
                                                                   AuditLog.object_id == created["id"])
                                     .order_by(AuditLog.id)).all()
    assert actions == ["user.create", "user.disable"]


def test_login_is_rate_limited(app):
    client = Client(app.test_client())
    client.token = client.get("/api/v1/session").json["csrf_token"]
    old = app.config["RATELIMIT_LOGIN"]
    app.config["RATELIMIT_LOGIN"] = "2 per minute"
    try:
        codes = [client.post("/api/v1/session", json={"username": "nobody", "password": "x"}).status_code
                 for _ in range(3)]
    finally:
        app.config["RATELIMIT_LOGIN"] = old
    assert codes == [401, 401, 429]


def test_users_create_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "cli_police", "--role", "police", "--area", "420606001",
                                 "--password", "cli-password-1"])
    assert result.exit_code == 0, result.output
    assert "已创建 cli_police" in result.output
    bad = runner.invoke(args=["users", "create", "cli_bad", "--role", "police", "--area", "999999",
                              "--password", "cli-password-1"])
    assert bad.exit_code != 0 and "999999" in bad.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "cli_police"))
        assert user.check_password("cli-password-1") and user.password_hash != "cli-password-1"


def test_web_sign_in_redirects_back_and_rejects_foreign_next(app, demo):
    client = app.test_client()
    page = client.get("/places/areas/420606", headers={"Accept": "text/html"})
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    login_page = client.get(page.headers["Location"])
    token = login_page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    done = client.post("/login?next=//evil.example.com/", data={
        "csrf_token": token, "username": "district", "password": demo["users"]["district"]["password"]})
    assert done.status_code == 302 and done.headers["Location"] == "/"


def test_sign_in_without_a_password_names_the_field(anonymous):
    anonymous.token = anonymous.get("/api/v1/session").json["csrf_token"]
    response = anonymous.post("/api/v1/session", json={"username": "police"})
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "password"


def test_a_key_revoked_by_another_process_stops_working_within_the_recheck_time(app, as_user, monkeypatch):
    from app.accounts import auth

    admin = as_user("admin")
    dept = admin.post("/api/v1/users", json={"username": "water", "role": "department",
                                             "password": "water-pass-1", "area_codes": ["420606"]})
    issued = admin.post("/api/v1/api-keys", json={"user_id": dept.json["id"], "name": "水务局"})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {issued.json['secret']}"}
    assert client.get("/api/v1/areas", headers=headers).status_code == 200
    with app.app_context():  # as another worker would: straight in the database, no cache cleared here
        db.session.get(ApiKey, issued.json["id"]).revoke()
        db.session.commit()
    assert client.get("/api/v1/areas", headers=headers).status_code == 200  # still inside the second
    monkeypatch.setattr(auth, "RECHECK_S", 0.0)  # the second has passed
    refused = client.get("/api/v1/areas", headers=headers)
    assert refused.status_code == 401 and refused.json["code"] == "auth.api_key_invalid"


def test_a_user_deactivated_by_another_process_is_signed_out_at_once(app, as_user):
    admin = as_user("admin")
    made = admin.post("/api/v1/users", json={"username": "leaver", "role": "police",
                                             "password": "leaver-pass-1", "area_codes": ["420606"]})
    leaver = Client(app.test_client()).sign_in("leaver", "leaver-pass-1")
    assert leaver.get("/api/v1/session").json["user"]["username"] == "leaver"
    with app.app_context():  # as another worker would: straight in the database, no cache cleared here
        user = db.session.get(User, made.json["id"])
        user.active, user.version = False, user.version + 1
        db.session.commit()
    refused = leaver.get("/api/v1/areas")
    assert refused.status_code == 401 and refused.json["code"] == "auth.required"


def test_the_cached_signed_in_user_outlives_a_commit_in_the_request_that_cached_it(app, as_user):
    """The user is cached (per user version) by the first request that needs it; if that request
    commits, nothing the cached user holds may be expired for the requests after it."""
    from app.accounts import auth
    from tests.collect.test_collect import jpeg, put_photo

    police = as_user("police")
    auth._users.clear()
    assert put_photo(police, jpeg(seed=3, size=(71, 33))).status_code in (200, 201)  # loads the user, commits
    again = police.get("/api/v1/session")
    assert again.status_code == 200 and again.json["user"]["areas"], again.json
