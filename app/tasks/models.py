from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.lifecycle import as_utc, utcnow

TASK_KINDS = {"plate_problem": "门牌问题核查", "register": "部门比对核查", "review": "审核发现核查"}
TASK_STATUSES = {"open": "待核查", "done": "已完成"}
# What the grid worker found on site.
OUTCOMES = {"confirmed": "核实无误", "corrected": "已更正（新采集）", "not_found": "现场未找到"}


class Task(db.Model):
    """Something to check on site. It lies in a grid when its place is known (the grid's worker
    checks it), else in the township or district its text names (the street office sees it)."""

    __tablename__ = "task"
    __table_args__ = (Index("ix_task_open", "area_id", "status", "due_at"),
                      Index("ix_task_kind_created", "kind", "created_at"))  # a day's tasks per street

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    door_plate_id: Mapped[int | None] = mapped_column(ForeignKey("door_plate.id"), index=True)
    object_code: Mapped[str | None] = mapped_column(String(21))  # the address node to check
    address_text: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(128))
    detail: Mapped[str | None] = mapped_column(Text)
    photo_sha256: Mapped[str | None] = mapped_column(ForeignKey("photo.sha256"))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"), index=True)  # where it came from
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # The answer's client id (the phone's outbox replays it) and body hash.
    answer_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    answer_hash: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[dict | None] = mapped_column(JSON)  # {"outcome", "note", "photos", "submission"}

    door_plate: Mapped["DoorPlate | None"] = relationship()  # noqa: F821
    area: Mapped["Area"] = relationship()  # noqa: F821
    closed_by: Mapped["User | None"] = relationship()  # noqa: F821

    @property
    def kind_label(self) -> str:
        return TASK_KINDS[self.kind]

    @property
    def status_label(self) -> str:
        return TASK_STATUSES[self.status]

    @property
    def outcome(self) -> str | None:
        return (self.result or {}).get("outcome")

    @property
    def outcome_label(self) -> str | None:
        return OUTCOMES.get(self.outcome)

    @property
    def overdue(self) -> bool:
        return self.status == "open" and as_utc(self.due_at) < utcnow()
