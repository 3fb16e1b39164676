"""Every role sees and changes only what lies inside its jurisdiction; outside is 404, so that a
user cannot even learn that an object exists."""
import pytest

from tests.factories import fresh_id_number

# role's demo user -> the buildings of the `places` fixture it may read
VISIBLE = {
    "admin": {"grid", "owned", "township", "district", "elsewhere"},
    "police": {"grid", "owned", "township"},
    "grid": {"grid", "owned"},
    "collector": {"grid", "owned", "township", "district"},
    "street": {"grid", "owned", "township"},
    "owner": {"owned"},
    "district": {"grid", "owned", "township", "district"},
    "city": {"grid", "owned", "township", "district", "elsewhere"},
    "dept": {"grid", "owned", "township", "district", "elsewhere"},
}
WHERE = ("grid", "owned", "township", "district", "elsewhere")


def client_for(username, as_user, app, demo):
    if username == "dept":  # departments call with their API key, not a session
        from tests.client import Client

        client = Client(app.test_client())
        key = demo["users"]["dept"]["api_key"]
        client.c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {key}"
        return client
    return as_user(username)


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_each_role_reads_addresses_only_inside_its_jurisdiction(username, as_user, app, demo, places):
    client = client_for(username, as_user, app, demo)
    for where in WHERE:
        for kind in ("building", "room", "plate"):
            response = client.get(f"/api/v1/addresses/{places[where][kind]}")
            expected = 200 if where in VISIBLE[username] else 404
            if username == "owner" and where == "owned" and kind == "plate":
                expected = 404  # it owns the building, not the plate, which other buildings may share
            assert response.status_code == expected, (username, where, kind, response.json)
            if expected == 404:
                assert response.json["code"] == "resource.not_found"


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_each_role_sees_actuals_only_inside(username, as_user, app, demo, places):
    client = client_for(username, as_user, app, demo)
    for where in WHERE:
        response = client.get(f"/api/v1/addresses/{places[where]['building']}/actuals")
        expected = 200 if where in VISIBLE[username] else 404
        if username == "collector":
            expected = 403  # collectors work on city objects, not on people: refused before any look-up
        assert response.status_code == expected, (username, where, response.json)


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_each_role_lists_only_areas_inside(username, as_user, app, demo, places):
    client = client_for(username, as_user, app, demo)
    for where in WHERE:
        response = client.get(f"/api/v1/areas/{places[where]['area']}")
        expected = 200 if where in VISIBLE[username] and username != "owner" else 404
        assert response.status_code == expected, (username, where)


WRITERS = {"admin", "police", "grid"}  # roles with actuals.write


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_each_role_registers_residents_only_inside_and_only_if_allowed(username, as_user, app, demo, places):
    client = client_for(username, as_user, app, demo)
    for where in WHERE:
        body = {"room_code": places[where]["room"], "name": "测试人", "id_number": fresh_id_number()}
        response = client.post("/api/v1/residents", json=body)
        if username not in WRITERS:
            assert response.status_code == 403, (username, where)
            assert response.json["code"] == "auth.forbidden"
        elif where in VISIBLE[username]:
            assert response.status_code == 201, (username, where, response.json)
        else:
            # The room is named in the body: input that is wrong, not a resource to hide.
            assert response.status_code == 422, (username, where)
            assert response.json["errors"][0]["field"] == "room_code"


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_only_admins_change_the_address_base(username, as_user, app, demo, places):
    client = client_for(username, as_user, app, demo)
    for where in WHERE:
        code = places[where]["plate"]
        version = as_user("city").get(f"/api/v1/addresses/{code}").json["version"]
        response = client.post(f"/api/v1/addresses/{code}/status",
                               json={"status": "active", "version": version, "reason": "测试恢复"})
        if username != "admin":
            assert response.status_code == 403, (username, where)  # only admins change the base directly
        else:
            # Inside, the request reaches the rule (already active); an admin's outside is tested below.
            assert response.status_code == 409 and response.json["code"] == "state.not_allowed"


def test_a_district_admin_cannot_change_another_district(app, places):
    from app.accounts.services import create_user
    from tests.client import Client

    with app.app_context():
        create_user(None, {"username": "admin_xc", "role": "admin", "password": "district-admin-1",
                           "area_codes": ["420602"]})
    client = Client(app.test_client()).sign_in("admin_xc", "district-admin-1")
    outside = places["grid"]["plate"]  # in 樊城区
    response = client.post(f"/api/v1/addresses/{outside}/status",
                           json={"status": "retired", "version": 1, "reason": "越权注销"})
    assert response.status_code == 404
    assert client.get(f"/api/v1/addresses/{outside}").status_code == 404
    inside = places["elsewhere"]["building"]
    response = client.post("/api/v1/units", json={"building_code": inside, "number": "9"})
    assert response.status_code == 201, response.json
    response = client.post("/api/v1/units", json={"building_code": places["grid"]["building"], "number": "9"})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "building_code"
