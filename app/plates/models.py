"""A QR plate hung on an address node, and each time it was printed.

The token is random and says nothing about the address; a plate is never deleted: revoking or
reissuing ends it (status `revoked` or `replaced`), and its QR then opens a page saying so.
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.lifecycle import utcnow

# Address kind (app/places) -> plate kind (qr_templates/<kind>.toml)
PLATE_KINDS = {"door_plate": "door", "building": "building", "unit": "unit", "room": "room"}
PLATE_LABELS = {"door": "门牌", "building": "楼牌", "unit": "单元牌", "room": "户牌"}
TOKEN_BYTES = 12  # 96 bits; 16 URL-safe characters, so the URL fits a version 3-4 QR at level Q
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16}")


class Plate(db.Model):
    __tablename__ = "plate"
    __table_args__ = (
        Index("uq_plate_active_object", "object_code", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
    )
    STATUSES = {"active": "在用", "replaced": "已更换", "revoked": "已停用"}

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    object_code: Mapped[str] = mapped_column(String(21), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("plate.id"))
    prints: Mapped[int] = mapped_column(Integer, default=0)
    last_printed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    replaced_by: Mapped["Plate | None"] = relationship(remote_side=[id])

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(TOKEN_BYTES)

    @classmethod
    def issue(cls, kind: str, object_code: str, actor) -> "Plate":
        return cls(token=cls.new_token(), kind=kind, object_code=object_code, status="active",
                   issued_at=utcnow(), issued_by_id=getattr(actor, "id", None), prints=0)

    @property
    def label(self) -> str:
        return PLATE_LABELS[self.kind]

    @property
    def status_label(self) -> str:
        return self.STATUSES[self.status]

    def end(self, status: str, actor, reason: str) -> None:
        """Revoked or replaced, if it is still in use when written (two ends at once: one is made)."""
        from app.errors import Problem
        from app.extensions import db
        from app.rules import write_if

        if not write_if(self, Plate.status == "active", status=status, ended_at=utcnow(),
                        ended_by_id=getattr(actor, "id", None), reason=reason):
            db.session.refresh(self)
            raise Problem("state.not_allowed", f"这块{self.label}已{self.status_label}，不能再更换或停用")


class PlatePrint(db.Model):
    """One plate printed once: in a batch (job_id) or as a single download."""
    __tablename__ = "plate_print"

    id: Mapped[int] = mapped_column(primary_key=True)
    plate_id: Mapped[int] = mapped_column(ForeignKey("plate.id"), index=True)
    job_id: Mapped[str | None] = mapped_column(String(32), index=True)
    output: Mapped[str] = mapped_column(String(8))  # pdf | png
    printed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    printed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
