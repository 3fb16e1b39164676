"""Rate-limit counters every worker and process of the machine shares when there is no Redis: a
SQLite file in the instance folder, as a storage of the `limits` library (registered under the
scheme sqlite:// followed by the file's path, e.g. sqlite:///srv/yibiao/instance/limits.db). In-memory counters would be one set
per gunicorn worker, so a limit of 10 let 10 per worker through.

Fixed windows only (Flask-Limiter's default strategy): one counter row per key, incremented by a
single upsert statement, so that a request with a limit pays one small write. Counters are not
worth a disk flush (synchronous=OFF): a power cut at worst forgets the current window.
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time

from limits.storage import Storage

_SCHEMA = ("CREATE TABLE IF NOT EXISTS counter (key TEXT PRIMARY KEY, count INTEGER NOT NULL, "
           "expires_at REAL NOT NULL) WITHOUT ROWID")
# A window that has ended starts again from this hit; one still open adds to it.
_INCR = ("INSERT INTO counter (key, count, expires_at) VALUES (:key, :amount, :expires_at) "
         "ON CONFLICT (key) DO UPDATE SET "
         "count = CASE WHEN counter.expires_at <= :now THEN excluded.count ELSE counter.count + excluded.count END, "
         "expires_at = CASE WHEN counter.expires_at <= :now THEN excluded.expires_at ELSE counter.expires_at END "
         "RETURNING count")
PURGE_EVERY = 1000  # hits per process between deletions of ended windows


class SQLiteStorage(Storage):
    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = uri.removeprefix("sqlite://")
        self._local = threading.local()
        self._hits = 0

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (a forked worker opens its own: a connection never crosses a fork)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute(_SCHEMA)
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        db = self._db()
        count = db.execute(_INCR, {"key": key, "amount": amount, "expires_at": now + expiry, "now": now}).fetchone()[0]
        self._hits += 1
        if self._hits % PURGE_EVERY == 0:
            db.execute("DELETE FROM counter WHERE expires_at <= ?", (now,))
        return count

    def get(self, key: str) -> int:
        row = self._db().execute("SELECT count FROM counter WHERE key = ? AND expires_at > ?",
                                 (key, time.time())).fetchone()
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._db().execute("SELECT expires_at FROM counter WHERE key = ?", (key,)).fetchone()
        return row[0] if row and row[0] > time.time() else time.time()

    def check(self) -> bool:
        return self._db().execute("SELECT 1").fetchone() == (1,)

    def reset(self) -> int | None:
        return self._db().execute("DELETE FROM counter").rowcount

    def clear(self, key: str) -> None:
        self._db().execute("DELETE FROM counter WHERE key = ?", (key,))
