"""What the database or a template cannot take is refused at the edge, before any view: a problem
naming the field and the rule (or the HTML error page for pages), never a 500 or a half-written
record. Each shape here once reached the database or a template and answered 500."""
import base64
import io
import json
import uuid

import pytest

from tests.collect.test_collect import photo, shop_body  # noqa: F401  (photo is a fixture)
from tests.test_errors import assert_problem


def fields_of(body: dict) -> dict:
    return {e["field"]: e["message"] for e in body.get("errors", [])}


# --- text the database cannot store: NUL (PostgreSQL) and lone surrogates (not UTF-8) -------------

@pytest.mark.parametrize("bad", ["老王\x00面馆", "老王\ud800面馆"], ids=["nul", "lone-surrogate"])
def test_a_field_with_a_nul_or_a_lone_surrogate_is_refused_naming_the_field(app, as_user, places, photo, bad):
    body = shop_body(places["grid"]["building"], photo, shop_name=bad)
    response = as_user("police").post("/api/v1/submissions", data=json.dumps(body), content_type="application/json")
    problem = assert_problem(response, 422, "validation.failed")
    assert "NUL" in fields_of(problem)["shop_name"]


def test_a_nested_field_and_a_key_with_nul_are_named(as_user):
    response = as_user("admin").put("/api/v1/review/chains", json={"kind": "shop", "steps": [{"label": "a\x00"}],
                                                                   "x\x00y": 1})
    assert set(fields_of(assert_problem(response, 422, "validation.failed"))) == {"steps.0.label", "x?y"}


@pytest.mark.parametrize("url", ["/api/v1/organisations?name=a%00b", "/api/v1/plates/ab%00cd",
                                 "/api/v1/public/receipts/%00abc"])
def test_a_nul_in_a_path_or_a_query_is_refused(as_user, url):
    response = as_user("police").get(url)
    assert response.status_code in (400, 422) and response.mimetype == "application/problem+json"


@pytest.mark.parametrize("url,form", [("/login", {"username": "police\x00", "password": "x"}),
                                      ("/r/%00abc", None), ("/p/ab%00cd/report/residence", None)])
def test_a_nul_on_a_public_page_gets_the_error_page(anonymous, url, form):
    headers = {"Accept": "text/html"}
    response = anonymous.post(url, data=form, headers=headers) if form else anonymous.get(url, headers=headers)
    assert response.status_code in (400, 422) and response.mimetype == "text/html"
    assert "NUL" in response.get_data(as_text=True)


def test_a_file_name_with_a_nul_is_refused(as_user):
    response = as_user("dept").post("/api/v1/registers", data={
        "kind": "道路运输企业", "department": "交通局", "file": (io.BytesIO(b"a,b\n1,2\n"), "reg\x00.csv")},
        content_type="multipart/form-data")
    assert "file" in fields_of(assert_problem(response, 422, "validation.failed"))


# --- JSON as the standard has it ---------------------------------------------------------------

def test_json_nested_deeper_than_any_body_of_ours_is_a_400(as_user):
    for depth in (33, 100_000):  # the second exhausts the parser's stack
        body = "[" * depth + "]" * depth
        response = as_user("admin").post("/api/v1/roads", data=body, content_type="application/json")
        assert "嵌套" in assert_problem(response, 400, "request.invalid")["detail"]


@pytest.mark.parametrize("body", ['{"lon": NaN, "lat": 32}', '{"lon": Infinity}', '{"lon": 1e999}'])
def test_nan_infinity_and_numbers_beyond_a_float_are_not_json(as_user, body):
    response = as_user("admin").post("/api/v1/door-plates", data=body, content_type="application/json")
    assert_problem(response, 400, "request.invalid")


def test_broken_json_says_where(as_user):
    response = as_user("admin").post("/api/v1/submissions", data='{"kind": "shop",', content_type="application/json")
    assert "第 1 行" in assert_problem(response, 400, "request.invalid")["detail"]


# --- wrong JSON types ----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", [["shop"], {"a": 1}])
def test_a_submission_whose_kind_is_not_text_is_a_422(as_user, kind):
    response = as_user("police").post("/api/v1/submissions", json={"id": str(uuid.uuid4()), "kind": kind})
    assert "kind" in fields_of(assert_problem(response, 422, "validation.failed"))


@pytest.mark.parametrize("change,field", [({"name": 12}, "name"), ({"phone": ["1"]}, "phone"),
                                          ({"changes": "name"}, "changes"), ({"consent": 1}, "consent")])
def test_a_public_report_with_a_number_or_a_list_where_text_belongs_is_a_422(app, anonymous, change, field):
    from sqlalchemy import select

    from app.extensions import db
    from app.plates.models import Plate

    with app.app_context():
        token = db.session.scalar(select(Plate.token).where(Plate.status == "active").order_by(Plate.id))
    response = anonymous.post(f"/api/v1/public/plates/{token}/reports/residence", json={"name": "张三", **change})
    assert field in fields_of(assert_problem(response, 422, "validation.failed"))


def test_a_boolean_is_true_or_false_not_a_number(as_user):
    response = as_user("admin").post("/api/v1/users/1/active", json={"active": 0})
    assert "active" in fields_of(assert_problem(response, 422, "validation.failed"))


# --- numbers the database cannot hold --------------------------------------------------------------

@pytest.mark.parametrize("url", ["/api/v1/residents/18446744073709551616", "/api/v1/residents/2147483648",
                                 "/api/v1/registers/99999999999999999999/rows"])
def test_an_id_beyond_the_database_integer_in_a_path_is_not_found(as_user, url):
    assert_problem(as_user("admin").get(url), 404, "resource.not_found")


@pytest.mark.parametrize("url,field", [("/api/v1/tasks/all?register=2147483648", "register"),
                                       ("/api/v1/registers/1/rows?after=99999999999", "after"),
                                       ("/api/v1/review/queue?last_id=18446744073709551616", "last_id")])
def test_an_integer_beyond_the_database_integer_in_a_query_is_a_422(as_user, url, field):
    response = as_user("city").get(url)
    assert field in fields_of(assert_problem(response, 422, "validation.failed"))


def test_an_integer_beyond_the_database_integer_in_a_body_is_a_422(as_user):
    response = as_user("admin").post("/api/v1/api-keys", json={"user_id": 2**64, "name": "接口"})
    assert "user_id" in fields_of(assert_problem(response, 422, "validation.failed"))


def test_a_cursor_naming_an_id_beyond_the_database_integer_is_a_422(as_user, places):
    cursor = base64.urlsafe_b64encode(b"id:99999999999999999999").decode().rstrip("=")
    response = as_user("city").get(f"/api/v1/areas/{places['codes']['township']}/buildings?cursor={cursor}")
    assert "cursor" in fields_of(assert_problem(response, 422, "validation.failed"))
    queue = as_user("street").get("/api/v1/review/queue?cursor=" + base64.urlsafe_b64encode(b"99999999999999999999").decode())
    assert "cursor" in fields_of(assert_problem(queue, 422, "validation.failed"))


@pytest.mark.parametrize("url", ["/places/areas/4206?cursor=" + base64.urlsafe_b64encode(b"id:99999999999999999999").decode(),
                                 "/compare/1?after=99999999999999999999"])
def test_a_page_given_a_number_beyond_the_database_integer_still_answers(as_user, url):
    assert as_user("city").get(url, headers={"Accept": "text/html"}).status_code < 500


def test_an_admin_form_naming_no_user_is_a_422(as_user):
    response = as_user("admin").post("/admin/users", data={"action": "toggle", "user_id": "abc", "active": "0"},
                                     headers={"Accept": "text/html"})
    assert response.status_code == 422 and "请从列表中选择用户" in response.get_data(as_text=True)


# --- places the grid code cannot name ----------------------------------------------------------

@pytest.mark.parametrize("lat", [-90, 89, 85.5])
def test_a_point_near_the_poles_is_a_422(as_user, places, lat):
    client = as_user("admin")
    nearby = client.get(f"/api/v1/buildings/nearby?lon=0&lat={lat}")
    assert "lat" in fields_of(assert_problem(nearby, 422, "validation.failed"))
    plate = client.post("/api/v1/door-plates", json={"road_id": 1, "number": "1", "area_code": places["grid"]["area"],
                                                     "lon": 0, "lat": lat})
    assert "lat" in fields_of(assert_problem(plate, 422, "validation.failed"))


# --- forms -------------------------------------------------------------------------------------

def test_a_multipart_field_without_a_name_is_a_400_not_a_broken_csrf_check(as_user):
    body = b'--xx\r\nContent-Disposition: form-data\r\n\r\nb\r\n--xx--\r\n'
    for url in ("/api/v1/roads", "/compare/"):
        response = as_user("admin").post(url, data=body, content_type="multipart/form-data; boundary=xx")
        assert response.status_code == 400, response.get_data(as_text=True)[:300]


def test_a_stash_field_that_is_a_path_names_no_file(as_user):
    """The register form keeps a file while its columns are mapped, named in a hidden field."""
    for stash in ("..", "../instance", "/etc/passwd", "."):
        response = as_user("dept").post("/compare/", data={"kind": "道路运输企业", "department": "交通局", "stash": stash},
                                        headers={"Accept": "text/html"})
        assert response.status_code == 422 and "请选择要上传的登记表文件" in response.get_data(as_text=True)


@pytest.mark.parametrize("user", ["city", "dept", "police"])
def test_the_plate_printing_page_is_refused_to_others_whatever_the_area(as_user, user):
    response = as_user(user).get("/plates?area=4206", headers={"Accept": "text/html"})
    assert response.status_code == 403 and "只有系统管理员可以打印门牌" in response.get_data(as_text=True)
