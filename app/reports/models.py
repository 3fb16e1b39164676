"""What a public report has beyond its submission: the receipt, and the reporter's personal data,
stored as a Resident's is (encrypted, a keyed hash for look-ups, a masked copy for display)."""
from __future__ import annotations

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.privacy import SEALED, blind_index_of

# What the receipt page says: the state only, never the data.
RECEIPT_STATES = {"submitted": "已受理", "in_review": "审核中", "returned": "需补充信息",
                  "approved": "已办结（已采纳）", "rejected": "已办结（未采纳）"}


class PublicReport(db.Model):
    __tablename__ = "public_report"

    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), primary_key=True)
    reference: Mapped[str] = mapped_column(String(10), unique=True)  # told on the phone: "R7K3Q9M2X"
    receipt_token: Mapped[str] = mapped_column(String(24), unique=True)  # the status page's unguessable link
    id_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary, info=SEALED)
    id_number_hash: Mapped[str | None] = mapped_column(String(64), index=True, info=blind_index_of("id_number_enc"))
    id_number_masked: Mapped[str | None] = mapped_column(String(18))
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary, info=SEALED)
    phone_masked: Mapped[str | None] = mapped_column(String(16))
    # The room a residence declares, as "room:<id>" or "<building id>:<unit>:<number>": the reviewer
    # sees declarations of the same person (ID number) for the same room linked, each with its own receipt.
    room_key: Mapped[str | None] = mapped_column(String(64))

    @property
    def id(self) -> int:  # what audit rows name it by
        return self.submission_id

    submission: Mapped["Submission"] = relationship(backref=db.backref("report", uselist=False))  # noqa: F821
