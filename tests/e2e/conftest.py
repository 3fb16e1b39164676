"""End-to-end set-up: the real server (gunicorn, 2 workers) on a free loopback port against the
database that tests/conftest.py prepared, and Debian's Chromium driven by Playwright.

The server gets the test process's environment and the `app` fixture's instance directory and database
URL (so it reads the same city, and decrypts its ID numbers with the instance's personal-data key), with
jobs run in-process. It is not in testing mode, so it takes no published session key: it makes and keeps
its own in the instance directory, as a first `make run` does. No browser is ever
downloaded: Playwright launches /usr/bin/chromium, and the e2e tests skip if it is not installed.
"""
from __future__ import annotations

import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.serve import ROOT, free_port, gunicorn, log_tail

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking"]
# Screenshots go to the run's temporary folder; SCREENSHOTS=docs/screenshots refreshes the README's.
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS") or Path(os.environ["YIBIAO_INSTANCE"]).parent / "screenshots")
DESKTOP = {"width": 1280, "height": 800}


@dataclass
class Server:
    url: str
    log: Path
    pwa_dir: Path | None  # the field app's files it serves: a copy, so that a test can deploy a new version

    def log_tail(self, lines: int = 60) -> str:
        return log_tail(self.log, lines)


@pytest.fixture(scope="session", autouse=True)
def _chromium_installed():
    # Session-scoped and autouse (for tests/e2e only), so it runs before the server is started.
    if not CHROMIUM.exists():
        pytest.skip(f"e2e tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium); it is missing")


@contextmanager
def serve(app, folder: Path, pwa_dir: Path | None = None, **settings):
    """The app served by gunicorn (2 workers) from a subprocess on a free port, as in production, with
    `settings` added to its environment; stopped when the block ends. Its log goes to `folder`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = os.environ.copy()
    # The database and instance directory (with its keys) of the `app` fixture, taken from its config:
    # the one place that says which instance directory and database this run prepared.
    cfg = app.config
    env.update({
        "YIBIAO_INSTANCE": str(cfg["INSTANCE_DIR"]),
        "DATABASE_URL": cfg["SQLALCHEMY_DATABASE_URI"],
        "EXPORT_DIR": str(cfg["EXPORT_DIR"]),
        "PERSONAL_DATA_KEY": cfg["PERSONAL_DATA_KEY"],
        "PUBLIC_BASE_URL": url,
        "MAP_TILE_URL": "",  # no tiles: nothing may be fetched from outside 127.0.0.1
        "PYTHONUNBUFFERED": "1",
        **({"PWA_DIR": str(pwa_dir)} if pwa_dir else {}),
        **settings,
    })
    env.pop("SECRET_KEY", None)  # the tests' own key, refused outside testing
    # The limits count where a deployment's do without Redis: in the instance's file all workers share.
    env.pop("RATELIMIT_STORAGE_URI", None)
    log = folder / "gunicorn.log"
    with gunicorn(port, env, log):
        yield Server(url, log, pwa_dir)


@pytest.fixture(scope="session")
def server(app, tmp_path_factory):
    """The app as the e2e tests use it; stopped after the session."""
    pwa_dir = tmp_path_factory.mktemp("pwa") / "pwa"
    shutil.copytree(ROOT / "pwa", pwa_dir)
    with serve(app, tmp_path_factory.mktemp("server"), pwa_dir,
               JOBS_IN_PROCESS="1",
               # Its own queue: the test process's consumer must not run the server's jobs, nor the server
               # the jobs that tests in this process enqueue (with their monkeypatched runners).
               JOBS_QUEUE="yibiao-e2e-server",
               # Every test signs in through the form; the production default (10 a minute) would lock us out.
               RATELIMIT_LOGIN="300 per minute", RATELIMIT_REPORT_CLIENT="1000 per minute",
               # Few enough verification tasks per register that a browser test can hold some back.
               REGISTER_MAX_TASKS="20") as running:
        yield running


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and "server" in getattr(item, "funcargs", {}):
        report.sections.append(("server log (tail)", item.funcargs["server"].log_tail()))


@pytest.fixture(scope="session")
def playwright_instance():
    sync_api = pytest.importorskip("playwright.sync_api")
    sync_api.Page.wait_for_function = _wait_for_function
    with sync_api.sync_playwright() as p:
        yield p


def _wait_for_function(page, expression: str, *, arg=None, timeout: float | None = None, polling=None):
    """Page.wait_for_function as the pages' Content-Security-Policy lets a test use it: Playwright's
    own evals the expression inside the page, which a policy without 'unsafe-eval' forbids (as it
    should); page.evaluate goes through the DevTools protocol, outside the policy. The expression
    is polled until it (or the function it is, called with `arg`) gives a true value."""
    from playwright.sync_api import Error, TimeoutError

    deadline = time.monotonic() + (timeout if timeout is not None else 30_000) / 1000
    while True:
        try:
            value = page.evaluate(expression, arg)
        except Error as e:  # a navigation between two polls: look again in the new document
            if "context was destroyed" not in str(e) and "navigat" not in str(e):
                raise
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"waiting for {expression!r} timed out")
        page.wait_for_timeout(polling if isinstance(polling, (int, float)) else 50)


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


def _sign_in(page, username: str, password: str) -> None:
    """Sign in through the login form, as a person would (the page must be on /login)."""
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form button[type=submit]")


@pytest.fixture()
def sign_in():
    """sign_in(page, username, password): fill in and send the login form the page shows."""
    return _sign_in


@pytest.fixture(scope="session")
def _signed_in_states(browser, server, demo):
    """Cookies of each demo user after one sign-in through the form, shared by the tests."""
    states = {}

    def state(username: str) -> dict:
        if username not in states:
            context = browser.new_context(base_url=server.url, locale="zh-CN")
            page = context.new_page()
            page.goto("/login")
            _sign_in(page, username, demo["users"][username]["password"])
            page.wait_for_url(server.url + "/")
            states[username] = context.storage_state()
            context.close()
        return states[username]

    return state


class Requests:
    """Every request a browser context makes, and every answer that was an error."""

    def __init__(self, context):
        self.urls: list[str] = []
        self.failed: list[str] = []
        context.on("request", lambda r: self.urls.append(r.url))
        context.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"))
        context.on("requestfailed", lambda r: self.failed.append(f"{r.failure} {r.url}"))

    def off_origin(self, origin: str) -> list[str]:
        # data: URLs are inline content (Leaflet's CSS uses some), not requests leaving the machine.
        return [u for u in self.urls if not (u.startswith(origin + "/") or u.startswith("data:"))]


@pytest.fixture()
def new_page(browser, server, _signed_in_states):
    """new_page(user=None, **context options) -> a page in a fresh context, signed in as `user`.

    Desktop size (1280×800) and zh-CN unless told otherwise; page.requests records the traffic.
    """
    contexts = []

    def make(user: str | None = None, **options):
        options = {"viewport": DESKTOP, "locale": "zh-CN", **options}
        if user:
            options["storage_state"] = _signed_in_states(user)
        context = browser.new_context(base_url=server.url, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        requests = Requests(context)
        page = context.new_page()
        page.requests = requests
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture()
def screenshot():
    """screenshot(page, "name") -> SCREENSHOTS/name.png of the whole page (full_page=False: the screen,
    as a phone shows it, with its bars where they stay)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        return path

    return take


@pytest.fixture(scope="session")
def home(app, places) -> dict:
    """A room inside the police/street township with people living in it, and its address chain.

    {township, community, grid: (code, name); building, room: object codes; room_parts; room_text;
    residents: [(id, name, id_number, masked)]}
    """
    from app.actuals.models import Resident
    from app.extensions import db
    from app.places.addresses import address_text
    from app.places.models import Area, Building, Room
    from app.privacy import unseal

    township = places["codes"]["township"]
    with app.app_context():
        inhabited = (select(Room.id).join(Resident, Resident.room_id == Room.id)
                     .join(Building, Room.building_id == Building.id).join(Area, Building.area_id == Area.id)
                     .where(Area.code.startswith(township), Area.level == "grid", Room.status == "active",
                            Building.status == "active", Resident.status == "active", Room.unit_id.is_not(None))
                     .group_by(Room.id).having(func.count(Resident.id) >= 2).order_by(Room.id).limit(1))
        room = db.session.get(Room, db.session.scalar(inhabited))
        grid = room.building.area
        community, town = grid.parent, grid.parent.parent
        assert town.code == township
        residents = db.session.scalars(select(Resident).where(Resident.room_id == room.id,
                                                              Resident.status == "active")
                                       .order_by(Resident.id)).all()
        found = {
            "township": (town.code, town.name), "community": (community.code, community.name),
            "grid": (grid.code, grid.name), "building": room.building.object_code,
            "building_text": address_text(room.building), "room": room.object_code,
            "room_parts": dict(room.parts), "room_text": address_text(room),
            "residents": [(r.id, r.name, unseal(r.id_number_enc), r.id_number_masked) for r in residents],
        }
        db.session.remove()
    return found
