"""Field-collection ingest under load: photos and submissions into gunicorn on PostgreSQL, over loopback.

    .venv/bin/python bench/ingest.py                      # about a minute and a half
    .venv/bin/python bench/ingest.py --configs sync:2,gthread:2:4 --clients 16 --duration 20
    .venv/bin/python bench/ingest.py --baseline /tmp/base --rounds 3   # a checkout of the code before a change
    .venv/bin/python bench/ingest.py --clients 1          # a submission's own time, nothing queued
    .venv/bin/python bench/ingest.py --profile bench/out/profiles

What a police officer's phone does when it comes back online, many phones at once: upload a photo
(`PUT /api/v1/photos/<sha256>`, ~300 KB JPEG) and then the submission that shows it (`POST
/api/v1/submissions`, a shop in a building of the officer's jurisdiction). The script

1. creates a fresh PostgreSQL database (a unique name; dropped at the end unless --keep), runs
   `flask db upgrade` and `flask demo-city --scale small` into it, and takes the `police` user's
   password from demo-logins.txt. Photos go under a temporary PHOTO_STORAGE_ROOT; re-encode jobs
   go to Redis (db 14, a queue of the run's own) and are not run meanwhile (JOBS_IN_PROCESS=0);
   the sign-in rate limit is raised for the run (each client signs in once; the app's default is
   10 per minute and address) and Flask-Limiter counts in memory://;
2. for each gunicorn configuration (--configs, `kind:workers[:threads]`, default 2 workers × 4
   threads, as scripts/run.sh serves; with --baseline also the code of another checkout, alternating)
   starts `gunicorn wsgi:app` on a free port of 127.0.0.1 and reads the building codes of the
   officer's jurisdiction from the offline address pack (`GET /api/v1/collect/pack`);
3. starts --clients client processes, each of which, before the clock starts, draws its own
   noise-ish JPEGs with Pillow (quality chosen so that a photo is about --photo-kb), makes every
   upload unique by a JPEG comment segment (so each has a new SHA-256; the hashes are computed
   ahead) and signs in (`GET /api/v1/session` for the CSRF token and cookie, `POST
   /api/v1/session`); then, all together, --warmup seconds that are not recorded and --duration
   seconds that are, one keep-alive http.client connection each (reopened when the server closes
   it, as sync workers do after every response): PUT the photo, POST the submission, again;
4. prints accepted submissions/s (201 only; every other answer is listed with its problem `code`),
   p50/p95/p99/max of a submission (PUT + POST, as the phone waits for both) and of each request
   alone, and the CPU used meanwhile by the server, PostgreSQL, Redis, the clients (which share the
   same two cores) and everything else;
5. checks the database against what the clients were told: one submission row per accepted id and
   nothing else, a photo link for each, a photo row for every upload and its file, of the right
   size, under the storage root;
6. drains the re-encode backlog with `flask jobs worker` (--drain-workers threads) and reports the
   photos re-encoded per second and how long the backlog took, then checks every photo has its
   display copy.

The machine's other work is measured too (all processes share the cores): before each run the
script waits (--quiet-wait) for other processes to use under 10 % of the CPU. The servers and the
job worker are stopped, the database dropped and the temporary files removed at the end, also on
Ctrl-C. Targets of the issue, on 2 cores: ≥ 200 submissions/s with p95 < 150 ms.
"""
from __future__ import annotations

import argparse
import collections
import datetime
import http.client
import io
import json
import math
import multiprocessing
import os
import platform
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent

import benchutil  # noqa: E402
from benchutil import (cpu_seconds, free_port, git_state, machine_busy, machine_stolen, scan_log, start_profilers,  # noqa: E402
                       summarise_profile, wait_quiet)

TARGET_RATE, TARGET_P95 = 200.0, 0.150  # the issue's: submissions/s, and p95 of a submission in seconds
DISTURBED = 0.10
PG_BASE = "postgresql://postgres@127.0.0.1:5432"
CAPTURED_AT = "2026-11-26T10:00:00+08:00"


# --- photos ----------------------------------------------------------------------------------

def noise_jpeg(width: int, height: int, quality: int, seed: int, noise: float = 6.0) -> bytes:
    """A photo-like JPEG: smooth colour waves under Gaussian noise, which JPEG cannot squeeze much
    (a flat test image would be a few KB)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    waves = [128 + 90 * np.sin(x / (120 + rng.integers(0, 80)) + c) * np.cos(y / (100 + rng.integers(0, 60) + 20 * c))
             for c in range(3)]
    pixels = np.stack(waves, -1) + rng.normal(0, noise, (height, width, 3)).astype(np.float32)
    out = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=quality)
    return out.getvalue()


def choose_quality(width: int, height: int, target_bytes: int) -> tuple[int, int]:
    """The JPEG quality whose noise image comes closest to target_bytes (bisection), and its size."""
    lo, hi, best = 30, 95, None
    while lo <= hi:
        q = (lo + hi) // 2
        size = len(noise_jpeg(width, height, q, seed=1))
        if best is None or abs(size - target_bytes) < abs(best[1] - target_bytes):
            best = (q, size)
        if size < target_bytes:
            lo = q + 1
        else:
            hi = q - 1
    return best


def with_comment(jpeg: bytes, text: str) -> bytes:
    """The same picture with a COM segment after SOI: other bytes, so another SHA-256."""
    payload = text.encode()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


class Photos:
    """A client's unique uploads: a few base pictures, each upload tagged with its own comment. The
    hashes are computed before the clock starts (--photos-ahead per client); past that, on the fly."""

    def __init__(self, bases: list[bytes], run_id: str, client: int):
        self.bases, self.run_id, self.client = bases, run_id, client
        self.ahead: collections.deque = collections.deque()
        self.made = 0
        self.hashed_in_run = 0

    def _tag(self, i: int) -> str:
        return f"yibiao bench/ingest.py run {self.run_id} client {self.client} photo {i}"

    def _data(self, i: int) -> bytes:
        return with_comment(self.bases[i % len(self.bases)], self._tag(i))

    def prepare(self, n: int) -> None:
        for _ in range(n):
            self.ahead.append((self.made, sha256(self._data(self.made)).hexdigest()))
            self.made += 1

    def next(self) -> tuple[str, bytes]:
        if self.ahead:
            i, digest = self.ahead.popleft()
            return digest, self._data(i)
        data = self._data(self.made)
        self.made += 1
        self.hashed_in_run += 1
        return sha256(data).hexdigest(), data


# --- HTTP ------------------------------------------------------------------------------------

class Session:
    """One keep-alive connection with a cookie jar and the CSRF token, as the field app has."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None
        self.connects = self.retries = 0

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str | None = None) -> tuple[int, bytes]:
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.csrf and method != "GET":
            headers["X-CSRFToken"] = self.csrf
        if content_type:
            headers["Content-Type"] = content_type
        for attempt in (0, 1):
            fresh = self.conn.sock is None  # http.client reconnects by itself after Connection: close
            self.connects += fresh
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as e:
                self.conn.close()
                if attempt == 0 and not fresh:
                    # The server closed an idle kept-alive connection (gthread's keepalive) as the
                    # request went out: it was not read, so sending it again is safe. Counted.
                    self.retries += 1
                    continue
                return 0, f"{type(e).__name__}: {e}".encode()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _, value = cookie.split(";", 1)[0].partition("=")
                if "max-age=0" in cookie.lower() or "expires=thu, 01 jan 1970" in cookie.lower():
                    self.cookies.pop(name.strip(), None)
                else:
                    self.cookies[name.strip()] = value.strip()
            return response.status, data
        raise AssertionError("unreachable")

    def sign_in(self, username: str, password: str) -> None:
        status, body = self.request("GET", "/api/v1/session")
        if status != 200:
            raise RuntimeError(f"GET /api/v1/session answered {status}: {body[:200]!r}")
        self.csrf = json.loads(body)["csrf_token"]
        status, body = self.request("POST", "/api/v1/session",
                                    json.dumps({"username": username, "password": password}).encode(),
                                    "application/json")
        if status != 200:
            raise RuntimeError(f"sign-in as {username} answered {status}: {body[:300]!r}")
        self.csrf = json.loads(body)["csrf_token"]

    def close(self) -> None:
        self.conn.close()


def problem_code(status: int, body: bytes) -> str:
    """The problem's `code` of a non-2xx answer (or what came back instead)."""
    if status == 0:
        return body.decode(errors="replace")[:80]
    try:
        doc = json.loads(body)
        return str(doc.get("code")) + (f" ({doc['errors'][0]['field']}: {doc['errors'][0]['message']})"
                                       if doc.get("errors") else "")
    except (ValueError, AttributeError, KeyError, IndexError, TypeError):
        return body.decode(errors="replace")[:80].replace("\n", " ")


# --- the client processes --------------------------------------------------------------------

@dataclass
class ClientPlan:
    port: int
    username: str
    password: str
    buildings: list  # (code, lon, lat)
    width: int
    height: int
    quality: int
    bases: int
    ahead: int
    run_id: str
    seed: int
    warmup: float
    duration: float


def client_main(n: int, plan: ClientPlan, start_at, go, out) -> None:
    """One phone after another: prepare (photos, hashes, sign-in), say ready, wait for the start,
    then PUT + POST until the time is up. Sends back its records."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent stops us so, without any cleaning up here
    try:
        bases = [noise_jpeg(plan.width, plan.height, plan.quality, seed=plan.seed * 1000 + n * 10 + k)
                 for k in range(plan.bases)]
        photos = Photos(bases, plan.run_id, n)
        photos.prepare(plan.ahead)
        session = Session(plan.port)
        session.sign_in(plan.username, plan.password)
        rng = random.Random(plan.seed * 7919 + n)
        out.put(("ready", n, [len(b) for b in bases]))
        go.wait()
        t_begin = start_at.value + plan.warmup  # wall clock: the same for every process
        time.sleep(max(0.0, start_at.value - time.time()))
        # From here on, perf_counter: t_record and t_end on this process's clock.
        now_wall, now_perf = time.time(), time.perf_counter()
        t_record = now_perf + (t_begin - now_wall)
        t_end = t_record + plan.duration
        records = []  # (put s, post s, put status, post status, code)
        accepted_ids, uploaded = [], []
        warm = {"accepted_ids": [], "uploaded": [], "submissions": 0}
        cpu_at_record = None
        i = 0
        connects_at_record = retries_at_record = 0
        while True:
            t0 = time.perf_counter()
            if t0 >= t_end:
                break
            recording = t0 >= t_record
            if recording and cpu_at_record is None:
                cpu_at_record = time.process_time()
                connects_at_record, retries_at_record = session.connects, session.retries
            digest, data = photos.next()
            put_status, put_body = session.request("PUT", f"/api/v1/photos/{digest}", data, "image/jpeg")
            t1 = time.perf_counter()
            post_status, post_body, client_id = None, b"", None
            if put_status in (200, 201):
                code, lon, lat = plan.buildings[rng.randrange(len(plan.buildings))]
                client_id = str(uuid.uuid4())
                body = {"id": client_id, "kind": "shop", "building_code": code, "floor": 1, "room": "101",
                        "shop_name": f"店铺{n}-{i}", "business_kind": "retail", "photos": [digest],
                        "captured_at": CAPTURED_AT,
                        "position": {"lon": round(lon + rng.uniform(-2e-4, 2e-4), 7),
                                     "lat": round(lat + rng.uniform(-2e-4, 2e-4), 7), "accuracy_m": 10}}
                post_status, post_body = session.request("POST", "/api/v1/submissions",
                                                         json.dumps(body, ensure_ascii=False).encode(),
                                                         "application/json")
            t2 = time.perf_counter()
            code = ""
            if put_status not in (200, 201):
                code = f"PUT {put_status} {problem_code(put_status, put_body)}"
            elif post_status not in (200, 201):
                code = f"POST {post_status} {problem_code(post_status, post_body)}"
            bucket = {"accepted_ids": accepted_ids, "uploaded": uploaded} if recording else warm
            if put_status == 201:
                bucket["uploaded"].append(digest)
            if post_status in (200, 201):  # a 200 is a replay: the row exists once all the same
                bucket["accepted_ids"].append((client_id, post_status))
            if recording:
                records.append((t1 - t0, t2 - t1 if post_status is not None else None, put_status, post_status,
                                code))
            else:
                warm["submissions"] += 1
            i += 1
        elapsed = time.perf_counter() - t_record
        cpu = time.process_time() - cpu_at_record if cpu_at_record is not None else 0.0
        session.close()
        out.put(("done", n, {"records": records, "elapsed": elapsed, "cpu": cpu, "accepted_ids": accepted_ids,
                             "uploaded": uploaded, "warm": warm, "hashed_in_run": photos.hashed_in_run,
                             "connects": session.connects - connects_at_record,
                             "retries": session.retries - retries_at_record}))
    except BaseException:  # noqa: BLE001  (reported by the parent, which stops the run)
        out.put(("error", n, traceback.format_exc()))


# --- processes around the run ----------------------------------------------------------------

def processes_named(names: tuple[str, ...]) -> dict[int, float]:
    """CPU seconds so far of every process whose command name is one of `names` (PostgreSQL's
    backends and helpers, redis-server)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() in names:
                found[int(entry.name)] = cpu_seconds(int(entry.name))
        except OSError:
            pass
    return found


def cpu_since(names: tuple[str, ...], before: dict[int, float]) -> float:
    """CPU of those processes since `before` (processes started meanwhile count whole)."""
    now = processes_named(names)
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in now.items())


def psql(sql: str, database: str = "postgres") -> str:
    done = subprocess.run(["psql", f"{PG_BASE}/{database}", "-v", "ON_ERROR_STOP=1", "-AtXqc", sql],
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"psql: {done.stderr.strip()}")
    return done.stdout.strip()


class Server(benchutil.Server):
    """gunicorn wsgi:app on a free port of 127.0.0.1 (address_api's, with this bench's environment
    and readiness check; its worker_pids, cpu and stop as they are)."""

    def __init__(self, spec: str, env: dict, log_dir: Path, wsgi: str, tree: Path = ROOT, code: str = ""):
        self.tree, self.code = tree, code  # the checkout whose code it serves, and its name in the report
        parts = spec.split(":")
        self.kind, self.workers = parts[0], int(parts[1]) if len(parts) > 1 else os.cpu_count()
        self.threads = int(parts[2]) if len(parts) > 2 else (4 if self.kind == "gthread" else 1)
        self.spec, self.wsgi = spec, wsgi
        self.env = {**env, "PYTHONPATH": str(tree)} if tree != ROOT else env
        self.port = free_port()
        self.log = log_dir / f"ingest-gunicorn-{spec.replace(':', '-')}{'-baseline' if tree != ROOT else ''}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def label(self) -> str:
        return (f"{self.kind}, {self.workers} workers" + (f" × {self.threads} threads" if self.kind == "gthread" else "")
                + (f", app {self.wsgi}" if self.wsgi != "wsgi:app" else "") + (f", {self.code}" if self.code else ""))

    def start(self) -> None:
        own = self.tree / ".venv/bin/gunicorn"  # a checkout with its own venv runs on its own Python
        gunicorn = own if own.exists() else VENV_BIN / "gunicorn"
        argv = [str(gunicorn), self.wsgi, "--chdir", str(self.tree), "--bind", f"127.0.0.1:{self.port}", "--workers",
                str(self.workers), "--worker-class", self.kind, "--error-logfile", str(self.log), "--log-level", "info"]
        if self.kind == "gthread":
            argv += ["--threads", str(self.threads)]
        self.log.write_text("")
        self.proc = subprocess.Popen(argv, env=self.env, cwd=self.tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)  # Ctrl-C reaches us; we stop it
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/v1/session")
                status = conn.getresponse().status
                conn.close()
                if status == 200 and len(self.worker_pids()) == self.workers:
                    return
                if status != 200:
                    raise RuntimeError(f"GET /api/v1/session answered {status}; see {self.log}")
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"gunicorn did not answer within 90 s; see {self.log}")


# --- one load test ---------------------------------------------------------------------------

@dataclass
class Run:
    server: Server
    clients: int
    duration: float  # measured: the clients' recorded window (start to last answer)
    submissions: list  # (total s, put s, post s | None, put status, post status, code)
    accepted_ids: list
    uploaded: list
    warm: dict
    server_cpu: float
    server_kernel: float  # the part of server_cpu spent in the kernel (system calls, page faults)
    pg_cpu: float
    redis_cpu: float
    client_cpu: float
    other_cpu: float
    stolen: float  # CPU seconds the host took from this machine during the window
    connects: int
    retries: int
    hashed_in_run: int
    photo_sizes: list
    checks: list = field(default_factory=list)
    drain: dict = field(default_factory=dict)
    profile: list = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(1 for s in self.submissions if s[4] == 201)

    @property
    def rate(self) -> float:
        return self.accepted / self.duration

    def pct(self, p: float, which: int = 0) -> float:
        values = sorted(s[which] for s in self.submissions if s[which] is not None and s[4] == 201)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, max(0, round(p / 100 * len(values)) - 1))]


def run_load(server: Server, args, buildings: list, username: str, password: str, quality: int, run_id: str) -> Run:
    ctx = multiprocessing.get_context("fork")
    start_at, go, out = ctx.Value("d", 0.0), ctx.Event(), ctx.Queue()
    per_client_rate = max(25.0, 4 * TARGET_RATE / args.clients)  # photos hashed ahead: generous (gthread is unfair)
    ahead = args.photos_ahead if args.photos_ahead is not None else \
        math.ceil(per_client_rate * (args.warmup + args.duration))
    plan = ClientPlan(server.port, username, password, buildings, args.photo_width, args.photo_height, quality,
                      args.photo_bases, ahead, run_id, args.seed, args.warmup, args.duration)
    procs = [ctx.Process(target=client_main, args=(n, plan, start_at, go, out), daemon=True)
             for n in range(args.clients)]
    t_prep = time.perf_counter()
    for p in procs:
        p.start()
    sizes = []
    try:
        ready = 0
        while ready < args.clients:
            kind, n, payload = out.get(timeout=600)
            if kind == "error":
                raise RuntimeError(f"client {n} failed while preparing:\n{payload}")
            ready += 1
            sizes += payload
        print(f"  clients ready after {time.perf_counter() - t_prep:.1f} s ({args.photo_bases} base pictures and "
              f"{ahead} photo hashes each, signed in)", flush=True)
        if args.quiet_wait:
            wait_quiet(args.quiet_wait)
        start_at.value = time.time() + 0.3
        go.set()
        t_record = start_at.value + args.warmup
        time.sleep(max(0.0, t_record - time.time()))
        server_before, busy_before, stolen_before = server.cpu_times(), machine_busy(), machine_stolen()
        pg_before, redis_before = processes_named(("postgres",)), processes_named(("redis-server",))
        own_before = time.process_time()
        spies = []
        if args.profile:  # py-spy's own CPU counts as "other"
            spies = start_profilers(args.profile, f"ingest-{server.spec}", server.worker_pids(), args.duration,
                                    args.profile_idle)
        results = {}
        while len(results) < args.clients:
            kind, n, payload = out.get(timeout=args.warmup + args.duration + 180)
            if kind == "error":
                raise RuntimeError(f"client {n} failed:\n{payload}")
            results[n] = payload
        server_user, server_kernel = (now - before for now, before in zip(server.cpu_times(), server_before))
        server_cpu = server_user + server_kernel
        busy, stolen = machine_busy() - busy_before, machine_stolen() - stolen_before
        pg_cpu, redis_cpu = cpu_since(("postgres",), pg_before), cpu_since(("redis-server",), redis_before)
        own = time.process_time() - own_before
        for spy in spies:
            spy.wait()
    finally:
        for p in procs:
            if p.is_alive():
                p.join(5)
            if p.is_alive():
                p.terminate()
                p.join()
    outputs = list(results.values())
    client_cpu = sum(o["cpu"] for o in outputs)
    submissions = [((put or 0) + (post or 0), put, post, ps, qs, code)
                   for o in outputs for put, post, ps, qs, code in o["records"]]
    warm = {"accepted_ids": [x for o in outputs for x in o["warm"]["accepted_ids"]],
            "uploaded": [x for o in outputs for x in o["warm"]["uploaded"]],
            "submissions": sum(o["warm"]["submissions"] for o in outputs)}
    run = Run(server, args.clients, max(o["elapsed"] for o in outputs), submissions,
              [x for o in outputs for x in o["accepted_ids"]], [x for o in outputs for x in o["uploaded"]], warm,
              server_cpu, server_kernel, pg_cpu, redis_cpu, client_cpu,
              max(0.0, busy - server_cpu - pg_cpu - redis_cpu - client_cpu - own), stolen,
              sum(o["connects"] for o in outputs), sum(o["retries"] for o in outputs),
              sum(o["hashed_in_run"] for o in outputs), sizes)
    if args.profile:
        files = sorted(args.profile.glob(f"ingest-{server.spec.replace(':', '-')}-*.txt"))
        run.profile = [f"profile ({', '.join(str(f) for f in files)}):"] + summarise_profile(files, top=24)
    return run


# --- checks ----------------------------------------------------------------------------------

def check_database(run: Run, database: str, storage: Path, submissions_before: int, photos_before: int) -> list[str]:
    """The database against what the clients were told; the photo files under the storage root."""
    import psycopg

    notes, ok = [], True
    expected = {cid for cid, _ in run.accepted_ids + run.warm["accepted_ids"]}
    uploaded = set(run.uploaded + run.warm["uploaded"])
    with psycopg.connect(f"{PG_BASE}/{database}") as conn:
        ids = {row[0] for row in conn.execute("SELECT client_id FROM submission WHERE id > %s", (submissions_before,))}
        links = conn.execute("SELECT count(*) FROM submission_photo sp JOIN submission s ON s.id = sp.submission_id "
                             "WHERE s.id > %s", (submissions_before,)).fetchone()[0]
        photos = conn.execute("SELECT sha256, size FROM photo").fetchall()
    new_rows = len(ids)
    missing, extra = expected - ids, ids - expected
    good = not missing and not extra
    ok &= good
    notes.append(f"submission rows added: {new_rows:,} (the clients were answered 201/200 for {len(expected):,}, "
                 f"{len(run.warm['accepted_ids']):,} of them in the warm-up): "
                 + ("every accepted id once, nothing else" if good else
                    f"MISMATCH: {len(missing)} accepted but absent, {len(extra)} present but not accepted"))
    ok &= links == new_rows
    notes.append(f"photo links of those rows: {links:,}"
                 + ("" if links == new_rows else " — MISMATCH (one per row expected)"))
    in_db = {sha for sha, _ in photos}
    absent_rows = uploaded - in_db
    ok &= not absent_rows
    bad_files = []
    for sha, size in photos:
        path = storage / sha[:2] / sha[2:4] / sha
        try:
            if path.stat().st_size != size:
                bad_files.append(f"{sha[:12]}… size {path.stat().st_size} ≠ {size}")
        except OSError:
            bad_files.append(f"{sha[:12]}… no file")
    ok &= not bad_files
    strays = sum(1 for _ in storage.rglob(".incoming-*")) if storage.exists() else 0
    notes.append(f"photo rows: {len(photos):,} ({len(photos) - photos_before:,} new; {len(uploaded):,} uploads answered "
                 f"201{'' if not absent_rows else f', {len(absent_rows)} of them WITHOUT a row'}); files under "
                 f"{storage}: " + ("every one present with its size" if not bad_files else
                                   f"{len(bad_files)} BAD: {', '.join(bad_files[:5])}")
                 + (f"; {strays} stray temporary files" if strays else ""))
    notes.append(f"database check: {'passed' if ok else 'FAILED'}")
    run.checks = notes
    return notes


def drain(env: dict, database: str, storage: Path, redis_url: str, queue_name: str, workers: int, processes: int,
          timeout: float, log: Path, seeded: list[str]) -> dict:
    """Run `flask jobs worker` (`processes` of them) on the re-encode backlog until every photo has
    its display copy. `seeded`: the demo city's photos, which are re-encoded when first shown and
    never queued, so they are left out of the counts."""
    import psycopg
    import redis

    r = redis.Redis.from_url(redis_url)
    key = "huey.redis." + re.sub("[^A-Za-z0-9_]", "", queue_name)

    def reencoded(conn) -> tuple[int, int]:
        return conn.execute("SELECT count(*) FILTER (WHERE reencoded_at IS NOT NULL), count(*) FROM photo "
                            "WHERE sha256 <> ALL(%s)", (seeded,)).fetchone()

    with psycopg.connect(f"{PG_BASE}/{database}", autocommit=True) as conn:
        done0, total = reencoded(conn)
        backlog = r.llen(key)
        result = {"backlog": backlog, "photos": total, "already": done0, "workers": workers, "processes": processes}
        if backlog == 0:
            result["note"] = "nothing queued"
            return result
        log.write_text("")
        busy_before = machine_busy()
        pg_before = processes_named(("postgres",))
        t0 = time.perf_counter()
        procs = []
        with open(log, "ab") as log_file:
            for _ in range(processes):
                procs.append(subprocess.Popen([str(VENV_BIN / "flask"), "jobs", "worker", "--workers", str(workers)],
                                              env=env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT,
                                              start_new_session=True))
        t_first = first_count = None
        done, cpu = done0, {p.pid: 0.0 for p in procs}
        last_done, t_last, lost = done0, t0, False
        try:
            while True:
                time.sleep(0.25)
                for p in procs:  # a process's CPU is gone with it: keep the last reading
                    cpu[p.pid] = max(cpu[p.pid], cpu_seconds(p.pid))
                done, total = reencoded(conn)
                now = time.perf_counter()
                if t_first is None and done > done0:
                    t_first, first_count = now, done
                if done > last_done:
                    last_done, t_last = done, now
                if done >= total and r.llen(key) == 0:
                    break
                if r.llen(key) == 0 and now - t_last > 10:
                    # Nothing queued, nothing done for 10 s: the jobs of the photos left were lost
                    # (e.g. taken by a web worker's in-process consumer that was stopped).
                    result["note"] = f"the queue is empty, yet {total - done} photos have no display copy: " \
                                     "their jobs were lost"
                    lost = True
                    break
                if any(p.poll() is not None for p in procs):
                    result["note"] = f"a worker exited with {[p.returncode for p in procs]}; see {log}"
                    break
                if now - t0 > timeout:
                    result["note"] = f"stopped after {timeout:.0f} s with {total - done} photos left"
                    break
            t_end = t_last if lost else time.perf_counter()  # not counting the 10 s of waiting
            for p in procs:
                cpu[p.pid] = max(cpu[p.pid], cpu_seconds(p.pid))
            worker_cpu = sum(cpu.values())
            busy = machine_busy() - busy_before
            pg_cpu = cpu_since(("postgres",), pg_before)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for p in procs:
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        displays = sum(1 for path in storage.rglob("*.display.jpg")
                       if path.name.removesuffix(".display.jpg") not in seeded)
    n = done - done0
    result.update(done=n, wall=t_end - t0, startup=(t_first - t0) if t_first else None,
                  steady_rate=(done - first_count) / (t_end - t_first) if t_first and t_end > t_first else None,
                  rate=n / (t_end - t0), worker_cpu=worker_cpu, pg_cpu=pg_cpu,
                  other_cpu=max(0.0, busy - worker_cpu - pg_cpu), displays=displays, left=total - done,
                  log_notes=scan_log(log))
    return result


# --- report ----------------------------------------------------------------------------------

def ms(seconds: float | None) -> str:
    return "–" if seconds is None or seconds != seconds else f"{seconds * 1000:.1f}"


def print_run(run: Run, args) -> None:
    cores = os.cpu_count()
    d = run.duration
    ok = [s for s in run.submissions if s[4] == 201]
    print(f"\n### {run.server.label} ({run.clients} client processes, {args.duration:.0f} s recorded after "
          f"{args.warmup:.0f} s of warm-up)\n")
    print(f"accepted submissions: {run.accepted:,} in {d:.1f} s = **{run.rate:,.1f}/s** "
          f"({run.accepted * sum(run.photo_sizes) / len(run.photo_sizes) / d / 2**20:.1f} MiB/s of photos); "
          f"submissions tried {len(run.submissions):,}\n")
    print("| what (accepted submissions only) | p50 ms | p95 ms | p99 ms | max ms | mean ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, which in (("submission (PUT + POST)", 0), ("PUT /api/v1/photos/<sha256>", 1),
                         ("POST /api/v1/submissions", 2)):
        values = [s[which] for s in ok if s[which] is not None]
        mean = sum(values) / len(values) if values else None
        print(f"| {label} | {ms(run.pct(50, which))} | {ms(run.pct(95, which))} | {ms(run.pct(99, which))} | "
              f"{ms(max(values) if values else None)} | {ms(mean)} |")
    statuses = collections.Counter((s[3], s[4]) for s in run.submissions)
    print("\nanswers (PUT, POST): " + ", ".join(f"{p}/{q if q is not None else '–'} ×{n:,}"
                                                 for (p, q), n in statuses.most_common()))
    errors = collections.Counter(s[5] for s in run.submissions if s[5])
    print("errors: " + ("none" if not errors else "; ".join(f"{code} ×{n:,}" for code, n in errors.most_common())))
    share = lambda cpu: f"{cpu / d / cores:.0%}"  # noqa: E731
    print(f"\nCPU, share of all {cores} cores over the recorded window: server (gunicorn) {share(run.server_cpu)}, "
          f"PostgreSQL {share(run.pg_cpu)}, Redis {share(run.redis_cpu)}, clients {share(run.client_cpu)}, "
          f"other {share(run.other_cpu)}")
    if run.accepted:
        per = lambda cpu: f"{cpu / run.accepted * 1000:.2f}"  # noqa: E731
        print(f"CPU per accepted submission (ms): server {per(run.server_cpu)} (in the kernel {per(run.server_kernel)}), PostgreSQL {per(run.pg_cpu)}, "
              f"Redis {per(run.redis_cpu)}, clients {per(run.client_cpu)}, other {per(run.other_cpu)}")
    print(f"taken by the virtual machine's host (steal): {share(run.stolen)} of the {cores} cores")
    if run.other_cpu / d / cores > DISTURBED or run.stolen / d / cores > DISTURBED:
        print(f"  (other processes or the host took more than {DISTURBED:.0%} of the CPU: the figures are disturbed)")
    print(f"connections opened by the clients: {run.connects:,}; requests sent again on a connection the server "
          f"had closed: {run.retries}; photo hashes computed during the run: {run.hashed_in_run}")
    log_notes = scan_log(run.server.log)
    print(f"server log {run.server.log}: " + (", ".join(log_notes) if log_notes else "no errors"))
    if run.profile:
        print("\n" + "\n".join(run.profile))
    print()
    for line in run.checks:
        print(line)
    dr = run.drain
    if dr:
        print()
        if dr.get("note") == "nothing queued":
            print("re-encode drain: nothing queued")
        else:
            print(f"re-encode drain ({dr['processes']} × `flask jobs worker --workers {dr['workers']}`"
                  + (f", {args.drain_env}" if args.drain_env else "") + f"): backlog {dr['backlog']:,} jobs; "
                  f"{dr['done']:,} photos re-encoded in {dr['wall']:.1f} s from the worker's start = "
                  f"**{dr['rate']:.1f} photos/s** (start-up {dr['startup'] or float('nan'):.1f} s, then "
                  f"{dr['steady_rate'] or float('nan'):.1f}/s); worker CPU {dr['worker_cpu'] / dr['wall'] / cores:.0%}, "
                  f"PostgreSQL {dr['pg_cpu'] / dr['wall'] / cores:.0%}, other {dr['other_cpu'] / dr['wall'] / cores:.0%} "
                  f"of {cores} cores; {dr['worker_cpu'] / max(dr['done'], 1) * 1000:.0f} ms of CPU per photo")
            left = dr["left"]
            print(f"  display copies on disk: {dr['displays']:,} of {dr['photos']:,} photos; "
                  + ("every photo re-encoded" if not left else f"{left} NOT re-encoded")
                  + (f"; {dr['note']}" if dr.get("note") else "")
                  + (f"; worker log: {', '.join(dr['log_notes'])}" if dr["log_notes"] else ""))


def print_side_by_side(runs: list[Run]) -> None:
    """Each configuration's runs (of each tree, with --baseline) in the order they ran, and their mean."""
    print("\n### Side by side (runs alternated, in the order they ran)\n")
    print("| configuration | submissions/s, each run | mean | p95 ms, each run | server CPU ms per submission, each run "
          "| of it in the kernel | steal, each run |")
    print("|---|---|---:|---|---|---|---|")
    groups = collections.defaultdict(list)
    for run in runs:
        groups[run.server.label].append(run)
    for label, group in groups.items():
        rates = [r.rate for r in group]
        print(f"| {label} | {', '.join(f'{x:.1f}' for x in rates)} | {sum(rates) / len(rates):.1f} | "
              f"{', '.join(ms(r.pct(95)) for r in group)} | "
              f"{', '.join(f'{r.server_cpu / r.accepted * 1000:.2f}' if r.accepted else '–' for r in group)} | "
              f"{', '.join(f'{r.server_kernel / r.accepted * 1000:.2f}' if r.accepted else '–' for r in group)} | "
              f"{', '.join(f'{r.stolen / r.duration / os.cpu_count():.0%}' for r in group)} |")


# --- main ------------------------------------------------------------------------------------

def _interrupted(signum, frame):
    raise KeyboardInterrupt



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="gthread:2:4",
                        help="gunicorn configurations, comma-separated kind:workers[:threads] (default %(default)s)")
    parser.add_argument("--clients", type=int, default=16, help="client processes (default %(default)s)")
    parser.add_argument("--duration", type=float, default=20, help="seconds recorded (default %(default)s)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load before that, not recorded "
                                                                 "(default %(default)s)")
    parser.add_argument("--photo-kb", type=int, default=300, help="photo size to aim at, KB (default %(default)s)")
    parser.add_argument("--photo-width", type=int, default=2048)
    parser.add_argument("--photo-height", type=int, default=1536)
    parser.add_argument("--photo-bases", type=int, default=2, help="different pictures per client (default %(default)s)")
    parser.add_argument("--photos-ahead", type=int, help="photo hashes each client computes before the start "
                                                         "(default: enough for 4 × the target rate)")
    parser.add_argument("--drain-workers", type=int, default=2,
                        help="`flask jobs worker --workers` for the re-encode drain; 0: no drain (default %(default)s)")
    parser.add_argument("--drain-processes", type=int, default=1,
                        help="how many `flask jobs worker` processes share the backlog (default %(default)s)")
    parser.add_argument("--drain-env", default="", metavar="K=V[,K=V]",
                        help="extra environment for the job workers only, e.g. PILLOW_BLOCKS_MAX=4")
    parser.add_argument("--drain-timeout", type=float, default=900)
    parser.add_argument("--jobs-in-process", action="store_true",
                        help="JOBS_IN_PROCESS=1: the web workers re-encode photos themselves during the run (the "
                             "embedded default), instead of leaving them queued for the drain")
    parser.add_argument("--scale", default="small", help="flask demo-city --scale (default %(default)s)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14", help="REDIS_URL of the job queue")
    parser.add_argument("--wsgi", default="wsgi:app", help="the application for gunicorn (default %(default)s)")
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="also serve the code of DIR (another checkout, e.g. `git worktree add /tmp/base HEAD~1`; "
                             "it must share this tree's database schema), alternating with this tree's; a checkout "
                             "with a .venv of its own is served by that venv's gunicorn (to compare Pythons)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every configuration (and tree) this many times, alternating (default %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the database and the temporary directory")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--quiet-wait", type=float, default=300,
                        help="before the clock starts, wait up to this many seconds for other processes to use "
                             "under 10%% of the CPU (0: do not wait; default %(default)s)")
    parser.add_argument("--profile", metavar="DIR", type=Path, help="py-spy every worker during the recorded window")
    parser.add_argument("--profile-idle", action="store_true", help="with --profile: waiting threads too")
    parser.add_argument("--log-dir", type=Path, default=ROOT / "bench" / "out", help="logs (default bench/out)")
    args = parser.parse_args()
    args.log_dir.mkdir(parents=True, exist_ok=True)

    # SIGTERM ends the run like Ctrl-C: through the finally blocks that stop and drop everything.
    signal.signal(signal.SIGTERM, _interrupted)
    stamp = f"{os.getpid()}_{int(time.time())}"
    database, queue_name = f"yb_ingest_{stamp}", f"ybingest{stamp.replace('_', '')}"
    tmp = Path(tempfile.mkdtemp(prefix="yb-ingest-"))
    instance, storage = tmp / "instance", tmp / "photos"
    env = {**os.environ, "DATABASE_URL": f"{PG_BASE}/{database}", "YIBIAO_INSTANCE": str(instance),
           "FLASK_APP": "wsgi.py", "PHOTO_STORAGE_ROOT": str(storage), "REDIS_URL": args.redis,
           "JOBS_QUEUE": queue_name, "JOBS_IN_PROCESS": "1" if args.jobs_in_process else "0", "JOBS_IMMEDIATE": "0",
           "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_LOGIN": "100000 per minute", "PYTHONUNBUFFERED": "1"}

    pg_version = psql("SHOW server_version")
    print(f"Yibiao field-collection ingest — {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"PostgreSQL {pg_version} (synchronous_commit {psql('SHOW synchronous_commit')}); {git_state()}")
    servers, created = [], False
    try:
        psql(f'CREATE DATABASE "{database}"')
        created = True
        for step in (["db", "upgrade"], ["demo-city", "--scale", args.scale]):
            t0 = time.perf_counter()
            done = subprocess.run([str(VENV_BIN / "flask"), *step], env=env, cwd=ROOT, capture_output=True, text=True)
            if done.returncode:
                raise RuntimeError(f"flask {' '.join(step)} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
            print(f"flask {' '.join(step)}: {time.perf_counter() - t0:.1f} s", flush=True)
        seeded = psql("SELECT sha256 FROM photo", database).split()
        logins = (instance / "demo-logins.txt").read_text(encoding="utf-8")
        found = re.search(r"^\s*police\s+(\S+)\s+police\s+(\S+)", logins, re.M)
        if not found:
            raise RuntimeError(f"no police user in {instance / 'demo-logins.txt'}")
        password, scope = found.group(1), found.group(2)
        print(f"database {database} (fresh), photos under {storage}, re-encode jobs to {args.redis} queue "
              f"{queue_name}" + (" (run by the web workers: JOBS_IN_PROCESS=1)" if args.jobs_in_process else
                                 " (left for the drain: JOBS_IN_PROCESS=0)") + f"; user police (jurisdiction {scope})")

        t0 = time.perf_counter()
        quality, size = choose_quality(args.photo_width, args.photo_height, args.photo_kb * 1000)
        print(f"photos: {args.photo_width}×{args.photo_height} JPEG at quality {quality} ≈ {size / 1000:.0f} KB "
              f"(chosen in {time.perf_counter() - t0:.1f} s); {args.photo_bases} pictures per client, every upload "
              "made unique by a JPEG comment", flush=True)

        summary = []
        trees = [(f"baseline: {git_state(args.baseline)}", args.baseline), (f"this tree: {git_state()}", ROOT)] if args.baseline \
            else [("", ROOT)]
        plan = [(spec, code, tree) for _ in range(args.rounds) for spec in args.configs.split(",")
                for code, tree in trees]
        for number, (spec, code, tree) in enumerate(plan, 1):
            server = Server(spec, env, args.log_dir, args.wsgi, tree, code)
            servers.append(server)
            print(f"\nstarting gunicorn ({server.label}) on 127.0.0.1:{server.port} …", flush=True)
            t0 = time.perf_counter()
            server.start()
            print(f"  answering after {time.perf_counter() - t0:.1f} s; workers {server.worker_pids()}", flush=True)
            pack_session = Session(server.port)
            pack_session.sign_in("police", password)
            status, body = pack_session.request("GET", "/api/v1/collect/pack")
            pack_session.close()
            if status != 200:
                raise RuntimeError(f"GET /api/v1/collect/pack answered {status}: {body[:300]!r}")
            buildings = [(row[0], row[4] or 112.14, row[5] or 32.04) for row in json.loads(body)["buildings"]]
            print(f"  address pack: {len(buildings):,} buildings in the jurisdiction ({len(body) / 1024:.0f} KiB)",
                  flush=True)
            before = psql("SELECT (SELECT coalesce(max(id), 0) FROM submission) || ' ' || "
                          "(SELECT count(*) FROM photo)", database).split()
            run = run_load(server, args, buildings, "police", password, quality, f"{stamp}-{number}-{spec}")
            server.stop()
            t0 = time.perf_counter()
            check_database(run, database, storage, int(before[0]), int(before[1]))
            run.checks.append(f"(checked in {time.perf_counter() - t0:.1f} s)")
            if args.drain_workers:
                drain_env = {**env, **dict(kv.split("=", 1) for kv in args.drain_env.split(",") if kv)}
                run.drain = drain(drain_env, database, storage, args.redis, queue_name, args.drain_workers,
                                  args.drain_processes, args.drain_timeout, args.log_dir / "ingest-jobs-worker.log",
                                  seeded)
            print_run(run, args)
            summary.append(run)

        if args.rounds > 1 or args.baseline:
            print_side_by_side(summary)
        print("\n### Targets (issue: on 2 cores, ≥ 200 submissions/s with p95 < 150 ms)\n")
        for run in summary:
            rate_ok, p95_ok = run.rate >= TARGET_RATE, run.pct(95) < TARGET_P95
            print(f"- {run.server.label}, {run.clients} clients: {run.rate:,.1f} submissions/s — "
                  f"≥ {TARGET_RATE:.0f}/s: {'met' if rate_ok else 'MISSED'}; p95 {ms(run.pct(95))} ms — "
                  f"< {TARGET_P95 * 1000:.0f} ms: {'met' if p95_ok else 'MISSED'}; "
                  f"{run.checks[-2] if len(run.checks) > 1 else ''}")
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
    finally:
        for server in servers:
            server.stop()
        try:
            import redis

            r = redis.Redis.from_url(args.redis)
            for key in r.scan_iter(match=f"huey.*.{queue_name}"):
                r.delete(key)
        except Exception as e:  # noqa: BLE001
            print(f"(could not remove the Redis keys of queue {queue_name}: {e})", file=sys.stderr)
        keep_or_drop(args.keep, created, database, tmp)


def keep_or_drop(keep: bool, created: bool, database: str, tmp) -> None:
    """At the end of a run: say where the database and files are (--keep), or drop and remove them."""
    if keep:
        print(f"\nkept: database {database} ({PG_BASE}/{database}), files in {tmp}")
        return
    if created:
        try:
            psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        except RuntimeError as e:
            print(f"(could not drop {database}: {e})", file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
