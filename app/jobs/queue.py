"""The huey queue: SQLite-backed by default (a file under instance/, no extra process), Redis-backed
when REDIS_URL is set. Jobs run in a thread of the web process when JOBS_IN_PROCESS is on (the
embedded default), or in `flask jobs worker`.
"""
from __future__ import annotations

import threading

from huey import RedisHuey, SqliteHuey
from huey.consumer import Consumer

from config import Config


def _build():
    immediate = Config.JOBS_IMMEDIATE
    if Config.REDIS_URL:
        return RedisHuey(Config.JOBS_QUEUE, url=Config.REDIS_URL, immediate=immediate)
    Config.INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(Config.JOBS_QUEUE, filename=str(Config.INSTANCE_DIR / "jobs.db"), immediate=immediate)


huey = _build()


class _ThreadConsumer(Consumer):
    # Signal handlers can only be set from the main thread; the web server owns those.
    def _set_signal_handlers(self):
        pass


_consumer: Consumer | None = None
_lock = threading.Lock()


def start_in_process_consumer() -> None:
    """Start one consumer thread in this process, once. Safe to call on every enqueue."""
    global _consumer
    if huey.immediate:
        return
    with _lock:
        if _consumer is None:
            _consumer = _ThreadConsumer(huey, workers=1, periodic=False, check_worker_health=False)
            _consumer.start()


def run_worker(workers: int = 1) -> None:
    Consumer(huey, workers=workers, periodic=True).run()  # periodic: the task sweep
