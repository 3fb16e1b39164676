"""Who is calling: a signed-in user (session cookie, CSRF-checked writes) or a department's API key
(`Authorization: Bearer ybk_…`, no cookie, so no CSRF), with per-key call counters and rate limits.

A session cookie names a session kept in the database (UserSession), checked on every request: signing
out, a password change or the user's deactivation ends it at once, whichever worker answers next."""
from __future__ import annotations

import math
import threading
import time
from collections import Counter
from functools import cache

from datetime import datetime

from flask import Flask, current_app, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from limits import parse
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, selectinload

from app.errors import Problem, wants_html
from app.extensions import csrf, db, limiter, login
from app.lifecycle import utcnow

from .models import ApiKey, User, UserSession

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


SESSION_TOKEN = "sid"  # the session cookie's entry naming its UserSession
# The version of the user whose session it is, while it runs. Built once and run on the request's
# connection without the ORM: it is the one query every signed-in request pays.
_RUNNING = (select(User.version).join(UserSession, UserSession.user_id == User.id)
            .where(UserSession.id == bindparam("session_id"), User.id == bindparam("user_id"), User.active,
                   UserSession.created_at >= bindparam("since")))


@login.user_loader
def _load_user(user_id: str) -> User | None:
    """The signed-in user while their session runs: one indexed read per request, never cached."""
    token = session.get(SESSION_TOKEN)
    if not token:
        return None
    uid = int(user_id)
    version = db.session.connection().execute(_RUNNING, {
        "session_id": UserSession.digest(token), "user_id": uid, "since": session_cutoff()}).scalar()
    return None if version is None else _user_at(uid, version)


def session_cutoff() -> datetime:
    """Sessions begun before this have ended (PERMANENT_SESSION_LIFETIME, 31 days by default)."""
    return utcnow() - current_app.config["PERMANENT_SESSION_LIFETIME"]


def start_session(user: User, token: str) -> None:
    """Sign `user` in on this client, in the session `token` names (services.sign_in began it)."""
    login_user(user)
    session[SESSION_TOKEN] = token


def session_token() -> str | None:
    return session.get(SESSION_TOKEN)


def forget_session() -> None:
    """This client signed out (services.sign_out ends the session itself)."""
    logout_user()
    session.pop(SESSION_TOKEN, None)


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
    return _user_at(user_id, version)


RECHECK_S = 1.0
_checked: dict[tuple, tuple[float, object]] = {}


def recently_checked(key: tuple, look_up):
    """look_up(), remembered for RECHECK_S under `key`; None (not found) is never remembered. Every
    call of a department's key names it (many calls a second), so a key is looked up again only
    after that second: a revoked key, or its user deactivated or changed, stops working everywhere
    within it. Other settings read on every write (review chains) use it too;
    forget_checked() makes this process read everything again at once."""
    now = time.monotonic()
    checked = _checked.get(key)
    if checked is not None and now - checked[0] < RECHECK_S:
        return checked[1]
    value = look_up()
    if value is None:
        _checked.pop(key, None)
        return None
    if len(_checked) > 4096:
        _checked.clear()
    _checked[key] = (now, value)
    return value


def _valid_key(digest: str) -> tuple[int, int, int] | None:
    """(key id, user id, user version) of a live key, or None."""
    def look_up():
        row = db.session.execute(
            select(ApiKey.id, ApiKey.user_id, User.version).join(User, ApiKey.user_id == User.id)
            .where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None), User.active)).first()
        return tuple(row) if row else None
    return recently_checked(("key", digest), look_up)


def forget_checked() -> None:
    """After a revocation or a user change: this process looks every key and user up again at once."""
    _checked.clear()


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


_users: dict[tuple[int, int], User] = {}


def _user_at(user_id: int, version: int) -> User:
    """The user, loaded once per user version in each process and kept detached (the user only
    changes with its version), with its areas and objects, which a detached user cannot load later."""
    user = _users.get((user_id, version))
    if user is None:
        if len(_users) > 1024:
            _users.clear()
        # In a session of its own, closed at once: loaded in the request's session, the user's areas
        # stayed there (expunging the user does not take them along) and that request's commit
        # expired them, so a later request reading them from the detached user failed.
        with Session(db.engine) as own:
            user = own.get(User, user_id, options=[selectinload(User.areas), selectinload(User.objects)])
        _users[(user_id, version)] = user
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

    app.before_request(_authenticate_first)


def _authenticate_first() -> None:
    """An API call that needs an account is answered 401 before anything it sent is looked at: an
    anonymous caller learns nothing from validation messages."""
    view = current_app.view_functions.get(request.endpoint)
    if (view is not None and request.path.startswith("/api/v1/") and not getattr(view, "public", False)
            and not current_user.is_authenticated):
        actor()


def protect_cookie_sessions(app: Flask) -> None:
    """CSRF check of writes; registered after the input guard (app/edge.py), since it reads the form."""
    @app.before_request
    def _csrf_for_cookie_sessions():
        # API keys travel in a header a browser never adds by itself, so only cookie sessions need it.
        if request.method in UNSAFE_METHODS and not _bearer() and not getattr(
                current_app.view_functions.get(request.endpoint), "public_write", False):
            csrf.protect()


def public(view):
    """Marks an API view anyone may call without an account (a plate scan, a receipt, signing in)."""
    view.public = True
    return view


def public_write(view):
    """Marks a view anyone may post to without an account (a public report): it acts as nobody, so
    a forged cross-site request could borrow nothing, and it needs no CSRF token (which would
    expire while a resident fills in a long form)."""
    view.public = view.public_write = True
    return view
