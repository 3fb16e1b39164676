"""Users, their jurisdictions, and department API keys."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.lifecycle import utcnow

from .roles import ROLES, can

_hasher = PasswordHasher()


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped by every change to the user, its role or its jurisdiction: jurisdictions are cached
    # per (id, version), so a change takes effect on the next request in every process.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    areas: Mapped[list["UserArea"]] = relationship(cascade="all, delete-orphan")
    objects: Mapped[list["UserObject"]] = relationship(cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def jurisdiction(self):
        """This user's Jurisdiction (cached per id and version, see jurisdiction.of)."""
        from .jurisdiction import jurisdiction_of

        return jurisdiction_of(self)

    def can(self, permission: str) -> bool:
        return can(self.role, permission)

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        """Whether `password` is this user's, in the time a check of a real password takes (also for
        a user without one), so that the answer's time tells no one which users exist."""
        try:
            return _hasher.verify(self.password_hash or _unmatchable_hash(), password)
        except (VerifyMismatchError, InvalidHashError):
            return False


@cache
def _unmatchable_hash() -> str:
    """A hash no password matches (of a random one, forgotten), made once with the real parameters."""
    return _hasher.hash(secrets.token_urlsafe(32))


def spend_a_password_check(password: str) -> None:
    """What checking a password costs, for a name that has no user (or an inactive one)."""
    try:
        _hasher.verify(_unmatchable_hash(), password)
    except VerifyMismatchError:
        pass


class UserSession(db.Model):
    """One sign-in, from its start until sign-out, a password change, the user's deactivation or
    PERMANENT_SESSION_LIFETIME. The cookie carries the token; only its SHA-256 is kept, so the
    database alone cannot be turned into a session."""

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def begin(cls, user: "User") -> tuple["UserSession", str]:
        """A new session of `user` and its token (for the cookie only)."""
        token = secrets.token_urlsafe(32)
        return cls(id=cls.digest(token), user_id=user.id), token


class UserArea(db.Model):
    """One area (any level) of a user's jurisdiction; everything inside it is the user's."""

    __tablename__ = "user_area"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), primary_key=True)
    area: Mapped["Area"] = relationship(lazy="joined")  # noqa: F821


class UserObject(db.Model):
    """One object an owning unit owns (a building or door plate, by its object code)."""

    __tablename__ = "user_object"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    object_code: Mapped[str] = mapped_column(String(21), primary_key=True)


class ApiKey(db.Model):
    """A department's machine key. Only a SHA-256 of the secret is kept: keys are random and long,
    so a slow password hash would only slow every API call."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(12), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    calls: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(lazy="joined")

    PREFIX = "ybk_"

    @staticmethod
    def digest(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple["ApiKey", str]:
        """A new key and its secret; the secret is shown once and never stored."""
        secret = cls.PREFIX + secrets.token_urlsafe(32)
        return cls(user=user, name=name, prefix=secret[:12], key_hash=cls.digest(secret)), secret

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def revoke(self) -> None:
        """Revoked, if it was not when written (two revocations at once: one is made)."""
        from app.errors import Problem
        from app.rules import write_if

        if not write_if(self, ApiKey.revoked_at.is_(None), revoked_at=utcnow()):
            raise Problem("state.not_allowed", "该密钥已吊销")
