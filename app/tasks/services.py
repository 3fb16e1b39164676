"""Opening verification tasks and the grid worker's list of them."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from app.audit.services import record
from app.extensions import db
from app.lifecycle import utcnow
from app.places.addresses import address_text, door_plate_of
from app.rules import require

from .models import TASK_KINDS, Task


def open_task(actor, kind: str, node, title: str, detail: str | None = None, submission=None,
              photo_sha256: str | None = None) -> Task:
    """A task to check `node` on site, for the grid worker of the node's grid, due in TASK_DUE_DAYS;
    in the caller's transaction, with its audit row."""
    assert kind in TASK_KINDS
    plate = door_plate_of(node)
    task = Task(kind=kind, area_id=plate.area_id, door_plate_id=plate.id, object_code=node.object_code,
                address_text=address_text(node), title=title, detail=detail, photo_sha256=photo_sha256,
                submission_id=getattr(submission, "id", None), status="open",
                due_at=utcnow() + timedelta(days=current_app.config["TASK_DUE_DAYS"]))
    db.session.add(task)
    db.session.flush()
    record(actor, "task.open", task, after={"kind": kind, "title": title, "area_id": task.area_id})
    return task


def my_tasks(actor, limit: int = 200) -> list[Task]:
    """Open tasks in the actor's grids, the soonest due first: the field app's inbox."""
    require(actor, "collect.submit")
    stmt = select(Task).where(Task.status == "open", actor.jurisdiction.clause(Task))
    return list(db.session.scalars(stmt.order_by(Task.due_at, Task.id).limit(limit)))
