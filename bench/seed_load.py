"""Build the seed-scale demo city on SQLite, timing it and recording the peak memory.

    .venv/bin/python bench/seed_load.py --instance /tmp/yb-seed            # seed scale
    .venv/bin/python bench/seed_load.py --instance /tmp/yb-s --scale small
    .venv/bin/python bench/seed_load.py --instance /tmp/yb-seed --py-spy /tmp/seed.svg

Runs `flask db upgrade` and then `flask demo-city --scale …` as child processes against a fresh
SQLite database in the given directory (YIBIAO_INSTANCE), exactly as a user would. For each step it
prints the wall time, the CPU time and the peak resident set size (ru_maxrss of the child, from
os.wait4); while the load runs it samples the child's RSS from /proc every second, so a growing
footprint shows. At the end: rows per table, the database file size, and the target from issue 4
(seed scale in under 10 minutes on this machine).

With --py-spy the load runs under `py-spy record` (a sampling profiler, install it into the venv by
hand: it is not a dependency of Yibiao) and the flame graph (or speedscope JSON) is written there;
the figures are then those of the profiled run and only indicative.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from benchutil import git_state, machine_busy  # noqa: E402
VENV_BIN = Path(sys.executable).parent
TARGET_S = 600  # issue 4: seed scale in under 10 minutes
TABLES = ("area", "road", "door_plate", "compound", "building", "unit", "room", "housing", "resident",
          "organisation", "binding")


def rss_kib(pid: int) -> int:
    """Current resident set size of a process (KiB), 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kib(pid: int) -> int:
    """RSS of a process and its children (py-spy runs the interpreter as a child)."""
    total = rss_kib(pid)
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return total + sum(tree_rss_kib(int(c)) for c in children)


def run_step(label: str, argv: list[str], env: dict, sample_every: float | None = None) -> dict:
    """Run one child to completion; wall/CPU time, peak RSS and an RSS trace."""
    print(f"\n== {label}: {' '.join(argv)}", flush=True)
    busy_before = machine_busy()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=ROOT)
    trace: list[tuple[float, int]] = []
    stop = threading.Event()

    def sample():
        while not stop.wait(sample_every):
            trace.append((time.perf_counter() - start, tree_rss_kib(proc.pid)))

    sampler = threading.Thread(target=sample, daemon=True) if sample_every else None
    if sampler:
        sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stop.set()
    proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from waiting again
    if proc.returncode != 0:
        sys.exit(f"{label} failed with exit code {proc.returncode}")
    cpu = usage.ru_utime + usage.ru_stime
    return {"label": label, "wall_s": wall, "cpu_s": cpu, "other_s": max(0.0, machine_busy() - busy_before - cpu),
            "user_s": usage.ru_utime, "sys_s": usage.ru_stime,
            "peak_rss_mib": usage.ru_maxrss / 1024, "trace": trace}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instance", default="/tmp/yb-seed", help="directory for yibiao.db (default %(default)s)")
    parser.add_argument("--scale", default="seed", choices=("small", "seed"))
    parser.add_argument("--seed", type=int, default=4206, help="random seed of the demo city")
    parser.add_argument("--force", action="store_true", help="delete an existing database in --instance first")
    parser.add_argument("--py-spy", metavar="OUT", help="profile the load with py-spy into OUT (.svg or .json)")
    args = parser.parse_args()

    instance = Path(args.instance).resolve()
    db_path = instance / "yibiao.db"
    if db_path.exists():
        if not args.force:
            sys.exit(f"{db_path} exists; pass --force to rebuild it")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    instance.mkdir(parents=True, exist_ok=True)

    env = {**os.environ, "FLASK_APP": "wsgi.py", "YIBIAO_INSTANCE": str(instance)}
    env.pop("DATABASE_URL", None)  # this benchmark is about SQLite
    flask = str(VENV_BIN / "flask")

    print(f"Yibiao seed load — {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}; {git_state()}; instance {instance}")

    upgrade = run_step("migrate", [flask, "db", "upgrade"], env)
    load_argv = [flask, "demo-city", "--scale", args.scale, "--seed", str(args.seed)]
    if args.py_spy:
        py_spy = shutil.which("py-spy", path=str(VENV_BIN)) or shutil.which("py-spy")
        if not py_spy:
            sys.exit("py-spy not found: .venv/bin/pip install py-spy (for profiling only)")
        fmt = "speedscope" if args.py_spy.endswith(".json") else "flamegraph"
        load_argv = [py_spy, "record", "--rate", "50", "--format", fmt, "-o", args.py_spy, "--"] + load_argv
    load = run_step(f"demo-city --scale {args.scale}", load_argv, env, sample_every=1.0)

    # --- figures --------------------------------------------------------------------------
    counts = {}
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        for table in TABLES:
            counts[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    size_mib = sum(Path(f"{db_path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{db_path}{s}").exists()) / 2**20

    print("\n| step | wall | CPU (user + sys) | peak RSS | other processes' CPU meanwhile |")
    print("|---|---:|---:|---:|---:|")
    for step in (upgrade, load):
        print(f"| {step['label']} | {step['wall_s']:.1f} s | {step['cpu_s']:.1f} s "
              f"({step['user_s']:.1f} + {step['sys_s']:.1f}) | {step['peak_rss_mib']:.0f} MiB | "
              f"{step['other_s'] / step['wall_s'] / os.cpu_count():.0%} of {os.cpu_count()} cores |")
    total = upgrade["wall_s"] + load["wall_s"]
    print(f"\ntotal wall time {total:.1f} s ({total / 60:.1f} min); target < {TARGET_S / 60:.0f} min "
          f"for seed scale: {'met' if total < TARGET_S else 'MISSED'}" if args.scale == "seed" else
          f"\ntotal wall time {total:.1f} s")
    print(f"database {db_path}: {size_mib:,.0f} MiB")
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    trace = load["trace"]
    if trace:
        # RSS every ~10 % of the run, to show whether the footprint grows with the load.
        step = max(1, len(trace) // 10)
        points = trace[::step] + ([trace[-1]] if (len(trace) - 1) % step else [])
        print("RSS during the load (s: MiB): " + ", ".join(f"{t:.0f}: {kib / 1024:.0f}" for t, kib in points))


if __name__ == "__main__":
    main()
