"""The instance's secrets: a session key nobody else knows, made on the first start and kept in the
instance folder; known keys refused; a personal-data key of its own; both rotated without losing a
session in flight or a sealed number."""
from __future__ import annotations

import multiprocessing
import os
import runpy
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, insert, select

from app import create_app, privacy
from app.accounts.models import User
from app.actuals.models import Resident
from app.extensions import db
from app.jobs.services import bind_app
from app.keys import UnsafeKey, _instance_secret
from app.places.models import Room
from tests.client import Client
from tests.factories import fresh_id_number

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED_DEFAULT = "dev-only-change-me"
# Sealed by the version before keys were separate (8e25540), with SECRET_KEY and PERSONAL_DATA_KEY unset.
OLD_NUMBER = "420606198003079515"
OLD_SEALED = bytes.fromhex("6b0bb531cbcc7599d6e735979be20a69e3956c8b18a48cb99ed06315b9209e870259370dd9147ddd3efaa22c77e2")
OLD_INDEX = "8fe890b91ee0e92f24c82fa3bca759b1ae066d94cc87e9b2be9e4eb97199776d"
OLD_PHONE = bytes.fromhex("e819db25daf07aca0f3643c34e97508c4f09606e81862afa3256ec418c4ea10907ed0fa4a0fc76")


@pytest.fixture()
def deployed(app, monkeypatch):
    """deployed(instance, **environment) -> the app as `make run` or gunicorn starts it (not in testing
    mode) with that environment and no keys set, on the tests' database."""
    def start(instance: Path, **environment) -> Flask:
        for name in ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "PERSONAL_DATA_KEY", "PERSONAL_DATA_OLD_KEYS", "FLASK_DEBUG"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("YIBIAO_INSTANCE", str(instance))
        monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return create_app(runpy.run_path(str(ROOT / "config.py"))["Config"])  # config.py as a fresh process reads it
    yield start
    bind_app(app)  # background jobs of the other tests run in the session's app


def _cookie_signed_with(key: str, payload: dict) -> str:
    forger = Flask("forger")
    forger.secret_key = key
    return forger.session_interface.get_signing_serializer(forger).dumps(payload)


def test_a_session_cookie_signed_with_the_published_default_key_does_not_open_the_user_admin(app, deployed, tmp_path):
    server = deployed(tmp_path / "instance")
    with app.app_context():
        admin_id = db.session.scalar(select(User.id).where(User.username == "admin"))
    client = server.test_client()
    client.set_cookie("session", _cookie_signed_with(PUBLISHED_DEFAULT, {"_user_id": str(admin_id), "_fresh": True}))
    page = client.get("/admin/users", headers={"Accept": "text/html"})
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")


def test_a_fresh_instance_makes_its_keys_once_in_files_only_its_owner_can_read(deployed, tmp_path):
    instance = tmp_path / "instance"
    first = deployed(instance)
    for name, setting in (("secret_key", "SECRET_KEY"), ("personal_data_key", "PERSONAL_DATA_KEY")):
        path = instance / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
        assert path.read_text().strip() == first.config[setting] and len(first.config[setting]) == 64
    assert first.config["SECRET_KEY"] != first.config["PERSONAL_DATA_KEY"]
    again = deployed(instance)  # the next start (make run twice): the same keys, so sessions and sealed data live on
    assert (again.config["SECRET_KEY"], again.config["PERSONAL_DATA_KEY"]) == (
        first.config["SECRET_KEY"], first.config["PERSONAL_DATA_KEY"])
    other = deployed(tmp_path / "elsewhere")
    assert other.config["SECRET_KEY"] != first.config["SECRET_KEY"]


def test_an_environment_variable_still_wins_over_the_file(deployed, tmp_path):
    session_key, data_key = "e" * 64, "f" * 64
    server = deployed(tmp_path / "instance", SECRET_KEY=session_key, PERSONAL_DATA_KEY=data_key)
    assert (server.config["SECRET_KEY"], server.config["PERSONAL_DATA_KEY"]) == (session_key, data_key)
    assert not (tmp_path / "instance" / "secret_key").exists()


def _read_key(path, ready, out):
    ready.wait()
    out.put(_instance_secret(path))


def test_workers_starting_at_once_agree_on_one_key(tmp_path):
    path = tmp_path / "secret_key"
    spawn = multiprocessing.get_context("fork")
    ready, out = spawn.Barrier(8), spawn.Queue()
    workers = [spawn.Process(target=_read_key, args=(path, ready, out)) for _ in range(8)]
    for w in workers:
        w.start()
    keys = {out.get(timeout=30) for _ in workers}
    for w in workers:
        w.join(timeout=30)
    assert keys == {path.read_text().strip()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]  # no drafts left behind


@pytest.mark.parametrize("name, value", [
    ("SECRET_KEY", PUBLISHED_DEFAULT), ("SECRET_KEY", "tests-only"), ("SECRET_KEY", "changeme"),
    ("SECRET_KEY", "too-short"), ("SECRET_KEY_FALLBACKS", PUBLISHED_DEFAULT), ("PERSONAL_DATA_KEY", "tests-only"),
])
def test_the_server_refuses_to_start_with_a_published_or_short_key(deployed, tmp_path, name, value):
    with pytest.raises(UnsafeKey, match=name):
        deployed(tmp_path / "instance", **{name: value})


def test_debug_mode_may_keep_a_development_key(deployed, tmp_path):
    assert deployed(tmp_path / "instance", SECRET_KEY=PUBLISHED_DEFAULT, FLASK_DEBUG="1").debug


def test_gunicorn_stops_with_a_message_naming_the_key_and_the_fix(app, tmp_path):
    env = {**os.environ, "SECRET_KEY": PUBLISHED_DEFAULT, "YIBIAO_INSTANCE": str(tmp_path / "instance"),
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}
    started = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120)
    assert started.returncode != 0
    assert "SECRET_KEY" in started.stderr and "token_hex" in started.stderr


# --- the session key's rotation --------------------------------------------------------------------

def test_sessions_signed_with_the_previous_session_key_live_on_while_it_is_a_fallback(app, as_user):
    police = as_user("police")
    old = app.config["SECRET_KEY"]
    try:
        app.config.update(SECRET_KEY="n" * 64, SECRET_KEY_FALLBACKS=[old])
        assert police.get("/api/v1/session").json["user"]["username"] == "police"
        app.config.update(SECRET_KEY_FALLBACKS=[])
        assert police.get("/api/v1/session").json["user"] is None
    finally:
        app.config.update(SECRET_KEY=old, SECRET_KEY_FALLBACKS=[])


# --- the personal-data key's rotation --------------------------------------------------------------

def test_an_instance_sealed_with_the_published_default_still_reads_and_finds_its_people_after_the_upgrade(
        app, demo, deployed, places, tmp_path):
    with app.app_context():  # a resident as the earlier version stored them
        room_id = db.session.scalar(select(Room.id).where(Room.object_code == places["township"]["room"]))
        resident_id = db.session.execute(insert(Resident).values(
            room_id=room_id, name="旧版", id_number_enc=OLD_SEALED, id_number_hash=OLD_INDEX,
            id_number_masked="4206**********9515", phone_enc=OLD_PHONE, phone_masked="139****1111", sex="male",
            birth_date=date(1980, 3, 7), kind="registered", status="active",
            version=1)).inserted_primary_key[0]
        db.session.commit()
    try:
        upgraded = deployed(tmp_path / "instance")  # the new version's first start on that database
        assert (tmp_path / "instance" / "personal_data_old_keys").read_text().strip() == PUBLISHED_DEFAULT
        assert upgraded.config["PERSONAL_DATA_KEY"] != PUBLISHED_DEFAULT
        police = Client(upgraded.test_client()).sign_in("police", demo["users"]["police"]["password"])
        full = police.post(f"/api/v1/residents/{resident_id}/personal")
        assert full.json == {"id_number": OLD_NUMBER, "phone": "13900001111"}
        again = police.post("/api/v1/residents", json={"room_code": places["grid"]["room"], "name": "旧版",
                                                       "id_number": OLD_NUMBER})
        assert again.status_code == 409 and again.json["errors"][0]["field"] == "id_number"
    finally:
        with app.app_context():
            db.session.execute(delete(Resident).where(Resident.id == resident_id))
            db.session.commit()


def _register(client, room: str, number: str):
    return client.post("/api/v1/residents", json={"room_code": room, "name": "轮换", "id_number": number,
                                                  "phone": "13912340000"})


def test_after_a_rotation_old_data_reads_and_is_found_and_the_command_moves_it_to_the_new_key(app, as_user, places):
    police = as_user("police")
    number, later = fresh_id_number(), fresh_id_number()
    before = _register(police, places["township"]["room"], number).json
    first_key = app.config["PERSONAL_DATA_KEY"]
    new_key = "a" * 64
    runner = app.test_cli_runner()
    try:
        app.config.update(PERSONAL_DATA_KEY=new_key, PERSONAL_DATA_OLD_KEYS=[first_key])
        assert police.post(f"/api/v1/residents/{before['id']}/personal").json["id_number"] == number
        assert _register(police, places["grid"]["room"], number).status_code == 409  # found by its old-key index
        after = _register(police, places["grid"]["room"], later).json  # sealed with the new key

        rotated = runner.invoke(args=["personal-data", "rotate", "--batch", "5000"])
        assert rotated.exit_code == 0, rotated.output
        assert "resident：" in rotated.output and "全部个人信息已由当前密钥加密" in rotated.output

        app.config.update(PERSONAL_DATA_OLD_KEYS=[])  # the old key gone: everything opens with the new one
        assert police.post(f"/api/v1/residents/{before['id']}/personal").json["id_number"] == number
        assert police.post(f"/api/v1/residents/{after['id']}/personal").json["id_number"] == later
        assert _register(police, places["grid"]["room"], number).status_code == 409
        with app.app_context():
            assert db.session.get(Resident, before["id"]).id_number_hash == privacy.blind_index(number)
        rerun = runner.invoke(args=["personal-data", "rotate", "--batch", "5000"])
        assert rerun.exit_code == 0 and "已更新 0 行" in rerun.output and "已更新 1" not in rerun.output
    finally:  # back to the session's key, by the same command
        app.config.update(PERSONAL_DATA_KEY=first_key, PERSONAL_DATA_OLD_KEYS=[new_key])
        assert runner.invoke(args=["personal-data", "rotate", "--batch", "5000"]).exit_code == 0
        app.config.update(PERSONAL_DATA_OLD_KEYS=[])
