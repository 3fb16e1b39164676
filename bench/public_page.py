"""The public door-plate page GET /p/<token> under load, and its weight: gunicorn on the seed-scale
database, driven over loopback.

    .venv/bin/python bench/seed_load.py --instance /tmp/yb-seed      # once: build the database
    .venv/bin/python bench/public_page.py --instance /tmp/yb-seed
    .venv/bin/python bench/public_page.py --instance /tmp/yb-seed --clients 1
    .venv/bin/python bench/public_page.py --instance /tmp/yb-seed --profile /tmp/pp-prof
    .venv/bin/python bench/public_page.py --instance /tmp/yb-seed --baseline /tmp/base --rounds 3  # before/after

Plates. The demo city issues next to none, so first, inside create_app()'s app context, the script
draws --plates address nodes with a fixed seed (60 % rooms, 20 % buildings, 15 % door plates, 5 %
units, active ones only) and issues the missing plates with the app's own batch path (the one a
print job uses: plates.services._issue_missing, one INSERT per 500 nodes), timed. It also makes sure
the database holds --ended replaced and --ended revoked plates (services.reissue / services.revoke
on further nodes, once). All of this is kept in the database, so a second run issues nothing.

Then, still in-process, with the Flask test client (no cookies, as a phone camera that never saw
the site): the SQL statements of one request per kind of token (a SQLAlchemy cursor listener);
over 300 requests, the time of a request alone, in SQL and in Jinja rendering; and the time to
reload the area index, which one request in each worker pays every 60 s.

The load: for each gunicorn configuration (--configs, default sync:2) the database file is read
once into the page cache (--cold skips it), `gunicorn wsgi:app` starts on a free port of 127.0.0.1
with YIBIAO_INSTANCE set, and --clients processes (one keep-alive connection each, reconnecting
after a sync worker closes it; no cookies; a phone browser's Accept header, so unknown tokens get
the HTML notice page) request /p/<token> for --duration seconds after a short warm-up. 95 % of the
requests are active plates (each token about once), 5 % the other answers real traffic brings:
replaced and revoked plates (200, with a notice), unknown well-formed tokens and malformed ones
(404). Every 200 page is checked to contain its address's object code. The route's rate limit
(RATELIMIT_PLATE_SCAN, 120 per minute per client address by default) is raised for the run with
--scan-limit, so that Flask-Limiter still counts every request (its cost is measured) but refuses
none: all clients come from 127.0.0.1. Any answer other than 200 or 404 is an error.

Results: requests/s, p50/p95/p99/max, errors, answers not as expected, the CPU of the server, the
clients and everything else (they share the cores), the server CPU per request and the rate that
CPU would allow if the server had all cores alone. A test is repeated (--attempts) when other
processes used more than 10 % of the CPU during it; before each test the script waits
(--quiet-wait) for the machine to be quiet. The server log is scanned for errors.

Page weight: the HTML of one real plate page, every same-origin <link rel=stylesheet>, <script src>
and ES module import (inline module scripts' too, followed recursively; CSS @import too), each
gzipped at level 6, raw and gzipped bytes per resource and the total. Images (the favicon, images
CSS refers to, map tiles) are not counted and are listed apart; tiles only show with --map-tiles
(MAP_TILE_URL for the app; empty by default, when the page shows a pin and the coordinates).

Targets (the issue), on 2 cores with 2 sync workers: ≥ 500 requests/s, p95 < 30 ms, the page's
HTML+CSS+JS under 50 KB gzipped; each is printed PASS or MISS at the end. With --profile DIR,
py-spy (install it into the venv by hand; not a dependency of Yibiao) samples every worker during
the test, writes collapsed stacks to DIR and prints the hottest frames and where the time of a
request goes; figures of a profiled run are only indicative.

Before and after: --baseline DIR serves another checkout's code (`git worktree add /tmp/base
<commit>`) on the same database, alternating with this tree's for --rounds rounds, and prints each
server's runs side by side; this machine's speed drifts by a third within minutes, so only runs
alternated like this compare.
"""
from __future__ import annotations

import argparse
import datetime
import gzip
import http.client
import os
import platform
import random
import re
import sqlite3
import sys
import time
import urllib.parse
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchutil import (Request, Server, collapsed_stacks, git_state, least_disturbed, mib, ms, proc_status, run_load,  # noqa: E402
                       scan_log, summarise_profile, warm_database)

TARGET_RATE, TARGET_P95, TARGET_GZIP = 500, 0.030, 50 * 1024
MIX = (("room", 0.60), ("building", 0.20), ("door_plate", 0.15), ("unit", 0.05))
HEADERS = {  # a phone browser's first visit: no cookie
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9",
    "User-Agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/126.0 Mobile Safari/537.36",
}
EXPECTED = {"replaced": 200, "revoked": 200, "unknown": 404, "malformed": 404}  # tags of active plates: 200
TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


# --- plates, inside the app ----------------------------------------------------------------------

def prepare(n: int, ended: int, seed: int) -> tuple[list[Request], dict]:
    """Issue plates for n sampled nodes (and end 2 × `ended` more, once); the requests of the load
    test, and the in-process findings (SQL per request, a request's own time)."""
    from sqlalchemy import func, select

    from app import create_app
    from app.accounts.models import User
    from app.extensions import db
    from app.places.addresses import ADDRESS_MODELS
    from app.plates import services
    from app.plates.models import Plate

    app = create_app()
    rng = random.Random(seed)
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == "admin", User.active).order_by(User.id))
        picked: dict[str, list[str]] = {}
        for kind, share in MIX:
            model = ADDRESS_MODELS[kind]
            want = round(n * share) + (ended if kind in ("room", "door_plate") else 0)
            top = db.session.scalar(select(func.max(model.id)))
            ids = rng.sample(range(1, top + 1), min(top, int(want * 1.3) + 50))
            code_of = {}
            for part in _chunks(ids):
                code_of.update(db.session.execute(select(model.id, model.object_code)
                                                  .where(model.id.in_(part), model.status == "active")).all())
            picked[kind] = [code_of[i] for i in ids if i in code_of][:want]
        victims = picked["room"][:ended] + picked["door_plate"][:ended]
        del picked["room"][:ended], picked["door_plate"][:ended]
        codes = [c for kind, _ in MIX for c in picked[kind]]

        active = select(func.count()).select_from(Plate).where(Plate.status == "active")
        before = db.session.scalar(active)
        t0 = time.perf_counter()
        for part in _chunks(codes, services.CHUNK):
            services._issue_missing(admin, services._load_nodes(part))
            db.session.commit()
        issue_s = time.perf_counter() - t0
        issued = db.session.scalar(active) - before

        t0 = time.perf_counter()
        ended_now = Counter()
        for status, end in (("replaced", services.reissue), ("revoked", services.revoke)):
            have = db.session.scalar(select(func.count()).select_from(Plate).where(Plate.status == status))
            todo, victims = victims[:max(0, ended - have)], victims[ended:]
            if todo:
                current, _ = services._issue_missing(admin, services._load_nodes(todo))
                db.session.commit()
                for code in todo:
                    end(admin, current[code].token, "基准测试：门牌损坏")
                ended_now[status] = len(todo)
        end_s = time.perf_counter() - t0

        plates = {}
        for part in _chunks(codes):
            plates.update((code, (token, kind)) for token, kind, code in db.session.execute(
                select(Plate.token, Plate.kind, Plate.object_code)
                .where(Plate.object_code.in_(part), Plate.status == "active")))
        requests = [Request(f"/p/{plates[c][0]}", plates[c][1], c) for c in codes if c in plates]
        others = []
        for status in ("replaced", "revoked"):
            rows = db.session.execute(select(Plate.token, Plate.object_code).where(Plate.status == status)
                                      .order_by(Plate.id).limit(ended)).all()
            others += [Request(f"/p/{token}", status, code) for token, code in rows]
        share = round(len(requests) * 0.05 / 0.95)  # 5 % of all requests
        extra = [others[i % len(others)] for i in range(share * 6 // 10)] if others else []
        extra += [Request("/p/" + "".join(rng.choice(TOKEN_CHARS) for _ in range(16)), "unknown")
                  for _ in range(share * 3 // 10)]
        extra += [Request("/p/" + rng.choice(("abc", "x" * 40, "0000-1111", "%E9%97%A8%E7%89%8C")), "malformed")
                  for _ in range(share - len(extra))]
        requests += extra

        facts = {"issued": issued, "issue_s": issue_s, "nodes": len(codes), "ended_now": ended_now, "end_s": end_s,
                 "active_total": db.session.scalar(active)}
        facts.update(_in_process(app, requests))
        db.session.remove()
        db.engine.dispose()  # the client processes are forked from this one
    return requests, facts


def _in_process(app, requests: list[Request]) -> dict:
    """SQL statements of one request per kind of token, and the time of a request alone (Flask test
    client): total, in SQL (cursor execute) and in Jinja (rendering, SQL it triggers included)."""
    from flask import before_render_template, template_rendered
    from sqlalchemy import event

    from app.extensions import db
    from app.places.addresses import area_index

    client = app.test_client(use_cookies=False)
    state = {"sql": [], "sql_s": 0.0, "render_s": 0.0}

    def before_sql(conn, cursor, statement, *_):
        state["sql"].append(statement)
        conn.info["t0"] = time.perf_counter()

    def after_sql(conn, *_):
        state["sql_s"] += time.perf_counter() - conn.info.pop("t0")

    def render_start(*_, **__):
        state["r0"] = time.perf_counter()

    def render_end(*_, **__):
        state["render_s"] += time.perf_counter() - state.pop("r0")

    event.listen(db.engine, "before_cursor_execute", before_sql)
    event.listen(db.engine, "after_cursor_execute", after_sql)
    before_render_template.connect(render_start, app)
    template_rendered.connect(render_end, app)
    try:
        first = {}
        for r in requests:
            first.setdefault(r.tag, r)
        client.get(first["room"].path, headers=HEADERS)
        reloads = []
        for _ in range(3):  # what one request in each worker pays every 60 s (the index's ttl)
            t0 = time.perf_counter()
            area_index._load()
            reloads.append(time.perf_counter() - t0)
        sql_by_tag = {}
        for tag, r in first.items():
            state["sql"] = []
            response = client.get(r.path, headers=HEADERS)
            sql_by_tag[tag] = (response.status_code, list(state["sql"]), response.headers.get("Set-Cookie"))
        active = [r for r in requests if r.tag not in EXPECTED][:300]
        state.update(sql=[], sql_s=0.0, render_s=0.0)
        t0 = time.perf_counter()
        for r in active:
            client.get(r.path, headers=HEADERS)
        total = time.perf_counter() - t0
    finally:
        event.remove(db.engine, "before_cursor_execute", before_sql)
        event.remove(db.engine, "after_cursor_execute", after_sql)
        before_render_template.disconnect(render_start, app)
        template_rendered.disconnect(render_end, app)
    return {"area_reload": sorted(reloads)[1], "areas": len(area_index._by_id), "sql_by_tag": sql_by_tag,
            "alone": {"n": len(active), "total": total / len(active), "sql": state["sql_s"] / len(active),
                      "statements": len(state["sql"]) / len(active), "render": state["render_s"] / len(active)}}


def _chunks(items, size=900):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def short_sql(statement: str) -> str:
    """One line; the column list of a SELECT counted rather than listed."""
    text = " ".join(statement.split())
    return re.sub(r"^SELECT (.+?) FROM ", lambda m: f"SELECT <{m.group(1).count(',') + 1} columns> FROM ", text)


# --- page weight -------------------------------------------------------------------------------

class _Refs(HTMLParser):
    """Stylesheets, scripts, module imports of inline scripts, and images of a page."""

    def __init__(self):
        super().__init__()
        self.css, self.js, self.images, self.inline = [], [], [], []
        self._module = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        rel = (a.get("rel") or "").lower().split()
        if tag == "link" and "stylesheet" in rel:
            self.css.append(a["href"])
        elif tag == "link" and "modulepreload" in rel:
            self.js.append(a["href"])
        elif tag == "link" and "icon" in rel or tag == "img" and a.get("src"):  # <img>: map tiles too
            self.images.append(a.get("href") or a.get("src"))
        elif tag == "script" and a.get("src"):
            self.js.append(a["src"])
        elif tag == "script":
            self._module = [] if a.get("type") == "module" else None

    def handle_data(self, data):
        if self._module is not None:
            self._module.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._module is not None:
            self.inline.append("".join(self._module))
            self._module = None


MODULE_IMPORT = re.compile(  # import x from "…", import "…", export … from "…", import("…")
    r"""(?:\bimport\s*(?:[\w*{}\s,$]+\s*from\s*)?|\bexport\s*[\w*{}\s,$]+\s*from\s*|\bimport\s*\()"""
    r"""\s*["']([^"']+)["']""")
CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)""")
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")


def page_weight(port: int, path: str) -> dict:
    base = f"http://127.0.0.1:{port}{path}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(url: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
        conn.request("GET", urllib.parse.urlsplit(url)._replace(scheme="", netloc="").geturl(),
                     headers={**HEADERS, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}

    def same_origin(url: str) -> bool:
        return urllib.parse.urlsplit(url).netloc == f"127.0.0.1:{port}"

    status, html, headers = get(base)
    _, _, gz_headers = get(base, {"Accept-Encoding": "gzip"})
    rows = [("HTML", path, status, html, headers.get("cache-control", "–"))]
    refs = _Refs()
    refs.feed(html.decode())
    queue = [("CSS", urllib.parse.urljoin(base, u)) for u in refs.css]
    queue += [("JS", urllib.parse.urljoin(base, u)) for u in refs.js]
    queue += [("JS module", urllib.parse.urljoin(base, u)) for text in refs.inline for u in MODULE_IMPORT.findall(text)]
    images = {urllib.parse.urljoin(base, u): "page" for u in refs.images}
    seen, foreign = set(), []
    while queue:
        kind, url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        if not same_origin(url):
            foreign.append(url)
            continue
        status, body, got = get(url)
        rows.append((kind, urllib.parse.urlsplit(url).path, status, body, got.get("cache-control", "–")))
        text = body.decode(errors="replace")
        if kind == "CSS":
            queue += [("CSS", urllib.parse.urljoin(url, u)) for u in CSS_IMPORT.findall(text)]
            for u in CSS_URL.findall(text):
                if not u.startswith(("data:", "#")) and not u.endswith(".css"):  # not behavior: url(#default#VML)
                    images.setdefault(urllib.parse.urljoin(url, u), f"by {urllib.parse.urlsplit(url).path}")
        elif kind == "JS module":
            queue += [("JS module", urllib.parse.urljoin(url, u)) for u in MODULE_IMPORT.findall(text)]
    image_rows, far_images = [], Counter()
    for url, where in images.items():
        if same_origin(url):
            status, body, _ = get(url)
            image_rows.append((urllib.parse.urlsplit(url).path, where, status, len(body)))
        else:  # map tiles, most likely: not fetched
            far_images[urllib.parse.urlsplit(url).netloc] += 1
    conn.close()
    return {"rows": rows, "images": image_rows, "far_images": far_images, "foreign": foreign,
            "encoding": gz_headers.get("content-encoding", "none"), "cookie": headers.get("set-cookie"),
            "vary": headers.get("vary", "–")}


def print_weight(w: dict) -> int:
    print("\n### Page weight (one plate page; gzip level 6)\n")
    print("| resource | kind | status | Cache-Control | raw bytes | gzipped bytes |")
    print("|---|---|---:|---|---:|---:|")
    raw = gz = 0
    for kind, path, status, body, cache in w["rows"]:
        size = len(gzip.compress(body, 6))
        raw, gz = raw + len(body), gz + size
        print(f"| {path} | {kind} | {status} | {cache} | {len(body):,} | {size:,} |")
    print(f"| **total HTML+CSS+JS** | | | | **{raw:,}** | **{gz:,}** ({gz / 1024:.1f} KB of 1,024 bytes) |")
    print("\nnot counted:")
    for path, where, status, size in w["images"]:
        print(f"- image {path} (referenced {where}): " + (f"{size:,} bytes" if status == 200 else f"status {status}"))
    for url in w["foreign"]:
        print(f"- stylesheet or script from another origin (not fetched): {url}")
    for host, n in w["far_images"].items():
        print(f"- {n} images from {host} (map tiles; not fetched)")
    if not w["far_images"]:
        print("- map tiles: none referenced" + ("" if os.environ.get("MAP_TILE_URL") else
                                               " (MAP_TILE_URL is empty: the page shows the pin and coordinates)"))
    print(f"\nthe server itself answers Accept-Encoding: gzip with Content-Encoding: {w['encoding']}; the page "
          f"has Vary: {w['vary']}" + (f" and sets a cookie ({w['cookie'].split(';')[0].split('=')[0]}, "
                                      f"{len(w['cookie'])} bytes)" if w["cookie"] else ""))
    return gz


# --- report ------------------------------------------------------------------------------------

VIEW = "scanned (app/plates/views.py"
# Parts of a request, each sample of py-spy counted in the first whose frames match (include, exclude).
PARTS = [
    ("SQL executed by SQLite (cursor.execute, fetch)", ("do_execute (", "CursorFetchStrategy."), ()),
    ("CSRF token (csrf_token() in base.html)", ("flask_wtf/csrf.py",), ()),
    ("url_for (links in the template and view)", ("url_for (",), ()),
    ("request teardown (the session closed: rollback, connection back to the pool)", ("do_teardown_",), ()),
    ("SQLAlchemy around the queries (statements, cache keys, rows to objects, session)", ("sqlalchemy/",), ()),
    ("Jinja rendering (the rest of it)", ("render_template (",), ()),
    ("Flask-Limiter and limits (outside the view it wraps)", ("flask_limiter/", "limits/"), (VIEW,)),
    ("Flask-Login (current_user)", ("flask_login/",), ()),
    ("session cookie (open, serialise and sign)", ("open_session (", "save_session (", "itsdangerous/"), ()),
    ("the view and address helpers (app/)", ("(app/",), ()),
    ("Flask and Werkzeug (request, routing, response objects)", ("",), ()),
]
AROUND = [  # inclusive, for orientation
    ("the view scanned()", (VIEW,)),
    ("  services.scanned (token look-up and the node)", ("scanned (app/plates/services.py",)),
    ("  render_template", ("render_template (",)),
]
OUTSIDE = [  # gunicorn's part of a request
    ("writing the response to the socket", ("Response.write (gunicorn",)),
    ("closing the connection (close_graceful: shutdown, wait for the client's close)", ("close_graceful (",)),
    ("reading and parsing the request", ("Parser.__next__ (", "Request.__init__ (gunicorn")),
    ("accepting the connection", ("socket.accept (", "SyncWorker.accept (gunicorn/workers/sync.py:27)")),
    ("other threads (limits' expiry Timer, mostly waiting)", ("Thread._bootstrap (",)),
]


def where_time_goes(paths: list[Path]) -> list[str]:
    """Where the samples of the workers fall: gunicorn around the app, then inside Flask's wsgi_app,
    each sample in exactly one part (first match in PARTS)."""
    inside, outside, around, out_parts = Counter(), Counter(), Counter(), Counter()
    for stack, n in collapsed_stacks(paths):
        if ".wsgi_app (" not in stack:
            outside["all"] += n
            out_parts[next((label for label, needles in OUTSIDE if any(x in stack for x in needles)),
                           "other")] += n
            continue
        inside["all"] += n
        inside[next(label for label, needles, unless in PARTS
                    if any(x in stack for x in needles) and not any(x in stack for x in unless))] += n
        for label, needles in AROUND:
            if any(x in stack for x in needles):
                around[label] += n
    total = inside["all"] + outside["all"]
    if not inside["all"]:
        return ["  (no samples)"]
    lines = [f"  {inside['all'] / total:.0%} of the workers' samples are inside Flask's wsgi_app, "
             f"{outside['all'] / total:.0%} in gunicorn around it:"]
    lines += [f"    {out_parts[label] / total:6.1%}  {label}" for label, _ in OUTSIDE]
    lines.append(f"    {out_parts['other'] / total:6.1%}  other (the WSGI environ, worker bookkeeping)")
    lines.append("  inside wsgi_app (each sample counted once, in the first part that matches):")
    lines += [f"    {inside[label] / inside['all']:6.1%}  {label}" for label, _, _ in PARTS]
    lines.append("  inside wsgi_app, inclusive:")
    lines += [f"    {around[label] / inside['all']:6.1%}  {label}" for label, _ in AROUND]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instance", default="/tmp/yb-seed", help="directory with yibiao.db (default %(default)s)")
    parser.add_argument("--configs", default="sync:2",
                        help="gunicorn configurations, comma-separated kind:workers[:threads] (default %(default)s)")
    parser.add_argument("--clients", type=int, default=4, help="client processes (default %(default)s)")
    parser.add_argument("--duration", type=float, default=15, help="seconds of the test (default %(default)s)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap per test")
    parser.add_argument("--plates", type=int, default=20_000, help="active plates drawn (default %(default)s)")
    parser.add_argument("--ended", type=int, default=300,
                        help="replaced plates, and revoked ones, in the mix (default %(default)s)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scan-limit", default="1000000 per minute",
                        help="RATELIMIT_PLATE_SCAN for the server (default %(default)s; the app's is 120 per minute)")
    parser.add_argument("--map-tiles", default="", metavar="URL",
                        help="MAP_TILE_URL for the app, e.g. https://tile.example.cn/{z}/{x}/{y}.png (default: none)")
    parser.add_argument("--cold", action="store_true", help="do not read the database file into the page cache first")
    parser.add_argument("--quiet-wait", type=float, default=300,
                        help="before each test, wait up to this many seconds for other processes to use under "
                             "10%% of the CPU (0: do not wait; default %(default)s)")
    parser.add_argument("--attempts", type=int, default=3,
                        help="runs of a test at most, while other processes disturb it (default %(default)s)")
    parser.add_argument("--profile", metavar="DIR", type=Path, help="py-spy every worker during the test")
    parser.add_argument("--log-dir", type=Path, default=ROOT / "bench" / "out", help="server logs (default bench/out)")
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="also serve the code of another checkout (git worktree add /tmp/base <commit>), "
                             "alternating with this tree's, and print both side by side")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each configuration (and tree) (default %(default)s)")
    args = parser.parse_args()

    instance = Path(args.instance).resolve()
    db_path = instance / "yibiao.db"
    if not db_path.exists():
        sys.exit(f"no database in {instance}: build it with bench/seed_load.py --instance {instance}")
    args.log_dir.mkdir(parents=True, exist_ok=True)
    # The app reads its configuration when first imported (in prepare): this instance, always SQLite;
    # the server started later inherits the same.
    os.environ.update(YIBIAO_INSTANCE=str(instance), RATELIMIT_PLATE_SCAN=args.scan_limit, MAP_TILE_URL=args.map_tiles)
    os.environ.pop("DATABASE_URL", None)

    print(f"Yibiao public plate page — {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}; {git_state()}")
    print(f"database {db_path} ({db_path.stat().st_size / 2**20:,.0f} MiB)")
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    newest = max(p.name.split("_")[0] for p in (ROOT / "migrations" / "versions").glob("[0-9]*.py"))
    print(f"database at migration {revision}, the code's newest is {newest}"
          + ("" if revision == newest else " (not migrated here: bench/seed_load.py --force builds a current one)"))
    t0 = time.perf_counter()
    requests, facts = prepare(args.plates, args.ended, args.seed)
    print(f"plates: {facts['issued']:,} issued in {facts['issue_s']:.1f} s for {facts['nodes']:,} sampled nodes "
          + (f"({facts['issued'] / facts['issue_s']:,.0f}/s, the print job's batch path); " if facts["issued"]
             else "(they all had one from an earlier run); ")
          + (", ".join(f"{n} {s}" for s, n in facts["ended_now"].items()) + f" in {facts['end_s']:.1f} s; "
             if facts["ended_now"] else "")
          + f"{facts['active_total']:,} active plates in the database; preparation {time.perf_counter() - t0:.1f} s")
    mix = Counter(r.tag for r in requests)
    print(f"requests: {len(requests):,} — " + ", ".join(f"{tag} {n:,}" for tag, n in mix.most_common()))
    print(f"rate limit RATELIMIT_PLATE_SCAN={args.scan_limit} for the run (the app's default is 120 per minute "
          "per client address): the limiter counts every request but refuses none; "
          f"MAP_TILE_URL={args.map_tiles or '(empty)'}")

    print("\n### One request alone (in-process, Flask test client, no cookies)\n")
    alone = facts["alone"]
    print(f"{alone['n']} active plates: {ms(alone['total'])} ms a request, of which {ms(alone['sql'])} ms executing "
          f"{alone['statements']:.1f} SQL statements and {ms(alone['render'])} ms rendering the template")
    print(f"besides, one request in each worker every 60 s reloads the area index ({facts['areas']:,} areas, "
          f"app/places/addresses.py): {ms(facts['area_reload'])} ms")
    for tag, (status, statements, cookie) in facts["sql_by_tag"].items():
        print(f"\n{tag}: status {status}, {len(statements)} SQL statement(s)"
              + (f", sets cookie {cookie.split('=')[0]}" if cookie else ""))
        for s in statements:
            print(f"  - {short_sql(s)}")

    headers = HEADERS
    probe = next(r.path for r in requests if r.tag == "room")
    summary, weight_gz = [], None
    trees = [(f"baseline {git_state(args.baseline)}", args.baseline.resolve()), ("this tree", ROOT)] if args.baseline \
        else [("", ROOT)]
    plan = [(spec, code, tree) for _ in range(args.rounds) for spec in args.configs.split(",") for code, tree in trees]
    for spec, code, tree in plan:
        server = Server(spec, instance, args.log_dir, env={"RATELIMIT_PLATE_SCAN": args.scan_limit},
                        note=code or f"RATELIMIT_PLATE_SCAN {args.scan_limit}", log_name="public-page-gunicorn", tree=tree)
        warm_database(db_path, args.cold)
        print(f"starting gunicorn ({server.label}) on 127.0.0.1:{server.port} …", flush=True)
        t_start = time.perf_counter()
        try:
            server.start(probe, headers)
            print(f"answering after {time.perf_counter() - t_start:.1f} s; workers {server.worker_pids()}", flush=True)
            if weight_gz is None:
                weight_gz = print_weight(page_weight(server.port, probe))
            run_load("warm-up", server, headers, requests[::max(1, len(requests) // 400)], 2, 3.0, 400, seed=args.seed)
            print("\n/p/<token> …", flush=True)
            result = least_disturbed(
                lambda: run_load("public page", server, headers, requests, args.clients, args.duration,
                                 args.max_requests, args.profile, args.seed),
                lambda run: run.other_cpu / run.duration / os.cpu_count(), args.attempts, args.quiet_wait,
                once=bool(args.profile))
            rss = {p: proc_status(p) for p in server.worker_pids()}
        finally:
            server.stop()
        print_result(server, result, args.clients)
        print("\nworker RSS at the end (MiB): " + ", ".join(
            f"{pid}: {mib(s.get('VmRSS', 0))} (peak {mib(s.get('VmHWM', 0))})" for pid, s in rss.items()))
        notes = scan_log(server.log)
        print(f"server log {server.log}: " + (", ".join(notes) if notes else "no errors"))
        if args.profile:
            print(f"\nprofile ({', '.join(str(f) for f in result.profiles)}):")
            print("\n".join(summarise_profile(result.profiles, top=30)))
            print("\nwhere the time of a request goes:")
            print("\n".join(where_time_goes(result.profiles)))
        summary.append((server, result))

    if len(summary) > 1:
        print_side_by_side(summary)
    print("\n### Targets (issue), on 2 cores\n")
    for server, r in summary:
        print(f"- {server.label}: {r.rate:,.0f} requests/s — target ≥ {TARGET_RATE}/s: "
              f"{'PASS' if r.rate >= TARGET_RATE else 'MISS'}")
        print(f"- {server.label}: p95 {ms(r.pct(95))} ms — target < {TARGET_P95 * 1000:.0f} ms: "
              f"{'PASS' if r.pct(95) < TARGET_P95 else 'MISS'}")
    if weight_gz is not None:
        print(f"- page HTML+CSS+JS {weight_gz:,} bytes = {weight_gz / 1024:.1f} KB gzipped — target < 50 KB "
              f"({TARGET_GZIP:,} bytes, KB of 1,024 bytes as tests/collect/test_pwa.py counts): "
              f"{'PASS' if weight_gz < TARGET_GZIP else 'MISS'}")


def print_side_by_side(summary: list) -> None:
    """Each server's runs in the order they ran (trees alternated), and their mean."""
    print("\n### Side by side (runs alternated, in the order they ran)\n")
    print("| server | requests/s, each run | mean | p95 ms, each run | server CPU ms per request, each run |")
    print("|---|---|---:|---|---|")
    groups: dict[str, list] = {}
    for server, r in summary:
        groups.setdefault(server.label, []).append(r)
    for label, runs in groups.items():
        rates = [r.rate for r in runs]
        print(f"| {label} | {', '.join(f'{x:,.0f}' for x in rates)} | {sum(rates) / len(rates):,.0f} | "
              f"{', '.join(ms(r.pct(95)) for r in runs)} | "
              f"{', '.join(ms(r.server_cpu / len(r.latencies)) for r in runs)} |")


def print_result(server: Server, r, clients: int) -> None:
    cores = os.cpu_count()
    errors = sum(n for s, n in r.statuses.items() if s not in (200, 404))
    wrong = sum(n for tag, c in r.status_by_tag.items() for s, n in c.items()
                if s in (200, 404) and s != EXPECTED.get(tag, 200))
    missing = sum(1 for hits in r.hits.values() for h in hits if not h)
    print(f"\n### {server.label} ({clients} client processes)\n")
    print("| requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors (not 200/404) | server CPU | "
          "client CPU | other CPU | server CPU per request | req/s that CPU allows on all cores |")
    print("|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    per_request = r.server_cpu / len(r.latencies)
    bad = ", ".join(f"{s or 'no answer'}×{n}" for s, n in r.statuses.items() if s not in (200, 404))
    print(f"| {len(r.latencies):,} | {r.rate:,.0f} | {ms(r.pct(50))} | {ms(r.pct(95))} | {ms(r.pct(99))} | "
          f"{ms(max(r.latencies))} | {errors:,}{' (' + bad + ')' if bad else ''} | "
          f"{r.server_cpu / r.duration / cores:.0%} | {r.client_cpu / r.duration / cores:.0%} | "
          f"{r.other_cpu / r.duration / cores:.0%} | {ms(per_request)} ms | {cores / per_request:,.0f} |")
    print(f"\n(CPU as a share of all {cores} cores over the test; the clients run on the same cores, and 'other' "
          "is everything else on the machine, py-spy included. The last column is cores ÷ server CPU per "
          "request: what the server could do without the clients beside it.)")
    print(f"\nanswers not as expected: {wrong} (status), {missing} (a 200 page without its object code)\n")
    print("| token | requests | statuses | p50 ms | p95 ms | page shows its address |")
    print("|---|---:|---|---:|---:|---:|")
    for tag, values in sorted(r.by_tag.items(), key=lambda kv: -len(kv[1])):
        hits = r.hits.get(tag)
        statuses = ", ".join(f"{s}×{n:,}" for s, n in sorted(r.status_by_tag[tag].items()))
        print(f"| {tag} | {len(values):,} | {statuses} | {ms(r.pct(50, values))} | {ms(r.pct(95, values))} | "
              f"{f'{sum(hits) / len(hits):.0%}' if hits else '–'} |")


if __name__ == "__main__":
    main()
