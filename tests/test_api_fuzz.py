"""The whole JSON API fuzzed from its own OpenAPI document by schemathesis: no answer may be a 5xx, and
every answer must be what the document says (a documented status, its content type, headers and
body schema; every problem a `Problem`).

The fuzz run has a server and a database of its own (the demo city, built afresh: SQLite, or a new
PostgreSQL database beside the run's when DATABASE_URL names one), so that nothing it writes reaches
the other tests, and nothing they do changes what it finds. It runs as the department's API key, then
signed in (session cookie and CSRF token) as a police officer, a street reviewer and the
administrator: each role reaches other operations. The administrator goes last, since what it may do
(revoke keys, deactivate users, change review chains) would change what the others can reach.

Bounded for CI: a fixed seed and FUZZ_EXAMPLES examples per operation and phase. Real codes, tokens
and ids of the demo city are offered to the generator for path parameters (half the time), so that
operations get past "not found" to their logic.

Left out, and why:
- DELETE /api/v1/session in the signed-in runs: signing out would end the run's own session.
- gunicorn's limit on the request line (its 414 is an HTML page from before the app).
- the checks `positive_data_acceptance` (the API refuses much that the document cannot express:
  unknown codes, times outside the service's life, rules needing the database) and `use_after_free`
  / `ensure_resource_availability` (nothing is deleted here; the session's DELETE is not a resource's).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.serve import ROOT, free_port, gunicorn, scratch_database

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 20))
FUZZ_SEED = int(os.environ.get("FUZZ_SEED", 4206))
IDENTITIES = ["dept", "police", "street", "admin"]  # in this order: see the module's docstring
EXCLUDED_CHECKS = ["positive_data_acceptance", "use_after_free", "ensure_resource_availability"]

BUILD_CITY = """
import json
from flask_migrate import upgrade
from app import create_app
from app.demo.city import build
app = create_app()
with app.app_context():
    upgrade()
    print(json.dumps(build("small", 4206, echo=lambda *_: None)["logins"]))
"""


def _known_values(database_url: str, township: str) -> dict[str, list]:
    """Real path values in the demo city, inside the police officer's township (every identity here
    reaches it): object and area codes, plate tokens, ids."""
    building_in = "JOIN building b ON b.id = x.building_id JOIN area a ON a.id = b.area_id"
    queries = {
        "code": [f"SELECT code FROM area WHERE code = '{township[:4]}' OR code = '{township}'",
                 f"SELECT code FROM area WHERE level = 'grid' AND code LIKE '{township}%'",
                 *(f"SELECT x.object_code FROM {t} x JOIN area a ON a.id = x.area_id WHERE a.code LIKE '{township}%'"
                   for t in ("door_plate", "building")),
                 *(f"SELECT x.object_code FROM {t} x {building_in} WHERE a.code LIKE '{township}%'"
                   for t in ("unit", "room")),
                 "SELECT object_code FROM organisation"],
        "token": ["SELECT token FROM plate WHERE status = 'active'"],
        "resident_id": ["SELECT id FROM resident"],
        "client_id": ["SELECT client_id FROM submission"],
        "task_id": ["SELECT id FROM task"],
        "register_id": ["SELECT id FROM register"],
        "sha256": ["SELECT sha256 FROM photo"],
        "receipt_token": ["SELECT receipt_token FROM public_report"],
    }
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return {name: [v for sql in found for v in conn.scalars(text(f"{sql} ORDER BY 1 LIMIT 3"))]
                    for name, found in queries.items()}
    finally:
        engine.dispose()


def _config(path: Path, values: dict[str, list]) -> Path:
    """schemathesis.toml: the seed, the bound on examples, and the demo city's values. One worker:
    with two, Python 3.11's ast module (hypothesis reads lambdas' source with it) failed now and then
    with "AST constructor recursion depth mismatch" (its depth counter is shared between threads)."""
    lines = [f"seed = {FUZZ_SEED}", "workers = 1", "[generation]", f"max-examples = {FUZZ_EXAMPLES}",
             'database = "none"', "[cache]", "enabled = false"]  # each run as the last: nothing replayed
    bindings = []
    for name, found in values.items():
        if found:
            lines += [f"[dictionaries.{name}]", f"values = {json.dumps(found, ensure_ascii=False)}"]
            bindings.append(f'"path.{name}" = {{ dictionary = "{name}", probability = 0.5 }}')
    lines += ["[parameters]", *bindings]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    """(URL, logins, schemathesis config) of a server with a demo city of its own."""
    run_dir = tmp_path_factory.mktemp("fuzz")
    database_url, drop = scratch_database(run_dir, "fuzz")
    port = free_port()
    env = {**os.environ, "YIBIAO_INSTANCE": str(run_dir / "instance"), "DATABASE_URL": database_url,
           "SECRET_KEY": "", "PERSONAL_DATA_KEY": "", "JOBS_IN_PROCESS": "0", "FLASK_APP": "wsgi.py",
           "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "MAP_TILE_URL": "", "PYTHONUNBUFFERED": "1"}
    try:
        built = subprocess.run([sys.executable, "-c", BUILD_CITY], cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=300)
        assert built.returncode == 0, built.stderr[-3000:]
        logins = {u["username"]: u for u in json.loads(built.stdout.strip().splitlines()[-1])}
        config = _config(run_dir / "schemathesis.toml", _known_values(database_url, logins["police"]["scope"]))
        # Jobs in the server, on a queue of their own; limits that let the run reach the logic (the
        # limits themselves are tested on their own).
        env.update({"JOBS_IN_PROCESS": "1", "JOBS_QUEUE": "yibiao-fuzz", **{
            name: "100000 per minute" for name in ("RATELIMIT_LOGIN", "RATELIMIT_PLATE_SCAN", "RATELIMIT_REPORT_CLIENT",
                                                   "RATELIMIT_REPORT_PLATE", "RATELIMIT_API_KEY")}})
        log = run_dir / "gunicorn.log"
        # No limit on the request line: gunicorn's own 414 (an HTML page, before the app) for a long
        # generated query would otherwise stand in for what the app answers.
        with gunicorn(port, env, log, ("--limit-request-line", "0")) as url:
            yield url, logins, config, log
    finally:
        drop()


def _signed_in(url: str, username: str, password: str) -> list[str]:
    """The headers of a browser signed in as `username`: its session cookie and CSRF token."""
    import requests

    browser = requests.Session()
    token = browser.get(f"{url}/api/v1/session").json()["csrf_token"]
    answer = browser.post(f"{url}/api/v1/session", json={"username": username, "password": password},
                          headers={"X-CSRFToken": token})
    assert answer.status_code == 200, answer.text
    return [f"Cookie: session={browser.cookies['session']}", f"X-CSRFToken: {answer.json()['csrf_token']}"]


def _failures(output: str) -> str:
    """What schemathesis found, without its progress and warnings."""
    found = re.search(r"=+ FAILURES =+\n(.*?)(?:\n=+ (?:WARNINGS|SUMMARY) =+)", output, re.S)
    return found.group(1) if found else output[-6000:]


def _server_errors(log: Path) -> str:
    """The tracebacks the server logged (the 500s' causes)."""
    text_ = log.read_text(encoding="utf-8", errors="replace")
    return "\n".join(re.findall(r"unhandled error on .*?(?=\n\[\d{4}-|\Z)", text_, re.S))[-8000:]


@pytest.mark.parametrize("identity", IDENTITIES)
def test_no_operation_answers_a_server_error_or_breaks_its_documented_schema(fuzz_server, identity):
    url, logins, config, log = fuzz_server
    user = logins[identity]
    if identity == "dept":
        headers, excluded = [f"Authorization: Bearer {user['api_key']}"], []
    else:
        headers, excluded = _signed_in(url, identity, user["password"]), ["--exclude-name", "DELETE /api/v1/session"]
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
               f"{url}/api/openapi.json", "--checks", "all", "--exclude-checks", ",".join(EXCLUDED_CHECKS),
               "--no-color", *excluded, *[arg for h in headers for arg in ("-H", h)]]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, (f"schemathesis as {identity} found:\n{_failures(run.stdout)}\n\n"
                                 f"server errors logged:\n{_server_errors(log)}")
