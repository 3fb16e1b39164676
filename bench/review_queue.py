"""The review queue with a million submissions in PostgreSQL: queue pages over HTTP, and bulk approval.

    .venv/bin/python bench/review_queue.py                    # about 10 minutes
    .venv/bin/python bench/review_queue.py --explain          # and the plans of the queue's queries
    .venv/bin/python bench/review_queue.py --rows 200000 --requests 50 --keep

Issue 7's acceptance: with 1,000,000 submissions spread over the demo city, the queue's first page
and a filtered page answer with p95 < 100 ms, and a bulk approval of 10,000 items takes under 60 s.
The script

1. creates a fresh PostgreSQL database (a unique name; dropped at the end unless --keep), runs
   `flask db upgrade` and `flask demo-city --scale small` into it (small: 800 buildings in all nine
   districts, the areas of the whole city; the rows below are spread over those buildings, which is
   what a queue sees: the number of buildings only changes how many submissions share one) and
   reads the reviewers' passwords from demo-logins.txt;
2. loads --rows submissions with COPY (not the ORM: a few minutes rather than hours), made like
   `app/collect/services.py` makes them: shops (90 %) in a building, at an existing shop or office
   room (each used once) or at a new room number, with the data JSON, the full address text, a
   position some 15 m from the building (3 % far away, 2 % none: the gps.* flags), a photo link for
   85 % (photo rows are shared, a few thousand of them); bindings (10 %) of a new organisation (a
   valid, unique credit code) to the building's door plate. Each row gets its chain (the kind's
   default, or the city-managed zone's), `base` (the building's or door plate's id/version/status,
   as `apply.base_of` reads it), `flags` (as `apply.flags_of`), a creation audit row, and a state
   drawn by its age (received over the last 180 days, ids in time order): about 30 % waiting (step
   0 at the street or the owning unit's reviewer, step 1 at the district's or, in the city's zones,
   the city's), a few returned, the rest approved or rejected. A third of the rows are in 樊城区
   (420606), a tenth in the demo street reviewer's township, the rest spread evenly over the other
   buildings; then VACUUM ANALYZE;
3. starts gunicorn (2 sync workers) and, signed in as the demo street and district reviewers (one
   session each, one request at a time), times --requests requests (after --warmup) of
   `GET /api/v1/review/queue`: the first page (50 items), the second page (the first page's cursor),
   a filtered page (kind=shop, has_photo, age_days=3 and the community with the most waiting items)
   and its second page; and `GET /review/` (the HTML queue) when the server has it;
4. times a bulk approval at the street reviewer's step 0: a filter chosen to select about --bulk
   items, its dry run (`POST /api/v1/review/bulk-approve`, dry_run), the job started over HTTP (202)
   and run in this process by `app.jobs.services.execute` (what `flask jobs worker` calls), then checks
   in the database that exactly those items moved to step 1 with one review.approve audit row each;
5. the same at the district reviewer's last step for about --last-bulk items (applied to the master
   data: rooms created, organisations registered and bound), checked likewise;
6. runs EXPLAIN (ANALYZE, BUFFERS) of the queue's queries (the SQL the app generates, compiled from
   `app.review.services.waiting_at_my_step`) and prints their execution times (and, with --explain,
   the plans).

Before each timed part the script waits (--quiet-wait) for other processes to use under 10 % of the
CPU, and it reports what they used meanwhile. The server is stopped, the database dropped and the
temporary files removed at the end, also on Ctrl-C.
"""
from __future__ import annotations

import argparse
import collections
import datetime
import hashlib
import json
import math
import os
import platform
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent

# The app reads its configuration from the environment when it is first imported (address_api
# imports it): this run's database, instance directory and job queue are set before that.
STAMP = f"{os.getpid()}_{int(time.time())}"
_REUSE = sys.argv[sys.argv.index("--reuse") + 1] if "--reuse" in sys.argv[:-1] else None
DATABASE = _REUSE.split(":")[0] if _REUSE else f"yb_review_{STAMP}"
TMP = Path(_REUSE.split(":")[1]) if _REUSE else Path(tempfile.gettempdir()) / f"yb-review-{STAMP}"
os.environ.update({
    "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{DATABASE}", "YIBIAO_INSTANCE": str(TMP / "instance"),
    "FLASK_APP": "wsgi.py", "JOBS_IN_PROCESS": "0", "JOBS_IMMEDIATE": "0", "JOBS_QUEUE": f"ybreview{STAMP.replace('_', '')}",
    "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_LOGIN": "100000 per minute", "PYTHONUNBUFFERED": "1",
    "PHOTO_STORAGE_ROOT": str(TMP / "photos"), "EXPORT_DIR": str(TMP / "exports")})
os.environ.pop("REDIS_URL", None)

from benchutil import git_state, machine_busy, scan_log, wait_quiet  # noqa: E402
from ingest import PG_BASE, Server, Session, cpu_since, keep_or_drop, processes_named, psql  # noqa: E402

TARGET_P95, TARGET_BULK_S = 0.100, 60.0  # issue 7
DISTURBED = 0.10
STREET_SHARE, DISTRICT_SHARE = 0.10, 0.33  # of all rows: the demo street reviewer's township; all of 420606
TRADES = ("便利店", "餐馆", "理发店", "五金店", "药店", "服装店", "水果店", "面馆", "茶叶店", "文具店", "维修部", "粮油店")
KIND_OF_TRADE = {"便利店": "retail", "餐馆": "catering", "理发店": "services", "五金店": "retail", "药店": "medical",
                 "服装店": "retail", "水果店": "retail", "面馆": "catering", "茶叶店": "retail", "文具店": "retail",
                 "维修部": "repair", "粮油店": "retail"}
NAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
COMPANY = ("商贸", "科技", "建筑工程", "物流", "汽车配件", "食品", "物业服务", "信息技术", "农业开发", "机械制造")
ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def ms(seconds: float | None) -> str:
    return "–" if seconds is None or seconds != seconds else f"{seconds * 1000:.1f}"


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values)) - 1))]


# --- the city and the rows -------------------------------------------------------------------

def load_city(app) -> dict:
    """What the rows are made from: buildings with their door plate, area and texts; rooms; chains;
    users; the areas of the demo reviewers."""
    from sqlalchemy import select

    from app.accounts.models import User, UserObject
    from app.extensions import db
    from app.places.addresses import full_text
    from app.places.models import Area, Building, Room
    from app.review.models import Chain

    with app.app_context():
        areas = dict(db.session.execute(select(Area.id, Area.code)).all())
        users = {u.username: u.id for u in db.session.scalars(select(User))}
        owned = set(db.session.scalars(select(UserObject.object_code)))
        buildings = []
        for b in db.session.scalars(select(Building).where(Building.status == "active").order_by(Building.id)):
            plate = b.door_plate
            buildings.append({
                "id": b.id, "code": b.object_code, "version": b.version, "status": b.status, "area_id": b.area_id,
                "area": areas[b.area_id], "lon": b.lon or 112.14, "lat": b.lat or 32.04,
                "plate_id": plate.id, "plate_code": plate.object_code, "plate_area_id": plate.area_id,
                "plate_base": {"id": plate.id, "version": plate.version, "status": plate.status},
                "text": full_text(b.area_id, {**b.parts, "unit": None, "room": "§"}),
                "plate_text": full_text(plate.area_id, plate.parts),
                "owned": b.object_code in owned or plate.object_code in owned})
        rooms = collections.defaultdict(list)  # building -> [(id, code, number, version, status)] of non-homes
        taken = collections.defaultdict(set)  # building -> numbers of rooms without a unit
        for r in db.session.scalars(select(Room).where(Room.status == "active")):
            if r.unit_id is None:
                taken[r.building_id].add(r.number)
                if r.use != "residential":
                    rooms[r.building_id].append((r.id, r.object_code, r.number, r.version, r.status))
        chains = [(c.id, c.kind, c.area_code, len(c.steps), c.steps)
                  for c in db.session.scalars(select(Chain).where(Chain.active))]
        codes = set(db.session.execute(db.text("SELECT credit_code FROM organisation")).scalars())
    return {"buildings": buildings, "rooms": rooms, "taken": taken, "chains": chains, "users": users,
            "codes": codes}


def chain_for(chains, kind: str, area_code: str):
    fitting = [c for c in chains if c[1] == kind and (c[2] is None or area_code.startswith(c[2]))]
    return max(fitting, key=lambda c: len(c[2] or ""))


def credit_code_for(n: int) -> str:
    from app.standards import credit_code

    digits, body = n, ""
    for _ in range(6):
        digits, r = divmod(digits, len(ORG_CHARS))
        body = ORG_CHARS[r] + body
    first8 = "BQ" + body
    first17 = "91420606" + first8 + credit_code.org_check_char(first8)
    return first17 + credit_code.check_char(first17)


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _ts(t: datetime.datetime) -> str:
    return t.isoformat()


SUBMISSION_COLUMNS = ("id", "client_id", "body_hash", "kind", "status", "version", "collector_id", "area_id",
                      "door_plate_id", "building_id", "room_id", "data", "address_text", "lon", "lat", "accuracy_m",
                      "captured_at", "received_at", "chain_id", "step", "step_role", "base", "flags", "comments",
                      "reason", "decided_at")


def generate(city: dict, n: int, seed: int, now: datetime.datetime, street_township: str, gps_far_m: float,
             first_id: int = 1):
    """Yield (submission line, photo link line or None, audit line) in id order; fill `stats`."""
    rng = random.Random(seed)
    buildings = city["buildings"]
    in_township = [b for b in buildings if b["area"].startswith(street_township)]
    in_district = [b for b in buildings if b["area"].startswith("420606") and not b["area"].startswith(street_township)]
    elsewhere = [b for b in buildings if not b["area"].startswith("420606")]
    groups = [(in_township, STREET_SHARE), (in_district, DISTRICT_SHARE - STREET_SHARE),
              (elsewhere, 1 - DISTRICT_SHARE)]
    pool, weights = [], []
    for members, share in groups:
        for b in members:
            pool.append(b)
            weights.append(share / len(members))
    picks = rng.choices(range(len(pool)), weights=weights, k=n)
    chains = city["chains"]
    users = city["users"]
    free_rooms = {bid: list(rs) for bid, rs in city["rooms"].items()}
    for rs in free_rooms.values():
        rng.shuffle(rs)
    next_number = collections.Counter()
    taken = city["taken"]
    photos = [hashlib.sha256(f"bench review_queue photo {i}".encode()).hexdigest() for i in range(3000)]
    codes = city["codes"]
    code_n = 0
    span = 180 * 86400
    # Received times: uniform over the last 180 days, in id order.
    offsets = sorted((rng.random() * span for _ in range(n)), reverse=True)
    for i in range(n):
        sid = first_id + i
        b = pool[picks[i]]
        age = offsets[i]  # seconds before now
        age_days = age / 86400
        received = now - datetime.timedelta(seconds=age)
        captured = received - datetime.timedelta(seconds=rng.uniform(60, 7200))
        kind = "shop" if rng.random() < 0.9 else "binding"
        chain = chain_for(chains, kind, b["area"])
        # State by age: most recent ones wait; older ones are mostly decided.
        w = 0.95 if age_days < 30 else 0.6 if age_days < 60 else 0.08
        r = rng.random()
        reason = comments = decided = None
        if r < w:
            step = 1 if rng.random() < (0.2 if age_days < 7 else 0.5) else 0
            status = "submitted" if step == 0 else "in_review"
        elif r < w + 0.03:
            status, step = "returned", rng.randrange(2)
            reason = "照片不清楚，请补拍门头"
            comments = {"shop_name": "与门头不一致"} if kind == "shop" else {"name": "与营业执照不一致"}
        else:
            status = "approved" if rng.random() < 0.8 else "rejected"
            step = chain[3] - 1 if status == "approved" else rng.randrange(2)
            decided = received + datetime.timedelta(seconds=rng.uniform(3600, 20 * 86400))
            if decided > now:
                decided = now - datetime.timedelta(seconds=rng.uniform(0, 3600))
            if status == "rejected":
                reason = "现场核实无此门店"
        step_role = None
        if status in ("submitted", "in_review"):
            how = chain[4][step]["reviewer"]
            if how == "street_or_owner":
                step_role = "owner_reviewer" if b["owned"] else "street_reviewer"
            else:
                step_role = {"street": "street_reviewer", "owner": "owner_reviewer", "district": "district_reviewer",
                             "city": "city_reviewer"}[how]
        client_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        body_hash = f"{rng.getrandbits(256):064x}"
        lon = lat = acc = None
        photo = None
        if kind == "shop":
            collector = users["police"]
            trade = rng.choice(TRADES)
            room_id = room_code = None
            if free_rooms.get(b["id"]) and rng.random() < 0.3:
                room_id, room_code, number, rversion, rstatus = free_rooms[b["id"]].pop()
                room_base = {"id": room_id, "version": rversion, "status": rstatus}
            else:
                while True:
                    k = next_number[b["id"]]
                    next_number[b["id"]] += 1
                    number = f"1{k:03d}"
                    if number not in taken.get(b["id"], ()):
                        break
                room_base = None
            data = {"unit": None, "floor": 1, "room": number, "shop_name": rng.choice(NAMES) + "记" + trade,
                    "business_kind": KIND_OF_TRADE[trade], "note": None, "plate_token": None,
                    "building_code": b["code"], "room_code": room_code,
                    "business_kind_label": {"retail": "零售", "catering": "餐饮", "services": "生活服务",
                                            "medical": "医疗药店", "repair": "维修"}[KIND_OF_TRADE[trade]]}
            text = b["text"].replace("§", number)
            flags = []
            if rng.random() < 0.85:
                photo = rng.choice(photos)
            else:
                flags.append("photo.none")
            g = rng.random()
            if g < 0.02:
                flags.append("gps.none")
            else:
                dist = rng.uniform(gps_far_m * 1.2, gps_far_m * 4) if g < 0.05 else abs(rng.gauss(0, 15))
                angle = rng.uniform(0, 2 * math.pi)
                lon = b["lon"] + dist * math.cos(angle) / 94_000
                lat = b["lat"] + dist * math.sin(angle) / 110_900
                acc = rng.choice((5.0, 8.0, 10.0, 15.0, 30.0))
                if dist > gps_far_m:
                    flags.append("gps.far")
            base = {"building": {"id": b["id"], "version": b["version"], "status": b["status"]}, "room": room_base}
            area_id, plate_id, building_id = b["area_id"], b["plate_id"], b["id"]
        else:
            collector = users["grid"]
            while True:
                code_n += 1
                code = credit_code_for(code_n)
                if code not in codes:
                    break
            data = {"credit_code": code, "name": f"襄阳{rng.choice(NAMES)}{rng.choice(NAMES)}{rng.choice(COMPANY)}有限公司",
                    "confirm_move": False, "note": None, "plate_token": None, "shop": None,
                    "address_code": b["plate_code"]}
            text = b["plate_text"]
            flags = []
            base = {"organisation": None, "address": b["plate_base"]}
            room_id = None
            area_id, plate_id, building_id = b["plate_area_id"], b["plate_id"], None
        values = (sid, client_id, body_hash, kind, status, 1, collector, area_id, plate_id, building_id, room_id,
                  json.dumps(data, ensure_ascii=False), text, lon, lat, acc, _ts(captured), _ts(received),
                  chain[0], step, step_role, json.dumps(base), json.dumps(flags),
                  json.dumps(comments, ensure_ascii=False) if comments else None, reason,
                  _ts(decided) if decided else None)
        line = "\t".join("\\N" if v is None else _esc(v) if isinstance(v, str) else str(v) for v in values) + "\n"
        link = f"{sid}\t{photo}\t0\n" if photo else None
        audit = (f"{_ts(received)}\t{collector}\t{'police' if kind == 'shop' else 'grid'}\tsubmission.{kind}\t"
                 f"submission\t{sid}\t1\t{{\"status\": \"submitted\"}}\n")
        yield line, link, audit, photos


def bulk_load(conn, city: dict, n: int, seed: int, now, street_township: str, gps_far_m: float) -> dict:
    """COPY the rows in (three COPYs fed together, in batches); photo rows first."""
    t0 = time.perf_counter()
    photos_written = False
    batch = 20000
    sub_buf, link_buf, audit_buf = [], [], []
    counts = {"rows": 0, "links": 0}

    def flush():
        with conn.cursor() as cur:
            with cur.copy(f"COPY submission ({', '.join(SUBMISSION_COLUMNS)}) FROM STDIN") as copy:
                copy.write("".join(sub_buf))
            if link_buf:
                with cur.copy("COPY submission_photo (submission_id, photo_sha256, position) FROM STDIN") as copy:
                    copy.write("".join(link_buf))
            with cur.copy("COPY audit_log (at, actor_id, actor_name, action, object_type, object_id, version, after) "
                          "FROM STDIN") as copy:
                copy.write("".join(audit_buf))
        conn.commit()
        sub_buf.clear(), link_buf.clear(), audit_buf.clear()

    with conn.cursor() as cur:  # the demo city has a few submissions of its own, made by the real services
        first_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM submission").fetchone()[0]
    for line, link, audit, photos in generate(city, n, seed, now, street_township, gps_far_m, first_id):
        if not photos_written:
            with conn.cursor() as cur:
                with cur.copy("COPY photo (sha256, size, content_type, width, height, uploaded_by_id, uploaded_at, "
                              "reencoded_at) FROM STDIN") as copy:
                    for sha in photos:
                        copy.write_row((sha, 300_000, "image/jpeg", 2048, 1536, city["users"]["police"],
                                        now - datetime.timedelta(days=181), now - datetime.timedelta(days=181)))
            conn.commit()
            photos_written = True
        sub_buf.append(line)
        audit_buf.append(audit)
        if link:
            link_buf.append(link)
            counts["links"] += 1
        counts["rows"] += 1
        if len(sub_buf) >= batch:
            flush()
            if counts["rows"] % 200_000 == 0:
                print(f"  {counts['rows']:,} rows in {time.perf_counter() - t0:.0f} s", flush=True)
    if sub_buf:
        flush()
    with conn.cursor() as cur:
        cur.execute("SELECT setval('submission_id_seq', (SELECT max(id) FROM submission))")
    conn.commit()
    counts["load_s"] = time.perf_counter() - t0
    return counts


class TreeServer(Server):
    """ingest's Server, run from another checkout of the code (--baseline) when `tree` is given."""

    def __init__(self, spec: str, env: dict, log_dir: Path, tree: Path | None = None):
        super().__init__(spec, env, log_dir, "wsgi:app", tree or ROOT)
        self.log = log_dir / f"review-gunicorn-{'baseline' if tree else 'sync-2'}.log"
        if tree:
            self.env = {**env, "PYTHONPATH": str(tree)}


def page_tests(server, passwords: dict, filters: dict, args, label: str) -> tuple[list, bool, dict]:
    """The queue pages for the street and the district reviewer, one request at a time."""
    print(f"\nstarting gunicorn ({server.label}{', ' + label if label else ''}) on 127.0.0.1:{server.port} …",
          flush=True)
    server.start()
    sessions = {}
    tests = []
    try:
        for username in ("street", "district"):
            sessions[username] = Session(server.port)
            sessions[username].sign_in(username, passwords[username])
        has_html = sessions["street"].request("GET", "/review/")[0] == 200
        for username, session in sessions.items():
            f = filters[username]
            query = urllib.parse.urlencode({k: str(v).lower() if isinstance(v, bool) else v for k, v in f.args().items()})
            first = json.loads(session.request("GET", "/api/v1/review/queue")[1])
            filtered = json.loads(session.request("GET", f"/api/v1/review/queue?{query}")[1])
            plan = [("first page", ["/api/v1/review/queue"], first),
                    ("second page", [f"/api/v1/review/queue?cursor={first['next']}"] if first["next"] else [], None),
                    (f"filtered: {query}", [f"/api/v1/review/queue?{query}"], filtered),
                    ("filtered, second page", [f"/api/v1/review/queue?{query}&cursor={filtered['next']}"]
                     if filtered["next"] else [], None)]
            if has_html:
                plan.append(("HTML /review/", ["/review/"], None))
            for name, paths, page in plan:
                if not paths:
                    print(f"{username}: {name}: no such page")
                    continue
                if args.quiet_wait:
                    wait_quiet(args.quiet_wait)
                print(f"{username}: {name} …", flush=True)
                result = None
                for attempt in range(1, args.attempts + 1):
                    n, warm = (args.baseline_requests, 3) if label == "before" else (args.requests, args.warmup)
                    run = time_requests(server, session, paths, n, warm)
                    if result is None or run["busy"] < result["busy"]:
                        result = run
                    if run["busy"] <= DISTURBED:
                        break
                    print(f"  other processes used {run['busy']:.0%} of the CPU meanwhile"
                          + ("; again" if attempt < args.attempts else "; keeping the quietest attempt"), flush=True)
                    if args.quiet_wait:
                        wait_quiet(args.quiet_wait)
                info = f"{len(page['items'])} items of {page['counts']['total']:,}" if page is not None else ""
                tests.append((label, username, name, result, info))
    except BaseException:
        server.stop()
        raise
    return tests, has_html, sessions


# --- measuring -------------------------------------------------------------------------------

def time_requests(server: Server, session: Session, paths: list[str], n: int, warmup: int) -> dict:
    """One request at a time: `warmup` not recorded, then n (cycling over paths). 'other' is the CPU
    of everything but the server, PostgreSQL and this process, as a share of all cores."""
    for i in range(warmup):
        session.request("GET", paths[i % len(paths)])
    latencies, statuses, sizes = [], collections.Counter(), []
    pg0, server0, own0 = processes_named(("postgres",)), server.cpu(), time.process_time()
    busy0, t_start = machine_busy(), time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        status, body = session.request("GET", paths[i % len(paths)])
        latencies.append(time.perf_counter() - t0)
        statuses[status] += 1
        sizes.append(len(body))
    wall = time.perf_counter() - t_start
    busy = machine_busy() - busy0
    server_cpu, pg_cpu, own = server.cpu() - server0, cpu_since(("postgres",), pg0), time.process_time() - own0
    return {"latencies": latencies, "statuses": statuses, "wall": wall, "bytes": sum(sizes) / max(1, len(sizes)),
            "server": server_cpu / wall / os.cpu_count(), "pg": pg_cpu / wall / os.cpu_count(),
            "busy": max(0.0, busy - server_cpu - pg_cpu - own) / wall / os.cpu_count()}


def compiled(app, username: str, f) -> dict:
    """The SQL of the queue's queries for a user and filter, with the values in (for EXPLAIN)."""
    from sqlalchemy import func, select
    from sqlalchemy.dialects import postgresql

    from app.accounts.models import User
    from app.collect.models import Submission
    from app.extensions import db
    from app.review import services
    from app.review.services import QueueFilter

    with app.app_context():
        actor = db.session.scalar(select(User).where(User.username == username))
        stmt = services.waiting_at_my_step(actor, f)
        counts = services.waiting_at_my_step(actor, QueueFilter(**{**f.__dict__, "kind": None}))
        out = {
            "page": stmt.order_by(Submission.id).limit(services.PAGE + 1),
            "counts": counts.with_only_columns(Submission.kind, func.count()).group_by(Submission.kind).order_by(None),
            "ids": stmt.with_only_columns(Submission.id).order_by(Submission.id).limit(services.BULK_MAX + 1),
        }
        return {k: str(v.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
                for k, v in out.items()}


def explain(conn, sql: str) -> tuple[float, list[str]]:
    with conn.cursor() as cur:
        rows = cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql).fetchall()
    lines = [r[0] for r in rows]
    took = next((float(m.group(1)) for line in lines if (m := re.search(r"Execution Time: ([\d.]+) ms", line))),
                float("nan"))
    return took / 1000, lines


def count_with(app, username: str, f) -> int:
    from sqlalchemy import func, select

    from app.accounts.models import User
    from app.extensions import db
    from app.review import services

    with app.app_context():
        actor = db.session.scalar(select(User).where(User.username == username))
        stmt = services.waiting_at_my_step(actor, f)
        return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def ids_with(app, username: str, f) -> list[int]:
    from sqlalchemy import select

    from app.accounts.models import User
    from app.collect.models import Submission
    from app.extensions import db
    from app.review import services

    with app.app_context():
        actor = db.session.scalar(select(User).where(User.username == username))
        return list(db.session.scalars(services.waiting_at_my_step(actor, f).with_only_columns(Submission.id)
                                       .order_by(Submission.id)))


def choose_filter(app, username: str, target: int, areas: list[str | None], max_days: int = 60):
    """A QueueFilter selecting as close to `target` waiting items as the simple filters allow."""
    from app.review.services import BULK_MAX, QueueFilter

    best = None
    for area in areas:
        for kind in (None, "shop"):
            lo, hi = 1, max_days  # count falls as age_days grows: find the day nearest the target
            counts = {}

            def c(d):
                if d not in counts:
                    counts[d] = count_with(app, username, QueueFilter(area=area, kind=kind, age_days=d))
                return counts[d]
            if c(lo) < target * 0.5:
                candidates = [QueueFilter(area=area, kind=kind)]
            else:
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if c(mid) >= target:
                        lo = mid
                    else:
                        hi = mid
                candidates = [QueueFilter(area=area, kind=kind, age_days=d) for d in (lo, hi)]
            for f in candidates:
                n = count_with(app, username, f)
                if n <= BULK_MAX and (best is None or abs(n - target) < abs(best[1] - target)):
                    best = (f, n)
    return best


def run_bulk(app, session: Session, username: str, f, label: str, database: str) -> dict:
    """Dry run over HTTP, the job started over HTTP and run here; then the checks."""
    import psycopg
    from sqlalchemy import select

    from app.extensions import db
    from app.jobs.models import Job
    from app.jobs.services import execute

    body = json.dumps({"filter": f.args() | ({"sort": f.sort} if f.sort != "oldest" else {}),
                       "dry_run": True}).encode()
    wait_quiet(300)
    busy0 = machine_busy()
    t0 = time.perf_counter()
    status, answer = session.request("POST", "/api/v1/review/bulk-approve", body, "application/json")
    dry_s = time.perf_counter() - t0
    if status != 200:
        raise RuntimeError(f"dry run answered {status}: {answer[:300]!r}")
    plan = json.loads(answer)
    dry_busy = (machine_busy() - busy0) / dry_s / os.cpu_count()
    # The approval sends back the dry run's pinned filter: exactly the items the dry run counted.
    ids = ids_with(app, username, type(f)(**plan["filter"]))
    with psycopg.connect(f"{PG_BASE}/{database}") as conn:
        audit_before = conn.execute("SELECT max(id) FROM audit_log").fetchone()[0]
        rooms_before, orgs_before, bindings_before = conn.execute(
            "SELECT (SELECT count(*) FROM room), (SELECT count(*) FROM organisation), "
            "(SELECT count(*) FROM binding)").fetchone()
        before = dict(conn.execute("SELECT step_role, count(*) FROM submission WHERE step_role IS NOT NULL "
                                   "GROUP BY 1").fetchall())
        kinds = dict(conn.execute("SELECT kind, count(*) FROM submission WHERE id = ANY(%s) GROUP BY 1",
                                  (ids,)).fetchall())
        new_rooms = conn.execute("SELECT count(*) FROM submission WHERE id = ANY(%s) AND kind = 'shop' "
                                 "AND room_id IS NULL", (ids,)).fetchone()[0]
    status, answer = session.request("POST", "/api/v1/review/bulk-approve",
                                     json.dumps({"filter": plan["filter"], "dry_run": False}).encode(), "application/json")
    if status != 202:
        raise RuntimeError(f"bulk approval answered {status}: {answer[:300]!r}")
    job_id = json.loads(answer)["id"]
    wait_quiet(300)
    pg_before = processes_named(("postgres",))
    busy0, cpu0 = machine_busy(), time.process_time()
    t0 = time.perf_counter()
    with app.app_context():
        execute(job_id)
        job = db.session.scalar(select(Job).where(Job.id == job_id))
        job_status, job_message, job_done = job.status, job.message, job.done
        db.session.remove()
    job_s = time.perf_counter() - t0
    own_cpu = time.process_time() - cpu0
    pg_cpu = cpu_since(("postgres",), pg_before)
    busy = machine_busy() - busy0
    checks = []
    with psycopg.connect(f"{PG_BASE}/{database}") as conn:
        moved = dict(conn.execute("SELECT status || ' ' || coalesce(step_role, '–') || ' step ' || step, count(*) "
                                  "FROM submission WHERE id = ANY(%s) GROUP BY 1", (ids,)).fetchall())
        audits = conn.execute("SELECT object_id, count(*) FROM audit_log WHERE id > %s AND action = 'review.approve' "
                              "AND object_type = 'submission' GROUP BY 1", (audit_before,)).fetchall()
        after = dict(conn.execute("SELECT step_role, count(*) FROM submission WHERE step_role IS NOT NULL "
                                  "GROUP BY 1").fetchall())
        rooms_after, orgs_after, bindings_after = conn.execute(
            "SELECT (SELECT count(*) FROM room), (SELECT count(*) FROM organisation), "
            "(SELECT count(*) FROM binding)").fetchone()
        other_audit = dict(conn.execute("SELECT action, count(*) FROM audit_log WHERE id > %s GROUP BY 1",
                                        (audit_before,)).fetchall())
    audited = {oid: k for oid, k in audits}
    ok_ids = set(ids)
    checks.append(f"selected by the filter: {len(ids):,} ({', '.join(f'{k} {v:,}' for k, v in sorted(kinds.items()))}); "
                  f"dry run counted {plan['count']:,}, {plan['failed']} would fail")
    checks.append("their state now: " + ", ".join(f"{k} ×{v:,}" for k, v in sorted(moved.items())))
    good_audit = set(audited) == ok_ids and all(k == 1 for k in audited.values())
    checks.append(f"review.approve audit rows written: {sum(audited.values()):,} for {len(audited):,} submissions — "
                  + ("one for each selected item, none for any other" if good_audit else "MISMATCH"))
    delta = {role: after.get(role, 0) - before.get(role, 0) for role in set(before) | set(after)}
    checks.append("queues changed by: " + ", ".join(f"{r} {d:+,}" for r, d in sorted(delta.items()) if d))
    checks.append(f"master data: rooms {rooms_after - rooms_before:+,} (new-room shops selected: {new_rooms:,}), "
                  f"organisations {orgs_after - orgs_before:+,}, bindings {bindings_after - bindings_before:+,}; "
                  "audit rows by action: " + ", ".join(f"{a} {c:,}" for a, c in sorted(other_audit.items())))
    return {"label": label, "filter": f, "ids": ids, "dry_s": dry_s, "dry_busy": dry_busy, "plan": plan,
            "job_s": job_s, "job_status": job_status, "job_message": job_message, "job_done": job_done,
            "own_cpu": own_cpu, "pg_cpu": pg_cpu, "other_cpu": max(0.0, busy - own_cpu - pg_cpu) / job_s / os.cpu_count(),
            "moved": moved, "good_audit": good_audit, "checks": checks}


# --- main ------------------------------------------------------------------------------------

def _interrupted(signum, frame):
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="submissions to load (default %(default)s)")
    parser.add_argument("--scale", default="small", help="flask demo-city --scale (default %(default)s)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per test (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=20, help="requests before each test, not timed")
    parser.add_argument("--bulk", type=int, default=10_000, help="items to approve at step 0 (default %(default)s)")
    parser.add_argument("--last-bulk", type=int, default=2_000,
                        help="items to approve at the last step (default %(default)s; 0: skip)")
    parser.add_argument("--explain", action="store_true", help="print the plans of the queue's queries")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--quiet-wait", type=float, default=300,
                        help="before each test, wait up to this many seconds for a quiet machine (0: do not wait)")
    parser.add_argument("--keep", action="store_true", help="keep the database and the temporary directory")
    parser.add_argument("--reuse", metavar="DATABASE:DIR",
                        help="measure again on a database kept by --keep (its name and temporary directory, as "
                             "printed); nothing is loaded, and both are kept")
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="first measure the pages with the code in DIR (e.g. `git worktree add DIR HEAD`: the "
                             "code before a change), without the indexes named by --baseline-drop-index")
    parser.add_argument("--baseline-requests", type=int, default=30,
                        help="timed requests per test for the baseline (default %(default)s)")
    parser.add_argument("--baseline-drop-index", dest="baseline_drop", action="append", default=[],
                        help="an index the baseline does not have: dropped for it, made again after")
    parser.add_argument("--attempts", type=int, default=3,
                        help="runs of a page test at most, while other processes disturb it (default %(default)s)")
    parser.add_argument("--log-dir", type=Path, default=ROOT / "bench" / "out", help="logs (default bench/out)")
    args = parser.parse_args()
    args.log_dir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _interrupted)

    database, tmp = DATABASE, TMP
    tmp.mkdir(parents=True, exist_ok=True)
    instance = tmp / "instance"
    server_env = {**os.environ}

    print(f"Yibiao review queue — {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"PostgreSQL {psql('SHOW server_version')} (shared_buffers {psql('SHOW shared_buffers')}, work_mem "
          f"{psql('SHOW work_mem')}); {git_state()}")
    server, created = None, False
    try:
        if args.reuse:
            args.keep = True
        else:
            psql(f'CREATE DATABASE "{database}"')
            created = True
        for step in ([] if args.reuse else (["db", "upgrade"], ["demo-city", "--scale", args.scale])):
            t0 = time.perf_counter()
            done = subprocess.run([str(VENV_BIN / "flask"), *step], env=server_env, cwd=ROOT, capture_output=True,
                                  text=True)
            if done.returncode:
                raise RuntimeError(f"flask {' '.join(step)} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
            print(f"flask {' '.join(step)}: {time.perf_counter() - t0:.1f} s", flush=True)
        logins = (instance / "demo-logins.txt").read_text(encoding="utf-8")
        passwords = dict(re.findall(r"^\s*(\w+)\s+(\S+)\s+\w+", logins, re.M))
        street_township = re.search(r"^\s*street\s+\S+\s+street_reviewer\s+(\d+)", logins, re.M).group(1)

        import psycopg

        from app import create_app

        app = create_app()
        city = load_city(app)
        with app.app_context():
            gps_far_m = app.config["REVIEW_GPS_FAR_M"]
        districts = collections.Counter(b["area"][:6] for b in city["buildings"])
        print(f"database {database} ({'reused' if args.reuse else 'fresh'}); demo city: {len(city['buildings'])} buildings in {len(districts)} "
              f"districts ({', '.join(f'{d} {n}' for d, n in sorted(districts.items()))}); street reviewer's "
              f"township {street_township} has "
              f"{sum(1 for b in city['buildings'] if b['area'].startswith(street_township))} buildings", flush=True)

        now = datetime.datetime.now(datetime.timezone.utc)
        with psycopg.connect(f"{PG_BASE}/{database}") as conn:
            if args.reuse:
                n = conn.execute("SELECT count(*) FROM submission").fetchone()[0]
                counts, vacuum_s = {"rows": n, "links": conn.execute("SELECT count(*) FROM submission_photo")
                                    .fetchone()[0], "load_s": 0.0}, 0.0
                print(f"reusing {database}: nothing loaded")
            else:
                print(f"loading {args.rows:,} submissions (COPY) …", flush=True)
                counts = bulk_load(conn, city, args.rows, args.seed, now, street_township, gps_far_m)
            conn.commit()
            t0 = time.perf_counter()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
            vacuum_s = time.perf_counter() - t0
            size = conn.execute("SELECT pg_size_pretty(pg_total_relation_size('submission')), "
                                "pg_size_pretty(pg_database_size(current_database()))").fetchone()
            states = conn.execute("SELECT status, coalesce(step_role, '–'), count(*) FROM submission GROUP BY 1, 2 "
                                  "ORDER BY 3 DESC").fetchall()
            kinds = dict(conn.execute("SELECT kind, count(*) FROM submission GROUP BY 1").fetchall())
        from app.review.services import QueueFilter

        queues = [(u, count_with(app, u, QueueFilter())) for u in ("street", "owner", "district", "city")]
        print(f"loaded {counts['rows']:,} submissions, {counts['links']:,} photo links (3,000 photo rows), "
              f"{counts['rows']:,} creation audit rows in {counts['load_s']:.0f} s; VACUUM ANALYZE {vacuum_s:.0f} s; "
              f"submission table with indexes {size[0]}, database {size[1]}")
        print("kinds: " + ", ".join(f"{k} {v:,}" for k, v in kinds.items()))
        print("states: " + ", ".join(f"{s}/{r} {n:,}" for s, r, n in states))
        print("demo reviewers' queues (waiting at their step, in their jurisdiction): "
              + ", ".join(f"{u} {n:,}" for u, n in queues), flush=True)

        # Filters: the community of each reviewer's jurisdiction with the most waiting items.
        with psycopg.connect(f"{PG_BASE}/{database}") as conn:
            def busiest_community(role, prefix):
                return conn.execute(
                    "SELECT substr(a.code, 1, 12) FROM submission s JOIN area a ON a.id = s.area_id "
                    "WHERE s.step_role = %s AND s.status IN ('submitted', 'in_review') AND a.code LIKE %s "
                    "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1", (role, prefix + "%")).fetchone()[0]
            community = {"street": busiest_community("street_reviewer", street_township),
                         "district": busiest_community("district_reviewer", "420606")}
        filters = {u: QueueFilter(kind="shop", has_photo=True, age_days=3, area=community[u]) for u in community}

        tests = []
        if args.baseline:
            import psycopg as _pg

            with _pg.connect(f"{PG_BASE}/{database}", autocommit=True) as conn:
                saved = []
                for name in args.baseline_drop:
                    row = conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", (name,)).fetchone()
                    if row:
                        saved.append(row[0])
                        conn.execute(f"DROP INDEX {name}")
                conn.execute("ANALYZE submission")
            base_server = TreeServer("sync:2", server_env, args.log_dir, args.baseline)
            try:
                more, _, base_sessions = page_tests(base_server, passwords, filters, args, "before")
                tests += more
                for s_ in base_sessions.values():
                    s_.close()
            finally:
                base_server.stop()
                with _pg.connect(f"{PG_BASE}/{database}", autocommit=True) as conn:
                    for ddl in saved:
                        conn.execute(ddl)
                    conn.execute("VACUUM ANALYZE submission")
        server = TreeServer("sync:2", server_env, args.log_dir)
        more, has_html, sessions = page_tests(server, passwords, filters, args, "after" if args.baseline else "")
        tests += more

        # The queries themselves, in the database (EXPLAIN ANALYZE of the SQL the app generates).
        plans = []
        with psycopg.connect(f"{PG_BASE}/{database}") as conn:
            for username in ("street", "district"):
                for fname, f in (("first page", QueueFilter()), ("filtered", filters[username])):
                    sql = compiled(app, username, f)
                    for part in ("page", "counts"):
                        explain(conn, sql[part])  # warm
                        took, lines = explain(conn, sql[part])
                        plans.append((username, fname, part, took, lines, sql[part]))

        bulk = []
        if args.bulk:
            print(f"\nchoosing a filter for about {args.bulk:,} items at the street reviewer's step …", flush=True)
            f, n = choose_filter(app, "street", args.bulk, [None])
            print(f"  {f.args()}: {n:,} items", flush=True)
            bulk.append(run_bulk(app, sessions["street"], "street", f, "street reviewer, step 0 of 2 (on to step 1)",
                                 database))
        if args.last_bulk:
            with psycopg.connect(f"{PG_BASE}/{database}") as conn:
                townships = [r[0] for r in conn.execute(
                    "SELECT substr(a.code, 1, 9) FROM submission s JOIN area a ON a.id = s.area_id "
                    "WHERE s.step_role = 'district_reviewer' AND s.status IN ('submitted', 'in_review') "
                    "GROUP BY 1 ORDER BY count(*) DESC LIMIT 6").fetchall()]
            print(f"\nchoosing a filter for about {args.last_bulk:,} items at the district reviewer's (last) step …",
                  flush=True)
            f, n = choose_filter(app, "district", args.last_bulk, townships)
            print(f"  {f.args()}: {n:,} items", flush=True)
            bulk.append(run_bulk(app, sessions["district"], "district", f,
                                 "district reviewer, step 1 of 2 (last: applied to the master data)", database))
        for s in sessions.values():
            s.close()
        server.stop()

        # --- report --------------------------------------------------------------------------
        print(f"\n### Queue pages over HTTP ({server.label}, one signed-in session per reviewer, one request "
              f"at a time, {args.requests} timed after {args.warmup}"
              f"{f', the baseline {args.baseline_requests} after 3' if args.baseline else ''}; milliseconds)\n")
        print("| code | reviewer | page | answer | p50 | p95 | p99 | max | non-200 | server CPU | PostgreSQL CPU | "
              "other CPU | target p95 < 100 ms |")
        print("|---|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---|")
        for label, username, name, r, info in tests:
            bad = {s: n for s, n in r["statuses"].items() if s != 200}
            p95 = pct(r["latencies"], 95)
            target = ("met" if p95 < TARGET_P95 else "MISSED") if not name.startswith("HTML") else "–"
            print(f"| {label or 'working tree'} | {username} | {name} | {info or '%.0f KiB' % (r['bytes'] / 1024)} | {ms(pct(r['latencies'], 50))} | "
                  f"{ms(p95)} | {ms(pct(r['latencies'], 99))} | {ms(max(r['latencies']))} | "
                  f"{', '.join(f'{s}×{n}' for s, n in bad.items()) or '–'} | {r['server']:.0%} | {r['pg']:.0%} | "
                  f"{r['busy']:.0%} | {target} |")
        if not has_html:
            print("\n(GET /review/ is not there yet: the HTML queue was not measured.)")
        print(f"\n(CPU as a share of all {os.cpu_count()} cores; 'other' is everything but the server, PostgreSQL and "
              "this client: above a few per cent the figures are disturbed.)")

        print("\n### The queries in PostgreSQL (EXPLAIN ANALYZE, second run; milliseconds)\n")
        print("| reviewer | filter | query | execution |")
        print("|---|---|---|---:|")
        for username, fname, part, took, lines, _ in plans:
            print(f"| {username} | {fname} | {'page (51 rows)' if part == 'page' else 'counts per kind'} | "
                  f"{ms(took)} |")
        if args.explain:
            for username, fname, part, took, lines, sql in plans:
                print(f"\n{username}, {fname}, {part}:\n\n    {sql}\n")
                print("\n".join("    " + line for line in lines))

        if bulk:
            print("\n### Bulk approval (dry run over HTTP; the job started over HTTP and run in-process by "
                  "`app.jobs.services.execute`)\n")
            print("| reviewer, step | filter | items | dry run s | job s | items/s | job status | PostgreSQL CPU | "
                  "other CPU | target |")
            print("|---|---|---:|---:|---:|---:|---|---:|---:|---|")
            for b in bulk:
                n = len(b["ids"])
                target = "–"
                if b is bulk[0] and args.bulk:
                    target = f"< {TARGET_BULK_S:.0f} s for 10,000: " + ("met" if b["job_s"] < TARGET_BULK_S * n / 10_000
                                                                        else "MISSED")
                print(f"| {b['label']} | `{json.dumps(b['filter'].args(), ensure_ascii=False)}` | {n:,} | "
                      f"{b['dry_s']:.1f} | {b['job_s']:.1f} | {n / b['job_s']:,.0f} | {b['job_status']} | "
                      f"{b['pg_cpu'] / b['job_s'] / os.cpu_count():.0%} | {b['other_cpu']:.0%} | {target} |")
            for b in bulk:
                print(f"\n{b['label']}: job message: {b['job_message']}")
                for line in b["checks"]:
                    print(f"- {line}")
        notes = scan_log(server.log)
        print(f"\nserver log {server.log}: " + (", ".join(notes) if notes else "no errors"))

        print("\n### Targets (issue 7)\n")
        for label, username, name, r, _ in tests:
            if name.startswith("HTML") or label == "before":
                continue
            p95 = pct(r["latencies"], 95)
            print(f"- {username}, {name}: p95 {ms(p95)} ms — < 100 ms: {'met' if p95 < TARGET_P95 else 'MISSED'}")
        if bulk and args.bulk:
            b = bulk[0]
            print(f"- bulk approval of {len(b['ids']):,} items: {b['job_s']:.1f} s "
                  f"(dry run {b['dry_s']:.1f} s) — 10,000 in < 60 s: "
                  f"{'met' if b['job_s'] < TARGET_BULK_S * len(b['ids']) / 10_000 else 'MISSED'}"
                  f"; checks {'passed' if b['good_audit'] and b['job_status'] == 'done' else 'FAILED'}")
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
    finally:
        if server is not None:
            server.stop()
        keep_or_drop(args.keep, created, database, tmp)


if __name__ == "__main__":
    main()
