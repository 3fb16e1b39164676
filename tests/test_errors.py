"""Every error a client can meet is application/problem+json with a stable code and no stack trace."""
import pytest

PROBLEM = "application/problem+json"


def assert_problem(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.json
    assert body["code"] == code
    assert {"type", "title", "status", "detail", "code"} <= set(body)
    assert body["type"].endswith(f"/api/problems#{code}")
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def test_not_signed_in_is_401_with_a_bearer_challenge(anonymous):
    response = anonymous.get("/api/v1/areas")
    assert_problem(response, 401, "auth.required")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_api_path_is_404(as_user):
    assert_problem(as_user("city").get("/api/v1/no-such-thing"), 404, "resource.not_found")


def test_wrong_method_is_405(as_user):
    assert_problem(as_user("city").delete("/api/v1/areas"), 405, "request.method_not_allowed")


def test_body_that_is_not_json_is_415(as_user):
    response = as_user("admin").post("/api/v1/roads", data="name=人民路", content_type="text/plain")
    assert_problem(response, 415, "request.unsupported_media_type")


def test_broken_json_is_a_clear_400(as_user):
    response = as_user("admin").post("/api/v1/roads", data="{not json", content_type="application/json")
    assert_problem(response, 400, "request.invalid")


def test_too_large_body_is_413(app, as_user):
    client = as_user("admin")
    body = b'{"name": "' + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10) + b'"}'
    assert_problem(client.post("/api/v1/roads", data=body, content_type="application/json"), 413,
                   "request.too_large")


def test_validation_names_each_field_and_rule(as_user):
    response = as_user("admin").post("/api/v1/roads", json={"name": "x", "area_code": 420606, "colour": "red"})
    body = assert_problem(response, 422, "validation.failed")
    by_field = {e["field"]: e["message"] for e in body["errors"]}
    assert "长度" in by_field["name"]
    assert by_field["area_code"] == "应为文本"
    assert by_field["colour"] == "不认识的字段"


def test_rate_limited_api_key_is_429(app, demo):
    from tests.client import Client

    client = Client(app.test_client())
    client.c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {demo['users']['dept']['api_key']}"
    old = app.config["RATELIMIT_API_KEY"]
    app.config["RATELIMIT_API_KEY"] = "3 per minute"
    try:
        responses = [client.get("/api/v1/areas") for _ in range(4)]
    finally:
        app.config["RATELIMIT_API_KEY"] = old
    assert [r.status_code for r in responses[:3]] == [200, 200, 200]
    assert_problem(responses[3], 429, "request.rate_limited")
    assert 1 <= int(responses[3].headers["Retry-After"]) <= 60


def test_unexpected_error_is_500_without_a_trace(app, as_user, monkeypatch):
    from app.places import services

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals: db password is hunter2")

    monkeypatch.setattr(services, "root_areas", broken)
    response = as_user("city").get("/api/v1/areas")
    body = assert_problem(response, 500, "server.error")
    assert "hunter2" not in response.get_data(as_text=True)
    assert "RuntimeError" not in str(body)


def test_a_page_error_is_a_chinese_html_page(as_user):
    response = as_user("police").get("/places/a/999999999999999999999", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "未找到" in response.get_data(as_text=True)


def test_the_problem_catalogue_page_lists_every_code(anonymous):
    from app.errors import CATALOGUE

    text = anonymous.get("/api/problems").get_data(as_text=True)
    assert all(code in text for code in CATALOGUE)


def test_openapi_document_lists_endpoints_and_their_problem_codes(anonymous):
    spec = anonymous.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    nearby = spec["paths"]["/api/v1/buildings/nearby"]["get"]
    assert "422" in nearby["responses"] and "validation.failed" in nearby["responses"]["422"]["description"]
    assert "/api/v1/addresses/{code}" in spec["paths"]
    docs = anonymous.get("/api/docs")
    assert docs.status_code == 200 and b"/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.data


@pytest.mark.parametrize("path", ["/login", "/api/docs", "/api/problems"])
def test_public_pages_need_no_sign_in(anonymous, path):
    assert anonymous.get(path).status_code == 200


# --- who is asking comes first ------------------------------------------------------------------

@pytest.mark.parametrize("method,url,body", [("post", "/api/v1/roads", {"name": "x"}),
                                             ("get", "/api/v1/review/queue?limit=abc", None),
                                             ("post", "/api/v1/submissions", {"kind": ["x"]})])
def test_an_anonymous_call_is_told_to_sign_in_before_anything_it_sent_is_checked(anonymous, method, url, body):
    response = getattr(anonymous, method)(url, json=body) if body else anonymous.get(url)
    assert_problem(response, 401, "auth.required")


def test_public_calls_need_no_account(anonymous):
    assert anonymous.get("/api/v1/plates/no-such-plate-tok").json["code"] == "plate.unknown"
    assert anonymous.get("/api/v1/public/receipts/no-such-receipt").json["code"] == "resource.not_found"
    assert anonymous.get("/api/v1/session").status_code == 200


# --- what a problem says, and where it is documented ---------------------------------------------

def test_a_405_says_which_methods_are_allowed(as_user):
    response = as_user("city").delete("/api/v1/areas")
    assert_problem(response, 405, "request.method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_every_member_a_problem_carries_is_in_the_documented_problem_schema(app, as_user, anonymous, places):
    admin = as_user("admin")
    code = places["grid"]["building"]
    stale = admin.patch(f"/api/v1/buildings/{code}", json={"version": 0, "floors": 3})
    assert_problem(stale, 409, "conflict.version")
    documented = anonymous.get("/api/openapi.json").json["components"]["schemas"]["Problem"]["properties"]
    assert set(stale.json) <= set(documented)


def test_the_error_answers_every_operation_may_give_are_documented_as_problems(anonymous):
    spec = anonymous.get("/api/openapi.json").json
    for name in ("DEFAULT_ERROR", "UNPROCESSABLE_ENTITY"):
        assert list(spec["components"]["responses"][name]["content"]) == [PROBLEM]


# --- the database going away ---------------------------------------------------------------------

def test_a_database_that_went_away_is_a_503_to_retry(as_user, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from app.places import services

    def gone(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(services, "root_areas", gone)
    response = as_user("city").get("/api/v1/areas")
    assert_problem(response, 503, "server.unavailable")
    assert int(response.headers["Retry-After"]) > 0


def test_a_connection_ended_by_the_server_mid_request_is_a_503_and_the_next_request_works(app, as_user, monkeypatch):
    """On PostgreSQL: the backend serving the request is terminated (a restart, an administrator)."""
    from sqlalchemy import text

    from app.extensions import db
    from app.places import services

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("a PostgreSQL backend to terminate")
    real = services.root_areas

    def terminated(*args, **kwargs):
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        with db.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        return real(*args, **kwargs)

    city = as_user("city")
    monkeypatch.setattr(services, "root_areas", terminated)
    response = city.get("/api/v1/areas")
    assert_problem(response, 503, "server.unavailable")
    assert int(response.headers["Retry-After"]) > 0
    monkeypatch.setattr(services, "root_areas", real)
    assert city.get("/api/v1/areas").status_code == 200
