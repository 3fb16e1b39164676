"""Review: the chain a kind of submission goes through, and the review state a submission carries.

A chain is configuration: per submission kind, and optionally per area (the longest area-code prefix
wins), an ordered list of steps, each naming how its reviewer is found (`REVIEWERS`). Editing a
chain writes a new version and retires the old one; a submission keeps the version it started on.

A submission waits at one step at a time; `step_role` is the role resolved for that step when the
submission reached it, so a reviewer's queue is one indexed look-up. Every transition is a method
here: it checks the actor's turn (the step's role, inside their jurisdiction, a state that allows it,
not claimed by someone else), changes the state and writes its audit row in the same transaction.

The check is made by the database too: the row is written only if it is still as it was read (its
`row_version`, SQLAlchemy's version counter). Of ten reviewers claiming or deciding one item at the
same moment, one is written; the others' writes find the row changed, their transactions roll back
whole (no audit row), and `lost_race` says who got there first.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.extensions import db
from app.lifecycle import as_utc, local_time, utcnow

# How a step's reviewer is found: key -> (label, the role it resolves to, or None when it depends on
# the object, see chains.resolve).
REVIEWERS: dict[str, tuple[str, str | None]] = {
    "police": ("社区民警核查", "police"),
    "grid": ("网格员核查", "grid_worker"),
    "street": ("街道/乡镇初审", "street_reviewer"),
    "owner": ("权属单位初审", "owner_reviewer"),
    "street_or_owner": ("初审：权属单位（对象有权属单位时），否则街道/乡镇", None),
    "district": ("区县部门复审", "district_reviewer"),
    "city": ("市直部门复审", "city_reviewer"),
}
REVIEWER_ROLES = frozenset(role for _, role in REVIEWERS.values() if role)
WAITING = ("submitted", "in_review")  # at a step, in someone's queue


class Chain(db.Model):
    __tablename__ = "review_chain"
    __table_args__ = (Index("uq_review_chain_active", "kind", text("coalesce(area_code, '')"), unique=True,
                            sqlite_where=text("active"), postgresql_where=text("active")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    area_code: Mapped[str | None] = mapped_column(String(15))  # None: everywhere without a chain of its own
    version: Mapped[int] = mapped_column(Integer, default=1)
    steps: Mapped[list] = mapped_column(JSON)  # [{"label": "初审", "reviewer": "street_or_owner"}, …]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Reviewable:
    """The review state of a submission (mixed into app.collect.models.Submission)."""

    chain_id: Mapped[int | None] = mapped_column(ForeignKey("review_chain.id"))
    step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # index into the chain's steps
    step_role: Mapped[str | None] = mapped_column(String(32))  # who acts at that step (None when decided)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The versions of the master data the submission was made against (apply.base_of), to tell at
    # approval whether it changed since.
    base: Mapped[dict | None] = mapped_column(JSON)
    flags: Mapped[list | None] = mapped_column(JSON)  # codes of FLAGS found at submission
    comments: Mapped[dict | None] = mapped_column(JSON)  # field -> the reviewer's comment, when returned
    reason: Mapped[str | None] = mapped_column(Text)  # why it was rejected or returned
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Bumped by every write of the row, whose UPDATE says "WHERE row_version = <as read>".
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.row_version}

    @property
    def steps(self) -> list[dict]:
        """The steps of the chain version it started on."""
        from . import chains

        return chains.steps_of(self.chain_id) if self.chain_id else []

    @property
    def step_label(self) -> str | None:
        if self.chain_id is None or self.status not in WAITING + ("returned",):
            return None
        return self.steps[self.step]["label"]

    def claimed_by_other(self, actor) -> bool:
        return (self.claimed_by_id not in (None, actor.id) and self.claimed_until is not None
                and as_utc(self.claimed_until) > utcnow())

    # --- transitions -----------------------------------------------------------------------
    def claim(self, actor) -> None:
        """Take the item for REVIEW_CLAIM_MINUTES, so that no other reviewer works on it meanwhile."""
        self._check_turn(actor)
        self.claimed_by_id = actor.id
        self.claimed_until = utcnow() + timedelta(minutes=current_app.config["REVIEW_CLAIM_MINUTES"])
        self._record(actor, "review.claim")

    def release(self, actor) -> None:
        self._check_turn(actor)
        self.claimed_by_id = self.claimed_until = None
        self._record(actor, "review.release")

    def approve(self, actor) -> None:
        """Approve at the actor's step: on to the next step, or, at the last, apply to the master data
        (review.conflict if it changed since the submission was made)."""
        from . import apply, chains

        self._check_turn(actor)
        if self.step + 1 < len(self.steps):
            self.step += 1
            self.status, self.step_role = "in_review", chains.resolve(self.steps[self.step], self)
        else:
            self.status, self.step_role, self.decided_at = "approved", None, utcnow()
            db.session.flush()  # the decision is written first: one that lost a race goes no further
            apply.apply(actor, self)
        self._done(actor, "review.approve")

    def reject(self, actor, reason: str) -> None:
        self._check_turn(actor)
        self.status, self.step_role, self.reason, self.decided_at = "rejected", None, reason, utcnow()
        self._done(actor, "review.reject", reason)

    def return_for_correction(self, actor, reason: str | None, comments: dict[str, str]) -> None:
        """Back to the collector with a comment per field; the correction comes back to this step."""
        self._check_turn(actor)
        self.status, self.step_role, self.reason, self.comments = "returned", None, reason, comments
        self._done(actor, "review.return", reason)

    def resubmitted(self, actor) -> None:
        """The collector's correction of a returned submission: back at the step that returned it."""
        from app.errors import Problem

        from . import chains

        if self.status != "returned" or self.collector_id != actor.id:
            raise Problem("state.not_allowed", "只能更正本人被退回的提交")
        self.status = "submitted" if self.step == 0 else "in_review"
        self.step_role = chains.resolve(self.steps[self.step], self)
        self.version += 1
        self._record(actor, "review.resubmit")

    def rebase(self, actor) -> None:
        """Accept the master data as it is now as the submission's base (after review.conflict)."""
        from . import apply

        self._check_turn(actor)
        before = self.base
        self.base = apply.base_of(self)
        self._record(actor, "review.rebase", before={"base": before}, after={"base": self.base})

    def lost_race(self, actor, seen: int):
        """The problem of a transition whose writes met others made at the same moment, read again
        after the rollback. If the submission changed (its row_version is past `seen`, the one the
        transition read): review.claimed naming who holds it now, else state.not_allowed saying where
        it is now. Else what the approval wrote to the master data had just been written by someone
        else: review.conflict."""
        from app.errors import Problem

        db.session.refresh(self)
        if self.row_version == seen:
            return Problem("review.conflict", "提交涉及的主数据刚刚已被他人修改，请刷新后核对再通过")
        if self.claimed_by_other(actor):
            return self._claimed()
        waiting = f"，等待“{self.step_label}”" if self.status in WAITING else ""
        return Problem("state.not_allowed", f"该提交刚刚已被处理，现为“{self.status_label}”{waiting}，请刷新后查看")

    def is_turn_of(self, actor) -> bool:
        """Whether `actor` may act on it now (the pages offer the decisions only then)."""
        from app.errors import Problem

        try:
            self._check_turn(actor)
        except Problem:
            return False
        return True

    # --- helpers ---------------------------------------------------------------------------
    def _check_turn(self, actor) -> None:
        from app.errors import Problem

        if not actor.jurisdiction.covers(self):
            raise Problem("resource.not_found")
        if self.status not in WAITING:
            raise Problem("state.not_allowed", f"该提交当前为“{self.status_label}”，不能再审核")
        if actor.role != self.step_role:
            raise Problem("review.not_your_step", f"该提交正等待“{self.step_label}”，不是您的审核环节")
        if self.claimed_by_other(actor):
            raise self._claimed()

    def _claimed(self):
        from app.accounts.models import User
        from app.errors import Problem

        holder = db.session.get(User, self.claimed_by_id)
        return Problem("review.claimed", f"该提交已由{holder.display_name}领取（{local_time(self.claimed_until, '%H:%M')}前），"
                       "请处理其他条目")

    def _done(self, actor, action: str, reason: str | None = None) -> None:
        self.claimed_by_id = self.claimed_until = None
        self._record(actor, action, reason=reason)

    def _record(self, actor, action: str, reason: str | None = None, before=None, after=None) -> None:
        from app.audit.services import record

        record(actor, action, self, reason=reason, before=before,
               after=after or {"status": self.status, "step": self.step, "step_role": self.step_role})
