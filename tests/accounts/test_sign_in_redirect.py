"""After sign-in a user goes back where they were headed, and never to another site, however the
`next` link is dressed up."""
from urllib.parse import quote

import pytest

from app.accounts.views import _safe_next

# Each of these is read by a browser as a link to another site (or as script), once it has dropped
# tabs and newlines, read backslashes as slashes and trimmed control characters and spaces.
BYPASSES = [
    "//evil.example/phish",
    "/\t/evil.example/phish",
    "/\n/evil.example/phish",
    "/\r\n/evil.example",
    "\t//evil.example",
    "\\\\evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "///evil.example",
    "////evil.example",
    " //evil.example",
    "\x01//evil.example",
    "/.//evil.example",
    "/x/../..//evil.example",
    "http://evil.example/",
    "https:evil.example",
    "HTTP://evil.example",
    "http:/\\evil.example",
    "//evil.example@127.0.0.1",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "\tjavascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://[",
    "\ud800",
]


@pytest.mark.parametrize("target", BYPASSES)
def test_a_next_link_to_another_site_lands_on_the_start_page(app, target):
    with app.test_request_context("/login"):
        assert _safe_next(target) == "/"


@pytest.mark.parametrize("target, lands", [
    ("/places/areas/420606?cursor=abc&x=1", "/places/areas/420606?cursor=abc&x=1"),
    ("/app/#/site/420606001001001000001?token=abc", "/app/#/site/420606001001001000001?token=abc"),
    ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),  # encoded slashes are a path here, as in a browser
    ("/review/queue?kind=shop#top", "/review/queue?kind=shop#top"),
    ("", "/"),
    (None, "/"),
])
def test_a_next_path_on_this_site_is_kept_with_its_query(app, target, lands):
    with app.test_request_context("/login"):
        assert _safe_next(target) == lands


def _login_form(client, url: str) -> str:
    page = client.get(url)
    return page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]


@pytest.mark.parametrize("query", ["%2F%09%2Fevil.example%2Fphish", "%2F%5Cevil.example", "%2F%2Fevil.example"])
def test_signing_in_through_a_crafted_link_stays_on_this_site(app, demo, query):
    client = app.test_client()
    url = f"/login?next={query}"
    done = client.post(url, data={"csrf_token": _login_form(client, url), "username": "district",
                                  "password": demo["users"]["district"]["password"]})
    assert done.status_code == 302 and done.headers["Location"] == "/"


def test_signing_in_through_a_deep_link_comes_back_to_it_with_its_query(app, demo):
    client = app.test_client()
    target = "/places/areas/420606?cursor=abc"
    url = f"/login?next={quote(target, safe='')}"
    done = client.post(url, data={"csrf_token": _login_form(client, url), "username": "district",
                                  "password": demo["users"]["district"]["password"]})
    assert done.status_code == 302 and done.headers["Location"] == target
