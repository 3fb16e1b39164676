"""Who is calling: a signed-in user (session cookie, CSRF-checked writes) or a department's API key
(`Authorization: Bearer ybk_…`, no cookie, so no CSRF), with per-key call counters and rate limits."""
from __future__ import annotations

import math
import threading
import time
from collections import Counter
from functools import cache

from flask import Flask, current_app, g, redirect, request, url_for
from flask_login import current_user
from limits import parse
from sqlalchemy import select, update

from app.errors import Problem, wants_html
from app.extensions import csrf, db, limiter, login
from app.lifecycle import utcnow

from .models import ApiKey, User

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@login.user_loader
def _load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip()
    return request.headers.get("X-API-Key")


@login.request_loader
def _load_from_api_key(req) -> User | None:
    secret = _bearer()
    if not secret:
        return None
    row = _valid_key(ApiKey.digest(secret))
    if row is None:
        g.api_key_rejected = True
        return None
    key_id, user_id, version = row
    call_counter.add(key_id)
    _check_key_limit(key_id)
    return _key_user(user_id, version)


KEY_RECHECK_S = 1.0
_checked_keys: dict[str, tuple[float, tuple[int, int, int]]] = {}


def _valid_key(digest: str) -> tuple[int, int, int] | None:
    """(key id, user id, user version) of a live key, or None. A department makes many calls a
    second, so a valid key is looked up again only after KEY_RECHECK_S: a revoked key, or a
    deactivated or changed user, stops working everywhere within that second."""
    now = time.monotonic()
    checked = _checked_keys.get(digest)
    if checked is not None and now - checked[0] < KEY_RECHECK_S:
        return checked[1]
    row = db.session.execute(
        select(ApiKey.id, ApiKey.user_id, User.version).join(User, ApiKey.user_id == User.id)
        .where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None), User.active)).first()
    if row is None:
        _checked_keys.pop(digest, None)
        return None
    if len(_checked_keys) > 4096:
        _checked_keys.clear()
    _checked_keys[digest] = (now, tuple(row))
    return tuple(row)


def forget_checked_keys() -> None:
    """After a revocation or a user change: this process looks every key up again at once."""
    _checked_keys.clear()


def _check_key_limit(key_id: int) -> None:
    """Each department key's own limit (RATELIMIT_API_KEY), counted in the limiter's storage.
    Checked here, where the key is known, rather than by a Flask-Limiter decorator on every
    blueprint: that evaluation cost more than a look-up by object code itself."""
    rule = current_app.config["RATELIMIT_API_KEY"]
    if rule and not limiter.limiter.hit(_parsed(rule), "api-key", str(key_id)):
        reset_at = limiter.limiter.get_window_stats(_parsed(rule), "api-key", str(key_id)).reset_time
        raise Problem("request.rate_limited", f"请求过于频繁（本密钥限额 {rule}），请稍后再试",
                      retry_after_s=max(1, math.ceil(reset_at - time.time())))


_parsed = cache(parse)  # "6000 per minute" -> a limits rule, parsed once


_key_users: dict[tuple[int, int], User] = {}


def _key_user(user_id: int, version: int) -> User:
    """The department user behind a key, loaded once per user version in each process and kept
    detached: machine clients make most calls, and their user only changes with its version."""
    user = _key_users.get((user_id, version))
    if user is None:
        if len(_key_users) > 1024:
            _key_users.clear()
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        _key_users[(user_id, version)] = user
    return user


@login.unauthorized_handler
def _unauthorized():
    if wants_html():
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    if g.get("api_key_rejected"):
        raise Problem("auth.api_key_invalid")
    raise Problem("auth.required")


def actor() -> User:
    """The signed-in user or API key owner; 401 if there is none."""
    if not current_user.is_authenticated:
        if g.get("api_key_rejected"):
            raise Problem("auth.api_key_invalid")
        raise Problem("auth.required")
    return current_user._get_current_object()


class _CallCounter:
    """Counts calls per API key in memory and adds them to the database in batches: one UPDATE per
    call would make every department call a write."""

    def __init__(self, every_s: float = 5.0, every_n: int = 200):
        self.every_s, self.every_n = every_s, every_n
        self._pending: Counter[int] = Counter()
        self._lock = threading.Lock()
        self._flushed_at = time.monotonic()

    def add(self, key_id: int) -> None:
        with self._lock:
            self._pending[key_id] += 1
            due = sum(self._pending.values()) >= self.every_n or time.monotonic() - self._flushed_at > self.every_s
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, Counter()
            self._flushed_at = time.monotonic()
        if not pending:
            return
        now = utcnow()
        with db.engine.begin() as conn:  # its own transaction, apart from the request's
            for key_id, n in pending.items():
                conn.execute(update(ApiKey).where(ApiKey.id == key_id)
                             .values(calls=ApiKey.calls + n, last_used_at=now))


call_counter = _CallCounter()


def init_auth(app: Flask) -> None:
    login.init_app(app)
    login.login_view = "accounts.login"
    login.login_message = "请先登录"
    csrf.init_app(app)
    limiter.init_app(app)
    if not app.config.get("RATELIMIT_DEFAULT") and not app.config.get("RATELIMIT_APPLICATION"):
        # Only decorated views have limits (sign-in, plate scans), and those decorators check
        # themselves; Flask-Limiter's before_request pass would find nothing to count on every other
        # request, at about a tenth of an object-code look-up's cost. (tests: the 429s of both)
        app.before_request_funcs[None].remove(limiter._check_request_limit)

    @app.before_request
    def _csrf_for_cookie_sessions():
        # API keys travel in a header a browser never adds by itself, so only cookie sessions need it.
        if request.method in UNSAFE_METHODS and not _bearer():
            csrf.protect()
