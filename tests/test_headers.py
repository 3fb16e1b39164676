"""Every response says where its page may load from (no inline script or style anywhere), that it is
never framed and its type is what it says; over HTTPS, also behind a trusted proxy, the session
cookie is Secure and the browser is told to come back only over HTTPS. Plain HTTP on 127.0.0.1
keeps working."""
import re
from pathlib import Path

import pytest

from app import create_app
from app.headers import content_security_policy
from app.jobs.services import bind_app
from config import TestConfig
from tests.client import Client

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("path, accept", [
    ("/login", "text/html"), ("/api/v1/session", "application/json"), ("/api/v1/areas", "application/json"),
    ("/static/site.css", "*/*"), ("/places/a/nothing-here", "text/html"), ("/app/", "text/html"),
    ("/api/docs", "text/html"), ("/r/" + "Q" * 16, "text/html"),
])
def test_every_response_carries_a_policy_without_inline_script_and_refuses_frames(anonymous, path, accept):
    response = anonymous.get(path, headers={"Accept": accept})
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: nothing to pin


def test_only_the_field_app_may_compile_webassembly(anonymous):
    assert "'wasm-unsafe-eval'" in anonymous.get("/app/").headers["Content-Security-Policy"]
    assert "wasm" not in anonymous.get("/login").headers["Content-Security-Policy"]


def test_configured_map_tiles_are_the_only_other_origin_images_come_from():
    policy = content_security_policy("https://{s}.tile.example.cn/{z}/{x}/{y}.png")
    assert "img-src 'self' data: blob: https://*.tile.example.cn;" in policy
    assert "img-src 'self' data: blob:;" in content_security_policy("")


def _signed_in_cookie(client: Client, demo, **request) -> str:
    client.token = client.get("/api/v1/session", **request).json["csrf_token"]
    answer = client.post("/api/v1/session", json={"username": "police", "password": demo["users"]["police"]["password"]},
                         **request)
    assert answer.status_code == 200, answer.json
    return answer.headers["Set-Cookie"], answer.headers.get("Strict-Transport-Security")


def test_over_https_the_session_cookie_is_secure_and_the_browser_told_to_stay(app, demo):
    cookie, hsts = _signed_in_cookie(Client(app.test_client()), demo, base_url="https://yibiao.example",
                                     headers={"Referer": "https://yibiao.example/login"})
    assert "; Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert hsts and hsts.startswith("max-age=")
    cookie, hsts = _signed_in_cookie(Client(app.test_client()), demo)  # http://localhost, as make run and the tests
    assert "Secure" not in cookie and hsts is None


@pytest.mark.parametrize("proxies, secure", [(1, True), (0, False)])
def test_behind_a_trusted_https_proxy_the_cookie_is_secure_and_an_untrusted_header_is_ignored(app, demo, proxies, secure):
    class Behind(TestConfig):
        TRUSTED_PROXIES = proxies

    try:
        proxied = create_app(Behind)
        cookie, hsts = _signed_in_cookie(Client(proxied.test_client()), demo,
                                         headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.3.0.1",
                                                  "Referer": "https://localhost/login"})
    finally:
        bind_app(app)
    assert ("; Secure" in cookie) is secure and (hsts is not None) is secure


# Inline script (a <script> without src, an on…= handler, a javascript: link) or inline style would
# need 'unsafe-inline'; pages carry data attributes and their scripts are files.
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|javascript:|\sstyle\s*=|<style", re.I)


def test_no_page_or_template_has_inline_script_or_style():
    templates = [*ROOT.glob("app/**/templates/**/*.html"), ROOT / "pwa" / "index.html"]
    found = {str(t.relative_to(ROOT)): INLINE.findall(t.read_text(encoding="utf-8")) for t in templates}
    assert {name: hits for name, hits in found.items() if hits} == {}
