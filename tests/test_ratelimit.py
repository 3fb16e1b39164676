"""Without Redis the limits count in one SQLite file that every worker and process shares, so a
limit of ten lets ten through whatever worker answers."""
import multiprocessing
import runpy
import time
from pathlib import Path

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app.ratelimit import SQLiteStorage
from config import Config


CONFIG = Path(__file__).resolve().parents[1] / "config.py"


def test_the_embedded_default_counts_in_a_file_of_the_instance_and_redis_wins_when_set(monkeypatch):
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    storage = runpy.run_path(str(CONFIG))["Config"].RATELIMIT_STORAGE_URI
    assert storage == f"sqlite://{Config.INSTANCE_DIR / 'limits.db'}"
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/1")
    assert runpy.run_path(str(CONFIG))["Config"].RATELIMIT_STORAGE_URI == "redis://127.0.0.1:6379/1"


def _hits(path, ready, out, n):
    limiter = FixedWindowRateLimiter(storage_from_string(f"sqlite://{path}"))
    ready.wait()
    out.put(sum(limiter.hit(parse("10 per minute"), "sign-in", "127.0.0.1") for _ in range(n)))


def test_four_processes_hitting_one_limit_at_once_let_exactly_ten_through(tmp_path):
    spawn = multiprocessing.get_context("fork")
    ready, out = spawn.Barrier(4), spawn.Queue()
    workers = [spawn.Process(target=_hits, args=(tmp_path / "limits.db", ready, out, 6)) for _ in range(4)]
    for w in workers:
        w.start()
    allowed = sum(out.get(timeout=60) for _ in workers)
    for w in workers:
        w.join(timeout=60)
    assert allowed == 10


def test_a_window_that_has_ended_starts_again_and_tells_when_it_ends(tmp_path):
    storage = SQLiteStorage(f"sqlite://{tmp_path / 'limits.db'}")
    assert [storage.incr("k", 1) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3 and time.time() < storage.get_expiry("k") <= time.time() + 1
    time.sleep(1.05)
    assert storage.get("k") == 0
    assert storage.incr("k", 60, amount=2) == 2
    storage.clear("k")
    assert storage.get("k") == 0 and storage.check()
