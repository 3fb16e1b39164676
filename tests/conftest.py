"""Test set-up: one database per run, upgraded by the Alembic migrations (never create_all) and
filled with the `small` demo city; SQLite by default, PostgreSQL when DATABASE_URL says so.

Tests create what they change (their own roads, plates, people) and assert on those, so they can
share the city and run in any order.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = Path(tempfile.mkdtemp(prefix="yibiao-tests-"))
# Config reads the environment when it is imported, so this comes before any app import.
os.environ["YIBIAO_INSTANCE"] = str(RUN_DIR / "instance")
os.environ["JOBS_IN_PROCESS"] = "0"
# Rate-limit counters in memory: a rerun within the minute must not inherit the last run's counts.
os.environ["RATELIMIT_STORAGE_URI"] = "memory://"

from sqlalchemy import select  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import User  # noqa: E402
from app.extensions import db  # noqa: E402
from app.places.models import Area, Building, Room  # noqa: E402
from config import TestConfig  # noqa: E402
from tests.client import Client  # noqa: E402

DEMO_SEED = 4206


@pytest.fixture(scope="session")
def app():
    from flask_migrate import upgrade

    from app.demo.city import build

    app = create_app(TestConfig)
    with app.app_context():
        upgrade()
        city = build("small", DEMO_SEED, echo=lambda *_: None)
        app.config["DEMO"] = city
    yield app


@pytest.fixture(scope="session")
def demo(app) -> dict:
    """{username: {password, role, scope, api_key?}} of the demo users, and the city's counts."""
    city = app.config["DEMO"]
    return {"users": {u["username"]: u for u in city["logins"]}, "counts": city["counts"]}


@pytest.fixture()
def ctx(app):
    """An app context for calling services directly; the session is cleaned up afterwards.

    Not for tests that also send requests: a request would share this context (its `g` and
    database session) instead of getting its own. Those tests open `app.app_context()` around
    their direct database reads instead.
    """
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()


@pytest.fixture()
def as_user(app, demo):
    """as_user("police") -> a Client signed in as that demo user."""
    def make(username: str) -> Client:
        return Client(app.test_client()).sign_in(username, demo["users"][username]["password"])
    return make


@pytest.fixture()
def anonymous(app) -> Client:
    return Client(app.test_client())


@pytest.fixture(scope="session")
def places(app, demo) -> dict:
    """Object codes of buildings at each distance from the demo users' jurisdictions.

    grid: in the grid worker's grid (not owned); owned: an owning unit's building (same grid);
    township: in the police/street township but not that grid; district: in 樊城区 outside that
    township; elsewhere: in 襄城区.
    """
    with app.app_context():
        grid_user = db.session.scalar(select(User).where(User.username == "grid"))
        owner = db.session.scalar(select(User).where(User.username == "owner"))
        grid_code = grid_user.areas[0].area.code
        township_code = grid_code[:9]
        owned = {o.object_code for o in owner.objects}

        def building(where):
            stmt = (select(Building).join(Area, Building.area_id == Area.id).where(where)
                    .where(Building.object_code.not_in(owned)).order_by(Building.id))
            b = db.session.scalar(stmt)
            room = db.session.scalar(select(Room).where(Room.building_id == b.id).order_by(Room.id))
            return {"building": b.object_code, "room": room.object_code, "plate": b.door_plate.object_code,
                    "area": b.area.code}

        found = {
            "grid": building(Area.code == grid_code),
            "township": building(Area.code.startswith(township_code) & (Area.code != grid_code)),
            "district": building(Area.code.startswith("420606") & ~Area.code.startswith(township_code)),
            "elsewhere": building(Area.code.startswith("420602")),
        }
        owned_building = db.session.scalar(select(Building).where(Building.object_code == sorted(owned)[0]))
        found["owned"] = {"building": owned_building.object_code,
                          "room": db.session.scalar(select(Room.object_code).where(
                              Room.building_id == owned_building.id).order_by(Room.id)),
                          "plate": owned_building.door_plate.object_code, "area": owned_building.area.code}
        found["codes"] = {"grid": grid_code, "township": township_code}
        return found
