"""Columns shared by every master-data record: nothing is deleted, every change bumps a version.

The version history itself is the audit log (app/audit): each change writes one audit row carrying
the object's new version and its before/after values, in the same transaction as the change.

The version is also what makes two changes made at the same moment safe: every UPDATE of the row says
"WHERE version = <as read>" (SQLAlchemy's version counter, the value set by `bump`), so of two
people changing the same version, one is written and the other's transaction fails whole
(StaleDataError, answered as conflict.version) instead of overwriting it.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Float, Integer, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.standards import beidou


def code_column(length: int) -> String:
    """A code compared by prefix and range (grid codes, area codes): byte order on PostgreSQL too,
    whatever the database's collation, so that `code >= prefix` ranges use the index."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """A stored time with its zone: SQLite hands back UTC without one, PostgreSQL with one."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def local_today() -> date:
    """Today where the service's people are (TIMEZONE): what "today" means in a date they type."""
    from flask import current_app

    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time as people read it, in the configured zone (SQLite hands back UTC without a
    zone; PostgreSQL with one)."""
    from flask import current_app

    if value is None:
        return ""
    return as_utc(value).astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime(fmt)


class Lifecycle:
    """status + version + timestamps. Subclasses list their statuses in STATUSES."""

    STATUSES: dict[str, str] = {"active": "在用", "retired": "注销", "demolished": "已拆除"}

    status: Mapped[str] = mapped_column(String(16), default="active")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version, "version_id_generator": False}

    def bump(self) -> None:
        self.version = (self.version or 1) + 1

    def set_status(self, status: str) -> None:
        from app.errors import Problem  # models do not import the web layer at module load

        if status not in self.STATUSES:
            raise Problem("validation.failed", field="status",
                          detail=f"状态只能是：{'、'.join(self.STATUSES)}")
        if self.status == status:
            raise Problem("state.not_allowed", f"已经是“{self.STATUSES[status]}”状态")
        self.status = status
        self.bump()


class Located:
    """A WGS-84 point and its level-10 BeiDou grid code, which is the spatial index."""

    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    grid_code: Mapped[str] = mapped_column(code_column(20), index=True)

    def place_at(self, lon: float, lat: float) -> None:
        self.lon, self.lat = lon, lat
        self.grid_code = beidou.encode(lon, lat, 10)
