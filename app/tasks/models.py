from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.lifecycle import utcnow

TASK_KINDS = {"plate_problem": "门牌问题核查"}
TASK_STATUSES = {"open": "待核查", "done": "已完成"}


class Task(db.Model):
    __tablename__ = "task"
    __table_args__ = (Index("ix_task_open", "area_id", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))  # the grid whose worker checks it
    door_plate_id: Mapped[int] = mapped_column(ForeignKey("door_plate.id"), index=True)
    object_code: Mapped[str] = mapped_column(String(21))  # the address node to check (a plate's)
    address_text: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(128))
    detail: Mapped[str | None] = mapped_column(Text)
    photo_sha256: Mapped[str | None] = mapped_column(ForeignKey("photo.sha256"))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"), index=True)  # where it came from
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    result: Mapped[dict | None] = mapped_column(JSON)  # {"outcome": …, "note": …}

    door_plate: Mapped["DoorPlate"] = relationship()  # noqa: F821

    @property
    def kind_label(self) -> str:
        return TASK_KINDS[self.kind]

    @property
    def status_label(self) -> str:
        return TASK_STATUSES[self.status]
