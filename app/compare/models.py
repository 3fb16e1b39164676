"""A department's register (部门登记表) uploaded for comparison, its rows and how each compared."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.lifecycle import utcnow
from app.privacy import SEALED

CLASSES = {"matched": "一致", "suspicious": "疑似问题", "new": "新单位", "invalid": "数据有误"}
# Why a row is suspicious; the department reads these.
REASONS = {
    "code_invalid": "统一社会信用代码校验不通过",
    "code_other_name": "信用代码属于另一家单位",
    "code_differs": "同名同址单位的信用代码不同",
    "address_unknown": "地址在标准地址库中不存在",
    "moved": "单位登记在其他地址",
    "not_there": "地址存在，但该处没有这家单位",
}
STATUSES = {"reading": "读取中", "matching": "比对中", "done": "已完成", "failed": "未能比对"}
# What became of a suspicious row: its own new task, the open task an earlier upload sent for the
# same finding, or held back by a cap until a person sends it or decides it needs no visit.
DISPATCH = {"opened": "已推送", "joined": "并入已有任务", "held": "待派发", "sent": "已派发", "dismissed": "不派发"}
# Why a row was held back.
HELD = {"register": "超过每份登记表的任务上限", "street": "所在街道/乡镇当日任务已达上限"}


class RegisterKind(db.Model):
    """A kind of register (道路运输企业…) and its column mapping, kept for the next upload."""
    __tablename__ = "register_kind"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)  # field -> header text
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Register(db.Model):
    """One upload of a register."""
    __tablename__ = "register"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind_id: Mapped[int] = mapped_column(ForeignKey("register_kind.id"), index=True)
    department: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    encoding: Mapped[str | None] = mapped_column(String(16))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))  # the uploader's area: what it is compared with
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    job_id: Mapped[str | None] = mapped_column(ForeignKey("job.id"))
    status: Mapped[str] = mapped_column(String(16), default="reading")
    format: Mapped[str] = mapped_column(String(8), default="xlsx")  # of the stored file: xlsx, csv
    columns: Mapped[dict | None] = mapped_column(JSON)  # field -> column index, as mapped at upload
    problem: Mapped[str | None] = mapped_column(Text)  # why the file was refused while it was read
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict | None] = mapped_column(JSON)  # class -> rows, when done
    # Built by the job when done: rows per reason, per district and class, held back per cause.
    report: Mapped[dict | None] = mapped_column(JSON)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    kind: Mapped[RegisterKind] = relationship(lazy="joined")
    area: Mapped["Area"] = relationship()  # noqa: F821
    uploaded_by: Mapped["User"] = relationship()  # noqa: F821
    job: Mapped["Job | None"] = relationship()  # noqa: F821

    @property
    def status_label(self) -> str:
        return STATUSES["failed" if self.failure else self.status]

    @property
    def failure(self) -> str | None:
        """Why the register could not be compared: its file refused, or the job failing."""
        if self.problem:
            return self.problem
        return self.job.message if self.status != "done" and self.job and self.job.status == "failed" else None


class RegisterRow(db.Model):
    """One row as the department wrote it, and what comparing it found (klass, reasons, candidates)."""
    __tablename__ = "register_row"
    __table_args__ = (Index("ix_register_row_register_row_number", "register_id", "row_number"),
                      Index("ix_register_row_register_dispatch", "register_id", "dispatch"),
                      Index("ix_register_row_dispatch_area", "dispatch", "task_area_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("register.id"))
    row_number: Mapped[int] = mapped_column(Integer)  # as Excel shows it
    name: Mapped[str] = mapped_column(String(128))
    credit_code: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(255))
    contact: Mapped[str] = mapped_column(String(64))
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary, info=SEALED)
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    errors: Mapped[dict | None] = mapped_column(JSON)  # field -> message, for a row that cannot be compared
    klass: Mapped[str | None] = mapped_column(String(16))
    reasons: Mapped[list | None] = mapped_column(JSON)
    explanation: Mapped[str | None] = mapped_column(Text)
    name_score: Mapped[float | None] = mapped_column(Float)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))  # the candidate
    address_code: Mapped[str | None] = mapped_column(String(21))  # the standard address the row names
    found_code: Mapped[str | None] = mapped_column(String(21))  # where the candidate is on record
    district_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    # The verification task of a suspicious row; the same open task when an earlier upload found the same.
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    dispatch: Mapped[str | None] = mapped_column(String(16))  # a suspicious row's: DISPATCH
    held_reason: Mapped[str | None] = mapped_column(String(16))  # HELD, when a cap held it back
    task_area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))  # where its task lies (or would)

    @property
    def klass_label(self) -> str:
        return CLASSES.get(self.klass, "比对中")

    @property
    def dispatch_label(self) -> str | None:
        return DISPATCH.get(self.dispatch)
