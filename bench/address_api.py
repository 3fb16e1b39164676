"""The address API under load: gunicorn on the seed-scale database, driven over loopback.

    .venv/bin/python bench/seed_load.py --instance /tmp/yb-seed      # once: build the database
    .venv/bin/python bench/address_api.py --instance /tmp/yb-seed
    .venv/bin/python bench/address_api.py --instance /tmp/yb-seed --clients 1 --only lookup,search,nearby
    .venv/bin/python bench/address_api.py --instance /tmp/yb-seed --configs sync:2 --only lookup --profile bench/out

For each server configuration (`sync:2` = 2 sync workers, `gthread:2:4` = 2 workers of 4 threads;
default: both) the script reads the database file once (so that the first requests do not wait for
the disk; --cold skips it), starts `gunicorn wsgi:app` on a free port of 127.0.0.1 with
YIBIAO_INSTANCE set, waits until it answers, and then, with the department API key from
demo-logins.txt:

1. exports GeoJSON (streamed) of the smallest and the largest district and of the whole city, one at
   a time, reading the body in 64 KiB pieces and sampling the serving worker's RSS from /proc every
   20 ms: time to the first 64 KiB, total time, bytes, features (parsed back and counted against
   the database), and the worker's VmRSS/VmHWM before, the highest VmRSS during, and VmRSS/VmHWM
   after;
2. drives each read endpoint for a fixed time (--duration) with --clients client processes (one
   keep-alive http.client connection each; sync workers close it after every response and the
   client reconnects): object-code lookups (rooms, buildings, units, door plates), text search
   (real addresses written several ways: standard, with the district and township in front,
   Chinese numerals, 1-2-301 shorthand, a typo in the road name, full-width digits, door plate
   only), nearby buildings within 100 m (a point some 30 m from a random building, in WGS-84 and
   in GCJ-02), one page of a township's buildings, and the floor: /api/v1/areas, the cheapest
   authenticated endpoint, which shows what every request pays before its own work.

Inputs are drawn from the database with a fixed random seed. Results: requests/s, latency
percentiles, non-200 answers, the CPU used by the server, by the clients and by everything else on
the machine (all share the same cores), and for search and nearby how often the address the input
was made from came back. With 4 clients on 2 workers a request usually waits for another one, so
the percentiles are those of a saturated server; --clients 1 gives the time of a request alone.
A test is repeated (--attempts) when other processes used more than 10 % of the CPU during it, and
before each test the script waits (--quiet-wait) for the machine to be quiet. Targets from issue 4
are checked at the end, and the server's log is scanned for errors. Everything runs on 127.0.0.1
for a bounded time, and the server is stopped at the end (also on Ctrl-C).

The API-key rate limit (RATELIMIT_API_KEY, 6000 per minute by default) is raised for the run with
--rate-limit, or a single key could not be driven past 100 requests/s (per worker, with memory
storage) for long; --limiter-storage sets RATELIMIT_STORAGE_URI (e.g. Redis). --wsgi runs another
WSGI module (on PYTHONPATH) instead of wsgi:app, to measure a change before making it. With
--profile DIR, py-spy (install it into the venv by hand; it is not a dependency of Yibiao) samples
every worker during each load test, writes collapsed stacks to DIR and prints the hottest frames;
figures of profiled runs are only indicative.
"""
from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import platform
import random
import re
import sqlite3
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.standards import coords  # noqa: E402
from benchutil import (Request, Result, Server, cpu_seconds, git_state, least_disturbed, summarise_profile,  # noqa: E402
                       machine_busy, mib, ms, proc_status, run_load, scan_log, warm_database)

TARGETS = {  # issue 4, on 2 cores
    "lookup": ("≥ 1,000 requests/s", lambda r: r.rate >= 1000),
    "search": ("p95 < 100 ms", lambda r: r.pct(95) < 0.100),
    "nearby wgs84": ("p95 < 20 ms", lambda r: r.pct(95) < 0.020),
    "nearby gcj02": ("p95 < 20 ms", lambda r: r.pct(95) < 0.020),
}


# --- inputs from the database ----------------------------------------------------------------

@dataclass
class Inputs:
    lookup: list[Request]
    search: list[Request]
    nearby_wgs84: list[Request]
    nearby_gcj02: list[Request]
    area_page: list[Request]
    floor: list[Request]
    exports: list[tuple[str, str, int]]  # (area code, label, active buildings)


TYPOS = {"民": "明", "放": "方", "原": "园", "虹": "红", "园": "圆", "溪": "西", "江": "姜", "空": "控", "设": "没",
         "利": "力", "主": "住", "华": "化", "进": "近", "谊": "意", "和": "合", "明": "民", "福": "富", "阳": "杨",
         "风": "丰", "结": "节", "振": "震", "汉": "汗", "襄": "湘", "樊": "凡", "米": "迷", "诸": "猪", "葛": "哥",
         "隆": "龙", "岘": "现", "鹿": "路", "卧": "握", "龙": "隆", "荆": "京", "州": "洲", "南": "楠", "湖": "胡",
         "北": "被", "西": "希", "湾": "弯", "东": "冬", "津": "金", "清": "青", "河": "和", "柿": "市", "铺": "浦",
         "七": "期", "里": "理", "紫": "子", "贞": "真", "高": "搞", "新": "心", "航": "行", "天": "田", "追": "锥",
         "日": "曰", "长": "常", "征": "正", "邓": "登", "城": "成", "屏": "平", "定": "订", "中": "钟", "炮": "泡",
         "大": "达", "庆": "青", "铁": "贴", "佛": "弗", "人": "仁", "解": "界", "春": "椿", "檀": "谭", "丹": "单",
         "建": "健", "胜": "圣", "前": "钱", "友": "有", "平": "苹", "光": "广", "幸": "辛", "朝": "潮", "团": "图",
         "习": "席", "家": "佳", "民主": "明主"}
CN_DIGITS = "零一二三四五六七八九"


def _cn_number(n: str) -> str:
    """12 -> 十二 (cn2an, as people write door numbers)."""
    import cn2an

    return cn2an.an2cn(int(n)) if n.isdigit() else n


def _cn_digits(n: str) -> str:
    """301 -> 三零一 (room numbers are read digit by digit)."""
    return "".join(CN_DIGITS[int(c)] if c.isdigit() else c for c in n)


def _typo(road: str, rng: random.Random) -> str:
    """One character of the road's name (not 路/街/巷) swapped for a look- or sound-alike."""
    spots = [i for i, c in enumerate(road[:-1]) if c in TYPOS]
    if not spots:
        return road[:-1] + ("街" if road[-1] != "街" else "路")
    i = rng.choice(spots)
    return road[:i] + TYPOS[road[i]] + road[i + 1:]


def _sample_ids(conn, table: str, n: int, rng: random.Random) -> list[int]:
    top = conn.execute(f"SELECT max(id) FROM {table}").fetchone()[0]
    return rng.sample(range(1, top + 1), min(n, top))


def _chunks(items, size=900):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def pick_inputs(db_path: Path, n: int, seed: int) -> Inputs:
    rng = random.Random(seed)
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    q = lambda sql, ids: [row for part in _chunks(ids) for row in conn.execute(  # noqa: E731
        sql.replace("?IDS", ",".join("?" * len(part))), part)]

    # Object codes: half rooms, then buildings, door plates and units (as a department would ask).
    lookup = []
    for table, share in (("room", 0.5), ("building", 0.2), ("door_plate", 0.2), ("unit", 0.1)):
        for (code,) in q(f"SELECT object_code FROM {table} WHERE id IN (?IDS)",
                         _sample_ids(conn, table, int(n * share), rng)):
            lookup.append(Request(f"/api/v1/addresses/{code}", table))
    rng.shuffle(lookup)

    # Address texts, from rooms and door plates chosen at random, each written one way.
    area_names = {code: name for code, name in conn.execute("SELECT code, name FROM area")}
    area_code_of = dict(conn.execute("SELECT id, code FROM area"))
    rooms = q("""SELECT r.object_code, rd.name, dp.number, b.number, u.number, r.number, b.area_id
                 FROM room r JOIN building b ON r.building_id = b.id JOIN door_plate dp ON b.door_plate_id = dp.id
                 JOIN road rd ON dp.road_id = rd.id LEFT JOIN unit u ON r.unit_id = u.id WHERE r.id IN (?IDS)""",
              _sample_ids(conn, "room", n, rng))
    plates = q("""SELECT dp.object_code, rd.name, dp.number, dp.area_id FROM door_plate dp
                  JOIN road rd ON dp.road_id = rd.id WHERE dp.id IN (?IDS)""",
               _sample_ids(conn, "door_plate", n // 6, rng))
    search = []
    variants = ("standard", "with district+township", "chinese numerals", "shorthand 1-2-301", "road typo",
                "full-width digits")
    for i, (code, road, number, building, unit, room, area_id) in enumerate(rooms):
        variant = variants[i % len(variants)]
        chain = {"road": road, "number": number, "building": building, "unit": unit, "room": room}
        if variant == "chinese numerals":
            chain = {"road": road, "number": _cn_number(number), "building": building and _cn_number(building),
                     "unit": unit and _cn_number(unit), "room": _cn_digits(room)}
        if variant == "road typo":
            chain["road"] = _typo(road, rng)
        if variant == "shorthand 1-2-301" and building:
            text = f"{road}{number}号" + "-".join(p for p in (building, unit, room) if p)
        else:
            text = f"{chain['road']}{chain['number']}号" + (f"{chain['building']}栋" if chain["building"] else "") \
                + (f"{chain['unit']}单元" if chain["unit"] else "") + f"{chain['room']}室"
        if variant == "with district+township":
            area = area_code_of[area_id]
            text = area_names[area[:6]] + area_names[area[:9]] + text
        if variant == "full-width digits":
            text = text.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
        search.append(Request("/api/v1/addresses/search?" + urllib.parse.urlencode({"q": text}), variant, code))
    for code, road, number, area_id in plates:
        search.append(Request("/api/v1/addresses/search?" + urllib.parse.urlencode({"q": f"{road}{number}号"}),
                              "door plate only", code))
    rng.shuffle(search)

    # Points some 30 m (a Gaussian per axis) from a random building, 100 m around.
    nearby_wgs84, nearby_gcj02 = [], []
    for code, lon, lat in q("SELECT object_code, lon, lat FROM building WHERE id IN (?IDS)",
                            _sample_ids(conn, "building", n, rng)):
        plon = lon + rng.gauss(0, 30) / 94_000  # metres per degree of longitude near 32° N
        plat = lat + rng.gauss(0, 30) / 110_900
        nearby_wgs84.append(Request(f"/api/v1/buildings/nearby?lon={plon:.7f}&lat={plat:.7f}&radius_m=100",
                                    "wgs84", code))
        glon, glat = coords.wgs84_to_gcj02(plon, plat)
        nearby_gcj02.append(Request(f"/api/v1/buildings/nearby?lon={glon:.7f}&lat={glat:.7f}&radius_m=100&crs=gcj02",
                                    "gcj02", code))

    # One page (50) of the buildings of a random township.
    townships = [code for code, in conn.execute("SELECT code FROM area WHERE level = 'township'")]
    area_page = [Request(f"/api/v1/areas/{rng.choice(townships)}/buildings?limit=50", "township")
                 for _ in range(n // 4)]

    # Districts by active buildings; export the smallest and the largest, and the whole city.
    counts = dict(conn.execute("""SELECT substr(a.code, 1, 6), count(*) FROM building b JOIN area a
                                  ON b.area_id = a.id WHERE b.status = 'active' GROUP BY 1"""))
    by_size = sorted(counts, key=counts.get)
    city = conn.execute("SELECT code, name FROM area WHERE level = 'city'").fetchone()
    exports = [(by_size[0], f"smallest district {area_names[by_size[0]]}", counts[by_size[0]]),
               (by_size[-1], f"largest district {area_names[by_size[-1]]}", counts[by_size[-1]]),
               (city[0], f"whole city {city[1]}", sum(counts.values()))]
    conn.close()
    # The floor: the cheapest authenticated endpoint (the key's root areas, one small query).
    floor = [Request("/api/v1/areas", "root areas")]
    return Inputs(lookup, search, nearby_wgs84, nearby_gcj02, area_page, floor, exports)


# --- the export ------------------------------------------------------------------------------

def run_export(server: Server, key: str, code: str) -> dict:
    own_before = time.process_time()
    pids = server.worker_pids()
    before = {pid: proc_status(pid) for pid in pids}
    cpu_before = {pid: cpu_seconds(pid) for pid in pids}
    server_before, busy_before = server.cpu(), machine_busy()
    peak = {pid: 0 for pid in pids}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            for pid in pids:
                peak[pid] = max(peak[pid], proc_status(pid).get("VmRSS", 0))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    t0 = time.perf_counter()
    conn.request("GET", f"/api/v1/areas/{code}/export.geojson", headers={"Authorization": f"Bearer {key}"})
    response = conn.getresponse()
    first = response.read(65536) if response.status == 200 else response.read()
    ttfb = time.perf_counter() - t0
    pieces = [first]
    error = None
    try:
        while piece := response.read(65536):
            pieces.append(piece)
    except (OSError, http.client.HTTPException) as e:
        error = f"{type(e).__name__}: {e}"
    total = time.perf_counter() - t0
    # Everything but the server (and this process, reading) counts as disturbance.
    own = time.process_time()
    other = machine_busy() - busy_before - (server.cpu() - server_before)
    stop.set()
    sampler.join()
    conn.close()
    time.sleep(0.2)
    after = {pid: proc_status(pid) for pid in pids}
    # The worker that served it is the one that used the CPU.
    served = max(pids, key=lambda pid: cpu_seconds(pid) - cpu_before[pid])
    body = b"".join(pieces)
    features = None
    if response.status == 200 and error is None:
        try:
            doc = json.loads(body)
            features = len(doc["features"])
        except ValueError as e:
            error = f"not JSON: {e}"
    return {"status": response.status, "ttfb": ttfb, "total": total, "bytes": len(body), "features": features,
            "error": error, "pid": served, "other": max(0.0, other - (own - own_before)) / total / os.cpu_count(),
            "rss_before": before[served].get("VmRSS", 0), "hwm_before": before[served].get("VmHWM", 0),
            "rss_peak": peak[served], "rss_after": after[served].get("VmRSS", 0),
            "hwm_after": after[served].get("VmHWM", 0)}


# --- report ----------------------------------------------------------------------------------

def print_results(server: Server, results: list[Result], exports: list[tuple[tuple, dict]], clients: int) -> None:
    cores = os.cpu_count()
    print(f"\n### {server.label} ({clients} client processes)\n")
    print("| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | non-200 | server CPU | client CPU | "
          "other CPU | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|")
    for r in results:
        bad = {s: n for s, n in r.statuses.items() if s != 200}
        target = ""
        if r.name in TARGETS:
            text, ok = TARGETS[r.name]
            target = f"{text}: {'met' if ok(r) else 'MISSED'}"
        print(f"| {r.name} | {len(r.latencies):,} | {r.rate:,.0f} | {ms(r.pct(50))} | {ms(r.pct(95))} | "
              f"{ms(r.pct(99))} | {ms(max(r.latencies))} | {', '.join(f'{s}×{n}' for s, n in bad.items()) or '–'} | "
              f"{r.server_cpu / r.duration / cores:.0%} | {r.client_cpu / r.duration / cores:.0%} | "
              f"{r.other_cpu / r.duration / cores:.0%} | {target} |")
    print(f"\n(CPU as a share of all {cores} cores over the test; the clients run on the same cores, and "
          "'other' is everything else on the machine, py-spy included: above a few per cent the figures "
          "are disturbed.)")
    for r in results:
        if len(r.by_tag) < 2 and not r.hits:
            continue
        print(f"\n{r.name} by input:\n")
        print("| input | requests | p50 ms | p95 ms | answer contains the address it was made from |")
        print("|---|---:|---:|---:|---:|")
        for tag, values in sorted(r.by_tag.items()):
            hits = r.hits.get(tag)
            found = f"{sum(hits) / len(hits):.0%}" if hits else "–"
            print(f"| {tag} | {len(values):,} | {ms(r.pct(50, values))} | {ms(r.pct(95, values))} | {found} |")
    if exports:
        print("\nGeoJSON export (one request at a time; RSS of the worker that served it, MiB):\n")
        print("| area | buildings | status | features | MiB sent | first 64 KiB s | total s | RSS before | "
              "peak RSS during | RSS after | VmHWM before → after | other CPU |")
        print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
        for (code, label, n), e in exports:
            print(f"| {label} ({code}) | {n:,} | {e['status']}{' ' + e['error'] if e['error'] else ''} | "
                  f"{e['features'] if e['features'] is not None else '–'} | {e['bytes'] / 2**20:.1f} | "
                  f"{e['ttfb']:.2f} | {e['total']:.2f} | {mib(e['rss_before'])} | {mib(e['rss_peak'])} | "
                  f"{mib(e['rss_after'])} | {mib(e['hwm_before'])} → {mib(e['hwm_after'])} | {e['other']:.0%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instance", default="/tmp/yb-seed", help="directory with yibiao.db and demo-logins.txt")
    parser.add_argument("--configs", default="sync:2,gthread:2:4",
                        help="gunicorn configurations, comma-separated kind:workers[:threads] (default %(default)s)")
    parser.add_argument("--clients", type=int, default=4, help="client processes (default %(default)s)")
    parser.add_argument("--duration", type=float, default=15, help="seconds per endpoint (default %(default)s)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap per endpoint")
    parser.add_argument("--inputs", type=int, default=3000, help="inputs drawn per endpoint (default %(default)s)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--only", help="comma-separated subset: lookup,search,nearby,page,floor,export")
    parser.add_argument("--rate-limit", default="100000000 per minute",
                        help="RATELIMIT_API_KEY for the server (default %(default)s)")
    parser.add_argument("--limiter-storage", default="",
                        help="RATELIMIT_STORAGE_URI for the server, e.g. redis://127.0.0.1:6379/15 (default: the "
                             "app's own, memory:// unless REDIS_URL is set)")
    parser.add_argument("--wsgi", default="wsgi:app",
                        help="the application for gunicorn (default %(default)s); another module on PYTHONPATH "
                             "can wrap it, to try a change before making it")
    parser.add_argument("--cold", action="store_true",
                        help="do not read the database file into the page cache before each configuration")
    parser.add_argument("--quiet-wait", type=float, default=300,
                        help="before each test, wait up to this many seconds for other processes to use under "
                             "10%% of the CPU (0: do not wait; default %(default)s)")
    parser.add_argument("--attempts", type=int, default=3,
                        help="runs of a test at most, while other processes disturb it (default %(default)s)")
    parser.add_argument("--profile", metavar="DIR", type=Path, help="py-spy every worker during each load test")
    parser.add_argument("--profile-idle", action="store_true",
                        help="with --profile: sample waiting threads too (py-spy --idle), to see where requests wait")
    parser.add_argument("--log-dir", type=Path, default=ROOT / "bench" / "out", help="server logs (default bench/out)")
    args = parser.parse_args()

    instance = Path(args.instance).resolve()
    db_path = instance / "yibiao.db"
    logins = instance / "demo-logins.txt"
    if not db_path.exists() or not logins.exists():
        sys.exit(f"no database in {instance}: build it with bench/seed_load.py --instance {instance}")
    key = re.search(r"ybk_[A-Za-z0-9_\-]+", logins.read_text(encoding="utf-8")).group(0)
    headers = {"Authorization": f"Bearer {key}"}
    only = set(args.only.split(",")) if args.only else {"lookup", "search", "nearby", "page", "floor", "export"}
    args.log_dir.mkdir(parents=True, exist_ok=True)

    print(f"Yibiao address API — {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}; {git_state()}")
    print(f"database {db_path} ({db_path.stat().st_size / 2**20:,.0f} MiB)")
    t0 = time.perf_counter()
    inputs = pick_inputs(db_path, args.inputs, args.seed)
    print(f"inputs drawn in {time.perf_counter() - t0:.1f} s: {len(inputs.lookup)} codes, {len(inputs.search)} "
          f"texts, {len(inputs.nearby_wgs84)} points; {args.clients} clients, {args.duration:.0f} s per endpoint")

    summary = []
    for spec in args.configs.split(","):
        server = Server(spec, instance, args.log_dir, wsgi=args.wsgi,
                        env={"RATELIMIT_API_KEY": args.rate_limit,
                             **({"RATELIMIT_STORAGE_URI": args.limiter_storage} if args.limiter_storage else {})},
                        note=f"rate-limit storage {args.limiter_storage or 'memory://'}")
        warm_database(db_path, args.cold)
        print(f"starting gunicorn ({server.label}) on 127.0.0.1:{server.port} …", flush=True)
        t_start = time.perf_counter()
        try:
            server.start("/api/v1/areas", headers)
            print(f"answering after {time.perf_counter() - t_start:.1f} s; workers {server.worker_pids()}; "
                  f"RSS " + ", ".join(mib(proc_status(p).get('VmRSS', 0)) for p in server.worker_pids()) + " MiB",
                  flush=True)
            # Warm-up: every endpoint a little, both workers (not recorded).
            warm = inputs.lookup[:40] + inputs.search[:40] + inputs.nearby_wgs84[:40] + inputs.nearby_gcj02[:20] \
                + inputs.area_page[:20]
            run_load("warm-up", server, headers, warm, 2, 3.0, len(warm), seed=args.seed)
            exports = []
            if "export" in only:
                for code, label, n in inputs.exports:
                    print(f"export {label} …", flush=True)
                    best = least_disturbed(lambda: run_export(server, key, code), lambda run: run["other"],
                                           args.attempts, args.quiet_wait)
                    exports.append(((code, label, n), best))
            plan = [("lookup", inputs.lookup), ("search", inputs.search), ("nearby wgs84", inputs.nearby_wgs84),
                    ("nearby gcj02", inputs.nearby_gcj02), ("area page", inputs.area_page),
                    ("floor", inputs.floor)]
            results = []
            for name, requests in plan:
                if {"area page": "page"}.get(name, name.split()[0]) not in only:
                    continue
                print(f"{name} …", flush=True)
                result = least_disturbed(
                    lambda: run_load(name, server, headers, requests, args.clients, args.duration, args.max_requests,
                                     args.profile, args.seed, args.profile_idle),
                    lambda run: run.other_cpu / run.duration / os.cpu_count(), args.attempts, args.quiet_wait,
                    once=bool(args.profile))
                results.append(result)
                if args.profile:
                    print(f"profile of {name} ({', '.join(str(f) for f in result.profiles)}):")
                    print("\n".join(summarise_profile(result.profiles)))
            rss = {p: proc_status(p) for p in server.worker_pids()}
        finally:
            server.stop()
        print_results(server, results, exports, args.clients)
        print("\nworker RSS at the end (MiB): " + ", ".join(
            f"{pid}: {mib(s.get('VmRSS', 0))} (peak {mib(s.get('VmHWM', 0))})" for pid, s in rss.items()))
        notes = scan_log(server.log)
        print(f"server log {server.log}: " + (", ".join(notes) if notes else "no errors"))
        summary.append((server, results))

    print("\n### Targets (issue 4)\n")
    for server, results in summary:
        for r in results:
            if r.name in TARGETS:
                text, ok = TARGETS[r.name]
                value = f"{r.rate:,.0f}/s" if r.name == "lookup" else f"p95 {ms(r.pct(95))} ms"
                print(f"- {server.label}: {r.name} {value} — target {text}: {'met' if ok(r) else 'MISSED'}")


if __name__ == "__main__":
    main()
