"""The documented limits hold against the real server, whichever of its two workers answers: a
second server with the production limits and no Redis (the embedded default), each test a client of
its own loopback address."""
from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import serve
from tests.plates.test_plates import scan_png

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def production(app, tmp_path_factory):
    with serve(app, tmp_path_factory.mktemp("production")) as running:
        yield running


class Phone:
    """One client address; every request on a new connection, so that either worker may answer."""

    def __init__(self, server, address: str):
        self.url, self.address, self.cookie = urlsplit(server.url), address, ""

    def send(self, method: str, path: str, body: dict | None = None, **headers) -> tuple[int, dict, dict]:
        conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=30, source_address=(self.address, 0))
        try:
            headers = {"Accept": "application/json", "Cookie": self.cookie, **headers}
            if body is not None:
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = conn.getresponse()
            data = response.read()
            if response.getheader("Set-Cookie"):
                self.cookie = response.getheader("Set-Cookie").split(";")[0]
            return response.status, dict(response.getheaders()), json.loads(data) if data else {}
        finally:
            conn.close()

    def csrf(self) -> str:
        return self.send("GET", "/api/v1/session")[2]["csrf_token"]


def test_ten_sign_in_attempts_a_minute_from_one_address_and_no_more(production):
    phone = Phone(production, "127.0.0.21")
    token = phone.csrf()
    answers = [phone.send("POST", "/api/v1/session", {"username": "nobody", "password": "guess-1234"},
                          **{"X-CSRFToken": token}) for _ in range(14)]
    assert [status for status, _, _ in answers] == [401] * 10 + [429] * 4
    status, headers, problem = answers[10]
    assert problem["code"] == "request.rate_limited" and int(headers["Retry-After"]) > 0


def test_ten_reports_an_hour_from_one_address_and_no_more(production, as_user, places):
    plate = scan_png(as_user("admin"), places["elsewhere"]["plate"])
    phone = Phone(production, "127.0.0.22")
    answers = [phone.send("POST", f"/api/v1/public/plates/{plate}/reports/plate_problem", {"problem": "other"})
               for _ in range(12)]
    assert [status for status, _, _ in answers] == [202] * 10 + [429] * 2
    assert int(answers[10][1]["Retry-After"]) > 0


def test_a_cookie_kept_from_before_sign_out_opens_nothing_whichever_worker_answers(production, demo):
    phone = Phone(production, "127.0.0.23")
    token = phone.csrf()
    status, _, signed_in = phone.send("POST", "/api/v1/session", {"username": "police",
                                                                  "password": demo["users"]["police"]["password"]},
                                      **{"X-CSRFToken": token})
    assert status == 200 and signed_in["user"]["username"] == "police"
    kept = phone.cookie
    assert phone.send("DELETE", "/api/v1/session", **{"X-CSRFToken": signed_in["csrf_token"]})[0] == 204
    phone.cookie = kept
    assert {phone.send("GET", "/api/v1/areas")[0] for _ in range(10)} == {401}
