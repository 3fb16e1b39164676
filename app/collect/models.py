"""Field submissions and their photos.

A submission is what one phone sent once: a shop found at an address (the police officer's scan), or
an organisation bound to an address (the grid worker's scan). It changes the master data only when
approved at the last step of its review chain (app/review). Its id is made by the phone, so a
replay is recognised; its body's hash tells a replay from a different submission under the same id.
Photos are stored by the SHA-256 of their bytes: the same photo is never stored or sent twice.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.lifecycle import utcnow
from app.review.models import Reviewable

SUBMISSION_KINDS = {"shop": "门店采集", "binding": "单位绑定",
                    "residence": "居住申报", "org_change": "单位信息变更", "plate_problem": "门牌问题"}
# Reports anyone files from a plate's public page, without an account (app/reports).
PUBLIC_KINDS = frozenset({"residence", "org_change", "plate_problem"})
SUBMISSION_STATUSES = {"submitted": "已提交，待审核", "in_review": "审核中", "approved": "已通过",
                       "rejected": "未通过", "returned": "已退回，待更正"}
BUSINESS_KINDS = {"catering": "餐饮", "retail": "零售", "services": "生活服务", "repair": "维修",
                  "lodging": "住宿", "entertainment": "文化娱乐", "education": "教育培训",
                  "medical": "医疗药店", "logistics": "物流快递", "office": "办公", "other": "其他"}


class Photo(db.Model):
    __tablename__ = "photo"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # When the server's own copy (upright, EXIF stripped, at most 2048 px) was made.
    reencoded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Submission(Reviewable, db.Model):
    __tablename__ = "submission"
    # A reviewer's queue: what waits for their role (step_role is set only while waiting), in order;
    # and its counts per kind in the reviewer's areas, read from the second index alone.
    __table_args__ = (Index("ix_submission_queue", "step_role", "id", sqlite_where=text("step_role IS NOT NULL"),
                            postgresql_where=text("step_role IS NOT NULL")),
                      Index("ix_submission_queue_area", "step_role", "area_id", "kind", "status",
                            sqlite_where=text("step_role IS NOT NULL"), postgresql_where=text("step_role IS NOT NULL")))

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    collector_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)  # None: a public report
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)  # the grid of the door plate
    door_plate_id: Mapped[int] = mapped_column(ForeignKey("door_plate.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    binding_id: Mapped[int | None] = mapped_column(ForeignKey("binding.id"))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))  # the shop a binding is for
    data: Mapped[dict] = mapped_column(JSON)  # the validated fields, as submitted
    address_text: Mapped[str] = mapped_column(String(255))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    captured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    photos: Mapped[list["SubmissionPhoto"]] = relationship(order_by="SubmissionPhoto.position",
                                                           cascade="all, delete-orphan")
    door_plate: Mapped["DoorPlate"] = relationship()  # noqa: F821
    organisation: Mapped["Organisation | None"] = relationship()  # noqa: F821

    @property
    def kind_label(self) -> str:
        return SUBMISSION_KINDS[self.kind]

    @property
    def public(self) -> bool:
        return self.kind in PUBLIC_KINDS

    @property
    def status_label(self) -> str:
        return SUBMISSION_STATUSES[self.status]

    @property
    def photo_hashes(self) -> list[str]:
        return [p.photo_sha256 for p in self.photos]


class SubmissionPhoto(db.Model):
    __tablename__ = "submission_photo"

    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), primary_key=True)
    photo_sha256: Mapped[str] = mapped_column(ForeignKey("photo.sha256"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
