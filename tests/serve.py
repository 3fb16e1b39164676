"""A server and a database of their own for the tests that need them: the app served by gunicorn (2
workers) from a subprocess on a free loopback port, as in production (the browser tests in tests/e2e,
the API fuzz run), and an empty database of the kind the run uses (the fuzz run, migration tests)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scratch_database(run_dir: Path, suffix: str) -> tuple[str, Callable[[], None]]:
    """(URL, drop) of an empty database: a SQLite file in `run_dir`, or, when DATABASE_URL names a
    PostgreSQL database, a new one named after it with `suffix`."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql")):
        return f"sqlite:///{run_dir / suffix}.db", lambda: None
    url = make_url(base.replace("postgres://", "postgresql://", 1)).set(drivername="postgresql+psycopg")
    name = f"{url.database}_{suffix}"[:63]
    server = create_engine(url, isolation_level="AUTOCOMMIT")

    def drop() -> None:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    drop()  # left by a run that was killed
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return url.set(database=name).render_as_string(hide_password=False), drop


def log_tail(log: Path, lines: int = 60) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextmanager
def gunicorn(port: int, env: dict, log: Path, options: tuple[str, ...] = ()) -> Iterator[str]:
    """Serve wsgi:app with `env` (and gunicorn `options`) on `port` until the block ends; yields the
    server's URL once it answers /login (fails the test with the log's tail if it does not within 30 s)."""
    url = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
             "--timeout", "60", "--graceful-timeout", "5", *options, "wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode} before answering:\n{log_tail(log)}")
            try:
                with urllib.request.urlopen(url + "/login", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer {url}/login within 30 s:\n{log_tail(log)}")
            time.sleep(0.1)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)  # gunicorn's quick shutdown; SIGTERM would wait for the job threads
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
