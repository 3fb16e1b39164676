"""Instructions per upload + submission, counted by valgrind's callgrind: the same figure on a slow
machine and a fast one, so two versions of the code compare without the machine's drift.

    .venv/bin/python bench/ingest_instructions.py                        # this tree, ~6 minutes
    .venv/bin/python bench/ingest_instructions.py --baseline /tmp/base   # and another checkout beside it

bench/ingest.py gives submissions/s, but the same code's CPU per submission moves by half between
hours on these virtual machines (docs/performance.md, "Machines and how to read the figures"). This
script counts instead.
For each tree (this one, and --baseline if given): a scratch PostgreSQL database with the small demo
city, made by that tree's own migrations and demo; then a Python process signs the police officer in
through Flask's test client and sends pairs as bench/ingest.py's clients do (PUT a ~300 KB photo, POST
its shop in a building of the jurisdiction), in process: no gunicorn, no network, no kernel work
counted. It runs under callgrind twice, with --pairs pairs and with none, each after the same
--warmup pairs; the difference divided by --pairs is the figure printed (the test client's own work
included, the same in both trees). Trees and runs go side by side, since an instruction count does not
depend on what the other core is doing. Needs valgrind (Debian's package).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "bench"))

from benchutil import git_state  # noqa: E402
from ingest import CAPTURED_AT, PG_BASE, choose_quality, noise_jpeg, psql, with_comment  # noqa: E402

COLLECTED = re.compile(r"Collected : (\d+)")
REDIS_URL = "redis://127.0.0.1:6379/14"


def drive(folder: Path) -> None:
    """In the tree of the current directory: sign in, then an upload and a submission for each photo
    in `folder` (made beforehand, named by their hashes in order, so that neither making nor hashing
    them is counted)."""
    sys.path.insert(0, os.getcwd())
    from wsgi import app  # the tree's own app

    client = app.test_client()
    logins = (Path(os.environ["YIBIAO_INSTANCE"]) / "demo-logins.txt").read_text(encoding="utf-8")
    password = re.search(r"^\s*police\s+(\S+)", logins, re.M).group(1)
    csrf = client.get("/api/v1/session").json["csrf_token"]
    signed_in = client.post("/api/v1/session", json={"username": "police", "password": password},
                            headers={"X-CSRFToken": csrf})
    assert signed_in.status_code == 200, signed_in.data[:300]
    csrf = signed_in.json["csrf_token"]
    buildings = [(b[0], b[4], b[5]) for b in client.get("/api/v1/collect/pack").json["buildings"]]
    rng = random.Random(1)
    for path in sorted(folder.iterdir()):
        data, sha = path.read_bytes(), path.name.split("-")[1]
        put = client.put(f"/api/v1/photos/{sha}", data=data, headers={"Content-Type": "image/jpeg", "X-CSRFToken": csrf})
        assert put.status_code == 201, put.data[:300]
        code, lon, lat = buildings[rng.randrange(len(buildings))]
        body = {"id": str(uuid.uuid4()), "kind": "shop", "building_code": code, "floor": 1, "room": "101",
                "shop_name": f"店铺{sha[:6]}", "business_kind": "retail", "photos": [sha], "captured_at": CAPTURED_AT,
                "position": {"lon": round(lon + rng.uniform(-2e-4, 2e-4), 7),
                             "lat": round(lat + rng.uniform(-2e-4, 2e-4), 7), "accuracy_m": 10}}
        posted = client.post("/api/v1/submissions", data=json.dumps(body, ensure_ascii=False).encode(),
                             headers={"Content-Type": "application/json", "X-CSRFToken": csrf})
        assert posted.status_code == 201, posted.data[:300]


def prepare(tree: Path, name: str, tmp: Path) -> dict:
    """A scratch database with the small demo city, by the tree's own code; the environment to use it."""
    database = f"yb_instr_{os.getpid()}_{name}"
    env = {**os.environ, "DATABASE_URL": f"{PG_BASE}/{database}", "YIBIAO_INSTANCE": str(tmp / name / "instance"),
           "FLASK_APP": "wsgi.py", "PHOTO_STORAGE_ROOT": str(tmp / name / "photos"),
           "REDIS_URL": REDIS_URL, "JOBS_QUEUE": f"ybinstr{os.getpid()}{name}", "JOBS_IN_PROCESS": "0",
           "RATELIMIT_STORAGE_URI": "memory://", "PYTHONHASHSEED": "0", "YB_DATABASE": database}
    psql(f'CREATE DATABASE "{database}"')
    for step in (["db", "upgrade"], ["demo-city", "--scale", "small"]):
        done = subprocess.run([str(VENV_BIN / "flask"), *step], env=env, cwd=tree, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{tree}: flask {' '.join(step)} failed:\n{done.stderr[-3000:]}")
    return env


def photos(folder: Path, count: int, base: bytes) -> Path:
    """`count` different uploads of one picture (a JPEG comment each), named <order>-<sha256>."""
    folder.mkdir(parents=True)
    for i in range(count):
        data = with_comment(base, f"{folder.name}-{i}")
        (folder / f"{i:05d}-{hashlib.sha256(data).hexdigest()}").write_bytes(data)
    return folder


def counted(tree: Path, env: dict, folder: Path) -> subprocess.Popen:
    return subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={folder}.callgrind", sys.executable,
         str(Path(__file__).resolve()), "--drive", str(folder)],
        cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def instructions(process: subprocess.Popen) -> int:
    _, err = process.communicate()
    found = COLLECTED.findall(err)
    if process.returncode or not found:
        raise RuntimeError(f"the counted run failed:\n{err[-3000:]}")
    return int(found[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=100, help="uploads + submissions counted (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=20, help="pairs before them, in both runs (default %(default)s)")
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="also count the code of DIR (another checkout, e.g. `git worktree add /tmp/base HEAD~5`)")
    parser.add_argument("--drive", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive is not None:
        return drive(args.drive)
    if not shutil.which("valgrind"):
        sys.exit("valgrind is needed: apt-get install valgrind")

    trees = [("this tree", ROOT)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    quality, size = choose_quality(2048, 1536, 300_000)
    print(f"Instructions per upload + submission (callgrind), {args.pairs} pairs after {args.warmup}; photos "
          f"2048×1536 JPEG ≈ {size / 1000:.0f} KB")
    tmp = Path(tempfile.mkdtemp(prefix="yb-instr-"))
    envs = {}
    try:
        t0 = time.perf_counter()
        for label, tree in trees:
            envs[label] = prepare(tree, label.split()[0], tmp)
        base = noise_jpeg(2048, 1536, quality, seed=1)
        runs = {(label, n): counted(tree, envs[label], photos(tmp / f"{label.split()[0]}-{n}", args.warmup + n, base))
                for label, tree in trees for n in (args.pairs, 0)}
        counts = {key: instructions(process) for key, process in runs.items()}
        print(f"(counted in {time.perf_counter() - t0:.0f} s)\n")
        print("| code | instructions per pair | start-up and warm-up |\n|---|---:|---:|")
        for label, tree in trees:
            per_pair = (counts[label, args.pairs] - counts[label, 0]) / args.pairs
            print(f"| {label}: {git_state(tree)} | {per_pair / 1e6:.2f} M | {counts[label, 0] / 1e9:.2f} G |")
    finally:
        import redis

        queues = redis.Redis.from_url(REDIS_URL)
        for env in envs.values():
            psql(f'DROP DATABASE IF EXISTS "{env["YB_DATABASE"]}" WITH (FORCE)')
            for key in queues.scan_iter(match=f"huey.*.{env['JOBS_QUEUE']}"):  # the re-encodes left queued
                queues.delete(key)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
