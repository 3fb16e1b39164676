"""What the benchmarks share: the commit measured, how busy the machine was, a gunicorn server on
the seed-scale database, client processes driving it, py-spy profiles of its workers."""
from __future__ import annotations

import collections
import http.client
import multiprocessing
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
DISTURBED = 0.10  # a test during which other processes used more of the CPU than this is repeated


def _cpu_seconds_so_far() -> list[float]:
    """/proc/stat's first line in seconds: user, nice, system, idle, iowait, irq, softirq, steal."""
    return [int(v) / CLK_TCK for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]


def machine_busy() -> float:
    """CPU seconds all processes have used so far, all cores together."""
    values = _cpu_seconds_so_far()
    return sum(values) - values[3] - values[4] - values[7]  # less idle, iowait, steal


def machine_stolen() -> float:
    """CPU seconds so far that the virtual machine's host gave to others while this one wanted them
    (steal): on a shared host the same code runs slower, and its CPU time grows."""
    return _cpu_seconds_so_far()[7]


def git_state(tree: Path = ROOT) -> str:
    """The commit measured, and whether the Python code had uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=tree, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "app/*.py", "migrations", "config.py", "wsgi.py"],
                               cwd=tree, capture_output=True, text=True).stdout.strip()
        return f"commit {head}" + (f", with uncommitted Python changes in {len(dirty.splitlines())} file(s)"
                                   if dirty else "")
    except OSError:
        return "commit unknown"


# --- the machine -----------------------------------------------------------------------------

def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM (KiB) of a process; empty if it is gone."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        pass
    return out


def cpu_seconds(pid: int) -> float:
    return sum(cpu_times(pid))


def cpu_times(pid: int) -> tuple[float, float]:
    """CPU seconds so far of a process: (in its own code, in the kernel on its behalf)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK
    except OSError:
        return 0.0, 0.0


def wait_quiet(max_wait: float, threshold: float = 0.10) -> float:
    """Wait (up to max_wait s) until other processes use less than `threshold` of the machine's CPU
    over 2 s: the server and the clients share 2 cores with everything else. Returns that share."""
    cores, deadline, said = os.cpu_count(), time.monotonic() + max_wait, False
    while True:
        before = machine_busy()
        time.sleep(2.0)
        share = (machine_busy() - before) / 2.0 / cores
        if share < threshold or time.monotonic() > deadline:
            if said:
                print(f"  (other processes now use {share:.0%} of the CPU)", flush=True)
            return share
        if not said:
            print(f"  other processes use {share:.0%} of the CPU; waiting up to {max_wait:.0f} s for quiet …",
                  flush=True)
            said = True


def least_disturbed(run_once, other_share, attempts: int, quiet_wait: float, once: bool = False):
    """run_once() until other processes used at most DISTURBED of the CPU during it (`other_share` of
    a run), at most `attempts` times, waiting for quiet before each; the quietest run. `once`: no
    repeats (a profiled run is disturbed by py-spy itself)."""
    best = None
    for attempt in range(1, attempts + 1):
        if quiet_wait:
            wait_quiet(quiet_wait)
        run = run_once()
        share = other_share(run)
        if best is None or share < other_share(best):
            best = run
        if share <= DISTURBED or once:
            break
        print(f"  other processes used {share:.0%} of the CPU during the test"
              + ("; again" if attempt < attempts else "; keeping the quietest attempt"), flush=True)
    return best


def page_cache_share(path: Path) -> str:
    """How much of a file the OS has in memory (util-linux fincore), as text; '?' without fincore."""
    fincore = shutil.which("fincore")
    if not fincore:
        return "?"
    out = subprocess.run([fincore, "--bytes", "--noheadings", "--output", "RES", str(path)],
                         capture_output=True, text=True).stdout.strip()
    return f"{int(out) / path.stat().st_size:.0%}" if out.isdigit() else "?"


def warm_page_cache(path: Path) -> None:
    """Read the database file once, so that the first requests do not wait for the disk."""
    for suffix in ("", "-wal"):
        f = Path(f"{path}{suffix}")
        if f.exists():
            with open(f, "rb") as handle:
                while handle.read(1 << 20):
                    pass


def warm_database(path: Path, cold: bool) -> None:
    """Read the database into the page cache (unless `cold`), saying how much of it was there."""
    if cold:
        print(f"\ndatabase in the page cache: {page_cache_share(path)} (not warmed: --cold)")
    else:
        before = page_cache_share(path)
        warm_page_cache(path)
        print(f"\ndatabase in the page cache: {before}, after reading it once {page_cache_share(path)}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the server ------------------------------------------------------------------------------

class Server:
    """`gunicorn wsgi:app` (spec kind:workers[:threads]) on a free port of 127.0.0.1, with
    YIBIAO_INSTANCE set and DATABASE_URL removed (so the instance's SQLite), plus `env`; the code of
    `tree`, another checkout, when given (a before/after in one run)."""

    def __init__(self, spec: str, instance: Path, log_dir: Path, env: dict | None = None, wsgi: str = "wsgi:app",
                 note: str = "", log_name: str = "gunicorn", tree: Path = ROOT):
        parts = spec.split(":")
        self.kind, self.workers = parts[0], int(parts[1]) if len(parts) > 1 else os.cpu_count()
        self.threads = int(parts[2]) if len(parts) > 2 else (4 if self.kind == "gthread" else 1)
        self.spec = spec
        self.port = free_port()
        self.env = {**os.environ, "YIBIAO_INSTANCE": str(instance), "PYTHONUNBUFFERED": "1", **(env or {})}
        self.env.pop("DATABASE_URL", None)
        if tree != ROOT:
            self.env["PYTHONPATH"] = str(tree)
            log_name += "-baseline"
        self.log = log_dir / f"{log_name}-{spec.replace(':', '-')}.log"
        self.tree, self.wsgi, self.note = tree, wsgi, note
        self.proc: subprocess.Popen | None = None

    @property
    def label(self) -> str:
        return (f"{self.kind}, {self.workers} workers" + (f" × {self.threads} threads" if self.kind == "gthread" else "")
                + (f", {self.note}" if self.note else "") + (f", app {self.wsgi}" if self.wsgi != "wsgi:app" else ""))

    def start(self, probe: str, headers: dict | None = None) -> None:
        """Start it and wait until all workers run and GET `probe` answers 200."""
        argv = [str(VENV_BIN / "gunicorn"), self.wsgi, "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(self.workers), "--worker-class", self.kind, "--error-logfile", str(self.log),
                "--log-level", "info"]
        if self.kind == "gthread":
            argv += ["--threads", str(self.threads)]
        self.log.write_text("")
        self.proc = subprocess.Popen(argv, env=self.env, cwd=self.tree, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"gunicorn exited with {self.proc.returncode}; see {self.log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", probe, headers=headers or {})
                status = conn.getresponse().status
                conn.close()
                if status == 200 and len(self.worker_pids()) == self.workers:
                    return
                if status != 200:
                    self.stop()
                    sys.exit(f"the server answered {status} to GET {probe}; see {self.log}")
            except OSError:
                pass
            time.sleep(0.25)
        self.stop()
        sys.exit(f"gunicorn did not answer within 90 s; see {self.log}")

    def worker_pids(self) -> list[int]:
        try:
            return [int(p) for p in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()]
        except OSError:
            return []

    def cpu(self) -> float:
        return sum(self.cpu_times())

    def cpu_times(self) -> tuple[float, float]:
        """(user, kernel) CPU seconds so far of the master and its workers."""
        times = [cpu_times(self.proc.pid), *(cpu_times(p) for p in self.worker_pids())]
        return sum(t[0] for t in times), sum(t[1] for t in times)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def scan_log(path: Path) -> list[str]:
    text = path.read_text(errors="replace") if path.exists() else ""
    notes = []
    for pattern in ("Traceback", "ERROR", "WORKER TIMEOUT", "database is locked", "Worker exited", "SIGKILL"):
        n = text.count(pattern)
        if n:
            notes.append(f"{pattern} ×{n}")
    return notes


# --- load ------------------------------------------------------------------------------------

@dataclass
class Request:
    path: str
    tag: str  # variant, for the breakdown
    expect: str | None = None  # a text a 200 answer should contain (an object code)


def _drive(job) -> tuple[list, float]:
    """One client process: one connection, requests in order until the time is up."""
    port, headers, items, start_at, duration, max_requests = job
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    records = []
    time.sleep(max(0.0, start_at - time.time()))
    start = time.perf_counter()
    end = start + duration
    i = 0
    while i < max_requests:
        t0 = time.perf_counter()
        if t0 >= end:
            break
        path, tag, expect = items[i % len(items)]
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            status, body = 0, b""
        latency = time.perf_counter() - t0
        hit = None if expect is None or status != 200 else expect.encode() in body
        records.append((latency, status, tag, hit))
        i += 1
    conn.close()
    return records, time.perf_counter() - start


@dataclass
class Result:
    name: str
    latencies: list[float]
    statuses: collections.Counter
    duration: float
    server_cpu: float
    client_cpu: float
    other_cpu: float = 0.0
    by_tag: dict[str, list[float]] = field(default_factory=dict)
    hits: dict[str, list[bool]] = field(default_factory=dict)
    status_by_tag: dict[str, collections.Counter] = field(default_factory=dict)
    profiles: list[Path] = field(default_factory=list)  # py-spy's collapsed stacks, with --profile

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.duration

    def pct(self, p: float, values=None) -> float:
        values = sorted(self.latencies if values is None else values)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, max(0, round(p / 100 * len(values)) - 1))]


def run_load(name: str, server: Server, headers: dict, requests: list[Request], clients: int, duration: float,
             max_requests: int, profile_dir: Path | None = None, seed: int = 0, profile_idle: bool = False) -> Result:
    """`clients` processes (forked), each with its own share of `requests` in its own random order,
    for `duration` seconds; the server's CPU, the clients' and everybody else's meanwhile."""
    rng = random.Random(seed)
    items = [(r.path, r.tag, r.expect) for r in requests]
    jobs = []
    start_at = time.time() + 0.5
    for c in range(clients):
        mine = items[c::clients] or list(items)
        rng.shuffle(mine)
        jobs.append((server.port, headers, mine, start_at, duration, max_requests // clients))
    spies, profiles = [], []
    if profile_dir:
        label = f"{server.spec}-{name}"
        spies = start_profilers(profile_dir, label, server.worker_pids(), duration, profile_idle)
        profiles = [profile_path(profile_dir, label, pid) for pid in server.worker_pids()]
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before = server.cpu()
    busy_before = machine_busy()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(clients) as pool:
        outputs = pool.map(_drive, jobs)
        server_cpu = server.cpu() - cpu_before
        busy = machine_busy() - busy_before
        pool.close()
        pool.join()
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = (after_children.ru_utime + after_children.ru_stime) - (before_children.ru_utime + before_children.ru_stime)
    records = [r for out, _ in outputs for r in out]
    elapsed = max(e for _, e in outputs)
    result = Result(name, [r[0] for r in records], collections.Counter(r[1] for r in records), elapsed,
                    server_cpu, client_cpu, max(0.0, busy - server_cpu - client_cpu), profiles=profiles)
    for latency, status, tag, hit in records:
        result.by_tag.setdefault(tag, []).append(latency)
        result.status_by_tag.setdefault(tag, collections.Counter())[status] += 1
        if hit is not None:
            result.hits.setdefault(tag, []).append(hit)
    for spy in spies:
        spy.wait()
    return result


# --- profiles --------------------------------------------------------------------------------

def profile_path(out_dir: Path, label: str, pid: int) -> Path:
    return out_dir / f"{label.replace(' ', '_').replace(':', '-')}-{pid}.txt"


def start_profilers(out_dir: Path, label: str, pids: list[int], duration: float,
                    idle: bool = False) -> list[subprocess.Popen]:
    """py-spy on each of `pids` for `duration` s, collapsed stacks into out_dir (profile_path)."""
    py_spy = shutil.which("py-spy", path=str(VENV_BIN)) or shutil.which("py-spy")
    if not py_spy:
        sys.exit("--profile needs py-spy: .venv/bin/pip install py-spy (for benchmarking only)")
    out_dir.mkdir(parents=True, exist_ok=True)
    spies = []
    for pid in pids:
        path = profile_path(out_dir, label, pid)
        spies.append(subprocess.Popen([py_spy, "record", "--pid", str(pid), "--rate", "200", "--duration",
                                       str(max(1, int(duration))), "--format", "raw", "--nonblocking",
                                       *(["--idle"] if idle else []), "--output", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    time.sleep(0.3)  # attached before the clients start (they start 0.5 s after run_load began)
    return spies


def collapsed_stacks(paths: list[Path]):
    """(stack, samples) of every line of py-spy's collapsed output files that exist."""
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if count.isdigit():
                yield stack, int(count)


def summarise_profile(paths: list[Path], top: int = 18) -> list[str]:
    """Hottest frames (inclusive, and self) of py-spy's collapsed stacks, inside Flask's request handling."""
    inclusive, own = collections.Counter(), collections.Counter()
    total = outside = 0
    for stack, n in collapsed_stacks(paths):
        frames = stack.split(";")
        # Time handling a request; gunicorn's own work (parsing, writing, closing, waiting for
        # the next connection) is counted apart.
        if not any(".wsgi_app (" in f for f in frames):
            outside += n
            continue
        total += n
        for f in set(frames):
            inclusive[f] += n
        own[frames[-1]] += n
    if not total:
        return ["  (no samples)"]
    lines = [f"  samples: {total} inside Flask's wsgi_app, {outside} outside it (gunicorn's own work; with "
             "--profile-idle also waiting threads)",
             "  inclusive (share of the samples inside wsgi_app; frames in nearly all of them left out):"]
    interesting = [(f, n) for f, n in inclusive.most_common() if n < 0.97 * total]
    lines += [f"    {n / total:6.1%}  {f}" for f, n in interesting[:top]]
    lines.append("  self:")
    lines += [f"    {n / total:6.1%}  {f}" for f, n in own.most_common(top // 2)]
    return lines


# --- report ----------------------------------------------------------------------------------

def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f}"
