"""Verification tasks: opened from a plate problem, a department's register or a review; answered by
the grid worker on site (through the phone's outbox, so an answer made offline is never lost);
reminded when due soon and escalated to the street office when overdue."""
from __future__ import annotations

import time
from datetime import timedelta

from flask import current_app
from huey import crontab
from marshmallow import ValidationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.audit.services import record
from app.collect.models import Submission
from app.compare.models import RegisterRow
from app.collect.services import uploaded_photos, body_hash
from app.errors import Problem, flatten_messages, invalid
from app.extensions import db
from app.jobs.queue import huey
from app.jobs.services import in_app
from app.lifecycle import utcnow
from app.places.addresses import address_text, door_plate_of
from app.rules import require

from .models import TASK_KINDS, Task
from .schemas import AnswerIn


def open_task(actor, kind: str, node, title: str, detail: str | None = None, submission=None,
              photo_sha256: str | None = None, area=None, text: str | None = None) -> Task:
    """A task to check `node` on site, for the grid worker of the node's grid; with no node, for the
    street office of `area` (a township or district) at the address `text`. Due in TASK_DUE_DAYS;
    in the caller's transaction, with its audit row."""
    assert kind in TASK_KINDS and (node is not None or area is not None)
    plate = door_plate_of(node) if node is not None else None
    task = Task(kind=kind, area_id=plate.area_id if plate else area.id, door_plate_id=plate.id if plate else None,
                object_code=node.object_code if node is not None else None,
                address_text=address_text(node) if node is not None else text[:255], title=title[:128],
                detail=detail, photo_sha256=photo_sha256, submission_id=getattr(submission, "id", None),
                status="open",
                due_at=utcnow() + timedelta(days=current_app.config["TASK_DUE_DAYS"]))
    db.session.add(task)
    db.session.flush()
    record(actor, "task.open", task, after={"kind": kind, "title": task.title, "area_id": task.area_id})
    return task


def my_tasks(actor, limit: int = 200) -> list[Task]:
    """Open tasks in the actor's grids, the soonest due first: the field app's inbox."""
    require(actor, "collect.submit")
    sweep_if_due()
    stmt = select(Task).where(Task.status == "open", actor.jurisdiction.clause(Task))
    return list(db.session.scalars(stmt.order_by(Task.due_at, Task.id).limit(limit)))


def tasks_in(actor, status: str | None = None, overdue: bool = False, register_id: int | None = None,
             limit: int = 500) -> list[Task]:
    """Tasks in the actor's jurisdiction for the web list: overdue and escalated first."""
    require(actor, "places.read")
    sweep_if_due()
    stmt = select(Task).where(actor.jurisdiction.clause(Task))
    if status:
        stmt = stmt.where(Task.status == status)
    if overdue:
        stmt = stmt.where(Task.status == "open", Task.due_at < utcnow())
    if register_id is not None:
        rows = select(RegisterRow.task_id).where(RegisterRow.register_id == register_id)
        stmt = stmt.where(Task.id.in_(rows))
    return list(db.session.scalars(stmt.order_by(Task.status.desc(), Task.due_at, Task.id).limit(limit)))


def get_task(actor, task_id: int) -> Task:
    return actor.jurisdiction.require(db.session.get(Task, task_id))


def answer(actor, task_id: int, raw) -> tuple[Task, bool]:
    """Close a task with what was found on site: (task, True) the first time, (task, False) for a
    replay of the same answer (the outbox sends again after a cut connection).
    Problems: task.conflict (the task was answered otherwise), validation.failed, photo.missing."""
    require(actor, "tasks.answer")
    task = db.session.get(Task, task_id)
    if task is None or not actor.jurisdiction.covers(task):
        raise Problem("resource.not_found")
    if not isinstance(raw, dict):
        raise invalid({"_body": "应为 JSON 对象"})
    if task.status == "done":
        if task.answer_id == raw.get("id") and task.answer_hash == body_hash(raw):
            return task, False
        who = task.closed_by.display_name if task.closed_by else "他人"
        raise Problem("task.conflict", f"该任务已由{who}完成，无需再答复；请在“待上传”中删除这条", field="id")
    try:
        data = AnswerIn().load(raw)
    except ValidationError as e:
        raise invalid(flatten_messages(e.messages)) from None
    photos = uploaded_photos(data["photos"])
    correction = None
    if data["outcome"] == "corrected":
        correction = db.session.scalar(select(Submission).where(Submission.client_id == data["submission"]))
        if correction is None or correction.collector_id != actor.id:
            raise invalid({"submission": "找不到这份更正采集：请先提交采集，再答复任务"})
    result = {"outcome": data["outcome"], "note": data["note"], "photos": photos,
              "submission": correction.client_id if correction else None,
              "position": data["position"], "answered_at": data["answered_at"].isoformat() if data["answered_at"] else None}
    try:
        closed = db.session.execute(update(Task).where(Task.id == task.id, Task.status == "open").values(
            status="done", result=result, answer_id=data["id"], answer_hash=body_hash(raw), closed_at=utcnow(),
            closed_by_id=actor.id)).rowcount
    except IntegrityError:  # the phone used this answer's id for another task
        db.session.rollback()
        raise Problem("task.conflict", "这个答复编号已用于另一个任务；请在“待上传”中删除这条后重新答复", field="id") from None
    if not closed:  # answered by someone else a moment ago
        db.session.rollback()
        return answer(actor, task_id, raw)
    db.session.refresh(task)
    record(actor, "task.answer", task, after={"outcome": data["outcome"], "note": data["note"]})
    db.session.commit()
    return task, True


def sweep(now=None) -> dict:
    """Remind of tasks due within TASK_REMIND_HOURS and escalate overdue ones to the street office
    (each once, with an audit row). Run by the job worker every few minutes and by `flask tasks sweep`."""
    now = now or utcnow()
    soon = now + timedelta(hours=current_app.config["TASK_REMIND_HOURS"])
    counts = {}
    for action, column, when in (("remind", "reminded_at", Task.due_at <= soon), ("escalate", "escalated_at", Task.due_at < now)):
        unmarked = (Task.status == "open", getattr(Task, column).is_(None), when)
        counts[action] = 0
        for task in db.session.scalars(select(Task).where(*unmarked)).all():
            # Marked by one statement each: two workers sweeping at once mark (and audit) a task once.
            mark = update(Task).where(Task.id == task.id, *unmarked).values({column: now})
            if db.session.execute(mark.execution_options(synchronize_session=False)).rowcount:
                record(None, f"task.{action}", task, after={"due_at": task.due_at.isoformat(), "area_id": task.area_id})
                counts[action] += 1
    db.session.commit()
    return counts


_last_sweep = 0.0


def sweep_if_due(every_s: float = 300.0) -> None:
    """Sweep at most every few minutes from a request that lists tasks, so reminders and escalation
    happen on the embedded server too (which runs no periodic worker)."""
    global _last_sweep
    if time.monotonic() - _last_sweep >= every_s:
        _last_sweep = time.monotonic()
        sweep()


@huey.periodic_task(crontab(minute="*/10"))
def sweep_tasks() -> None:
    in_app(sweep)
