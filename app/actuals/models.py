"""The three actuals (三实) hanging off the address base: residents, housing, organisations, and the
bindings of organisations to addresses.

ID numbers and phone numbers are personal data: stored encrypted (app/privacy), with a keyed hash for
exact look-ups and a masked copy for display. Reading them in full goes through a service that
writes an audit row.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, LargeBinary,
                        String, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.lifecycle import Lifecycle, utcnow
from app.privacy import SEALED, blind_index_of

RESIDENT_KINDS = {"registered": "户籍人口", "floating": "流动人口"}
HOUSING_USES = {"own_use": "自住", "business": "经营", "vacant": "空置", "other": "其他"}
OWNERSHIP = {"private": "私有", "public": "公有", "collective": "集体", "enterprise": "单位自管", "other": "其他"}
ORGANISATION_KINDS = {"enterprise": "企业", "individual": "个体工商户", "institution": "事业单位",
                      "government": "机关", "social": "社会组织", "cooperative": "农民专业合作社"}


class Resident(Lifecycle, db.Model):
    __tablename__ = "resident"
    # A person lives at one address at a time: registered elsewhere, they move out there first.
    __table_args__ = (Index("uq_resident_active_id_number", "id_number_hash", unique=True,
                            sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),)
    STATUSES = {"active": "在住", "moved_out": "已迁出"}

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    id_number_enc: Mapped[bytes] = mapped_column(LargeBinary, info=SEALED)
    id_number_hash: Mapped[str] = mapped_column(String(64), index=True, info=blind_index_of("id_number_enc"))
    id_number_masked: Mapped[str] = mapped_column(String(18))
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary, info=SEALED)
    phone_masked: Mapped[str | None] = mapped_column(String(16))
    sex: Mapped[str] = mapped_column(String(8))
    birth_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16), default="registered")
    moved_in: Mapped[date | None] = mapped_column(Date)
    moved_out: Mapped[date | None] = mapped_column(Date)

    room: Mapped["Room"] = relationship()  # noqa: F821

    def move_out(self, on: date) -> None:
        from app.errors import Problem

        if self.moved_in and on < self.moved_in:
            raise Problem("validation.failed", field="moved_out", detail="迁出日期不能早于迁入日期")
        self.set_status("moved_out")
        self.moved_out = on


class Housing(Lifecycle, db.Model):
    """How a room is used and held (实有房屋): one row per room."""

    __tablename__ = "housing"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"), unique=True)
    use: Mapped[str] = mapped_column(String(16), default="own_use")
    ownership: Mapped[str] = mapped_column(String(16), default="private")
    rented: Mapped[bool] = mapped_column(Boolean, default=False)

    room: Mapped["Room"] = relationship()  # noqa: F821


class Organisation(Lifecycle, db.Model):
    __tablename__ = "organisation"
    STATUSES = {"active": "在营", "closed": "已注销"}

    id: Mapped[int] = mapped_column(primary_key=True)
    object_code: Mapped[str] = mapped_column(String(21), unique=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    # Problem codes from app.standards.credit_code that are warnings, kept for reviewers (e.g. a
    # Fujian pilot code whose check character predates GB 32100).
    credit_code_flags: Mapped[list | None] = mapped_column(db.JSON)
    legal_representative: Mapped[str | None] = mapped_column(String(64))
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary, info=SEALED)
    phone_masked: Mapped[str | None] = mapped_column(String(16))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)

    area: Mapped["Area"] = relationship()  # noqa: F821
    bindings: Mapped[list["Binding"]] = relationship(back_populates="organisation",
                                                     order_by="Binding.started_at")

    @property
    def active_binding(self) -> "Binding | None":
        return next((b for b in self.bindings if b.active), None)


class Binding(db.Model):
    """An organisation at an address (a room, or a door plate for a whole-building business).
    At most one binding per organisation is active; ended bindings stay as its history."""

    __tablename__ = "binding"
    __table_args__ = (
        CheckConstraint("(room_id IS NULL) <> (door_plate_id IS NULL)", name="one_target"),
        Index("uq_binding_one_active", "organisation_id", unique=True,
              sqlite_where=text("active"), postgresql_where=text("active")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"), index=True)
    door_plate_id: Mapped[int | None] = mapped_column(ForeignKey("door_plate.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    organisation: Mapped[Organisation] = relationship(back_populates="bindings")
    room: Mapped["Room | None"] = relationship()  # noqa: F821
    door_plate: Mapped["DoorPlate | None"] = relationship()  # noqa: F821

    def end(self) -> None:
        self.active = False
        self.ended_at = utcnow()
