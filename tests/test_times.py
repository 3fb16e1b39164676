"""Every date and time that comes in is range-checked (a capture time between the service's start and
now, allowing a phone's clock to run a little ahead; move-in and move-out dates of people on record;
a report's move-in date), kept in UTC, and every time that goes out carries its zone.

The case that started it: `captured_at` of 9999-12-31T23:59:59-14:00 was stored on PostgreSQL as the
year 10000, which cannot be read back, and every page listing that submission answered 500."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from marshmallow import Schema, fields
from sqlalchemy import func, select

from app.collect.models import Submission
from app.extensions import db
from tests.collect.test_collect import photo, shop_body  # noqa: F401  (photo is a fixture)
from tests.factories import fresh_id_number
from tests.serve import ROOT, scratch_database
from tests.test_errors import assert_problem


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def submissions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Submission))


@pytest.mark.parametrize("captured_at", [
    "9999-12-31T23:59:59-14:00",  # the year 10000 in UTC
    "2019-12-31T23:59:59+00:00",  # before the service existed
    iso(datetime.now(timezone.utc) + timedelta(hours=1)),  # a clock an hour ahead
], ids=["year-10000", "before-the-service", "an-hour-ahead"])
def test_a_capture_time_that_cannot_be_true_is_refused_and_nothing_is_stored(app, as_user, places, photo, captured_at):
    before = submissions(app)
    response = as_user("police").post("/api/v1/submissions",
                                      json=shop_body(places["grid"]["building"], photo, captured_at=captured_at))
    problem = assert_problem(response, 422, "validation.failed")
    assert "2020-01-01" in {e["field"]: e["message"] for e in problem["errors"]}["captured_at"]
    assert submissions(app) == before


def test_a_capture_time_a_few_minutes_ahead_is_a_phone_clock_and_is_kept_in_utc(app, as_user, places, photo):
    ahead = datetime.now(timezone(timedelta(hours=8))).replace(microsecond=0) + timedelta(minutes=5)
    response = as_user("police").post("/api/v1/submissions",
                                      json=shop_body(places["grid"]["building"], photo, captured_at=iso(ahead)))
    assert response.status_code == 201, response.json
    with app.app_context():
        stored = db.session.scalar(select(Submission.captured_at).where(Submission.client_id == response.json["id"]))
    # SQLite kept 10:00+08:00 as 10:00, read back as UTC: eight hours late.
    assert stored.replace(tzinfo=stored.tzinfo or timezone.utc) == ahead


def test_a_task_answer_time_and_a_bulk_approval_time_are_range_checked(as_user):
    answer = as_user("grid").post("/api/v1/tasks/1/answer", json={
        "id": "0f8fad5b-d9cb-469f-a165-70867728950e", "outcome": "confirmed", "photos": ["0" * 64],
        "answered_at": "9999-12-31T23:59:59-14:00"})
    assert answer.status_code in (404, 422)  # task 1 may be outside this worker's grid
    if answer.status_code == 422:
        assert any(e["field"] == "answered_at" for e in answer.json["errors"])
    bulk = as_user("street").post("/api/v1/review/bulk-approve", json={"filter": {"as_of": "9999-12-31T23:59:59-14:00"}})
    assert any(e["field"] == "filter.as_of" for e in assert_problem(bulk, 422, "validation.failed")["errors"])


@pytest.mark.parametrize("moved_in,message", [("1899-12-31", "1900-01-01"), ("2999-01-01", "1900-01-01")])
def test_a_move_in_date_of_someone_on_record_is_within_sensible_bounds(as_user, places, moved_in, message):
    response = as_user("police").post("/api/v1/residents", json={
        "room_code": places["township"]["room"], "name": "张三", "id_number": fresh_id_number(), "moved_in": moved_in})
    problem = assert_problem(response, 422, "validation.failed")
    assert message in {e["field"]: e["message"] for e in problem["errors"]}["moved_in"]


def _schemas() -> list[type]:
    found, todo = [], [Schema]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("app."):
                found.append(sub)
    return found


def test_every_date_and_time_of_every_schema_is_one_of_the_two_checked_fields(app):
    """A new schema cannot let an unchecked time in, nor send one out without its zone."""
    from app.api import BaseSchema, Day, UtcDateTime

    wrong = [f"{s.__module__}.{s.__name__}.{name}" for s in _schemas() for name, f in s._declared_fields.items()
             if (isinstance(f, fields.DateTime) and not isinstance(f, UtcDateTime))
             or (isinstance(f, fields.Date) and not isinstance(f, Day) and issubclass(s, BaseSchema))]
    assert not wrong


def test_times_in_api_answers_carry_their_zone(as_user, places):
    admin = as_user("admin")
    keys = admin.get("/api/v1/api-keys").json
    job = admin.post(f"/api/v1/areas/{places['grid']['area']}/exports", json={}).json
    for when in [keys[0]["created_at"], job["created_at"]]:
        assert datetime.fromisoformat(when).utcoffset() == timedelta(0), when


def test_impossible_capture_times_stored_before_are_forgotten_by_the_migration(tmp_path):
    """On PostgreSQL the year 10000 itself; on SQLite (which stores text) the nearest it can hold."""
    url, drop = scratch_database(tmp_path, "capture")
    postgres = url.startswith("postgresql")
    users = '"user"' if postgres else "user"
    statements = [
        "INSERT INTO area (id, code, name, level) VALUES (1, '420606', '樊城区', 'district')",
        "INSERT INTO road (id, name, area_id, status, version, created_at, updated_at) "
        "VALUES (1, '路', 1, 'active', 1, '2026-01-01', '2026-01-01')",
        "INSERT INTO door_plate (id, object_code, road_id, number, area_id, lon, lat, grid_code, status, version, "
        "created_at, updated_at) VALUES (1, 'D1', 1, '1', 1, 112.1, 32.0, 'G', 'active', 1, '2026-01-01', '2026-01-01')",
        f"INSERT INTO {users} (id, username, display_name, password_hash, role, active, "
        "version, created_at) VALUES (1, 'p', 'p', 'x', 'police', true, 1, '2026-01-01')",
        *(f"INSERT INTO submission (id, client_id, body_hash, kind, status, version, collector_id, area_id, door_plate_id, "
          f"data, address_text, received_at, captured_at, step) VALUES ({i}, 'c{i}', 'h', 'shop', 'submitted', 1, 1, 1, 1, "
          f"'{{}}', 'a', '2026-11-26', '{at}', 0)"
          for i, at in enumerate(["10000-01-01 00:00:00+00" if postgres else "9999-12-31 23:59:59.000000",
                                  "2019-06-01 00:00:00", "2026-11-26 02:00:00"], 1))]
    script = f"""
import os
os.environ["YIBIAO_INSTANCE"] = {str(tmp_path)!r}
os.environ["DATABASE_URL"] = {url!r}
from flask_migrate import upgrade
from sqlalchemy import text
from app import create_app
from app.extensions import db
app = create_app()
with app.app_context():
    upgrade(revision="0007")
    for sql in {statements!r}:
        db.session.execute(text(sql))
    db.session.commit()
    upgrade()
    print([str(v)[:10] if v else None for v in db.session.scalars(text("SELECT captured_at FROM submission ORDER BY id"))])
"""
    try:
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stdout.strip().splitlines()[-1] == "[None, None, '2026-11-26']"
    finally:
        drop()
