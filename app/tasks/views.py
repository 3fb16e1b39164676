"""The web list of verification tasks in a jurisdiction: street offices see what is overdue and
escalated to them, departments and reviewers what the grid workers found."""
from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from app.accounts.auth import actor
from app.collect import services as collect
from app.compare import dispatch as register_dispatch
from app.compare.models import HELD, REASONS
from app.errors import Problem
from app.extensions import db

from . import services
from .models import OUTCOMES, TASK_KINDS, TASK_STATUSES

bp = Blueprint("tasks", __name__, template_folder="templates", url_prefix="/tasks")


@bp.get("/")
@login_required
def index():
    return _page(actor())


def _page(user, problem: Problem | None = None, open_id: int | None = None):
    status = request.args.get("status") if request.args.get("status") in TASK_STATUSES else None
    overdue = request.args.get("overdue") == "1"
    tasks = services.tasks_in(user, status, overdue)
    held, held_total = register_dispatch.held_rows(user) if user.can("tasks.dispatch") else ([], 0)
    return render_template("tasks/index.html", tasks=tasks, status=status, overdue=overdue, kinds=TASK_KINDS,
                           statuses=TASK_STATUSES, outcomes=OUTCOMES, problem=problem, open_id=open_id,
                           held=held, held_total=held_total, held_causes=HELD, reasons=REASONS,
                           labels={"outcome": "核查结果", "note": "情况说明", "photos": "现场照片"})


@bp.post("/held")
@login_required
def decide_held():
    """Register findings a task cap held back: sent as tasks, or marked not to be sent."""
    send = request.form.get("action") == "send"
    ids = [int(i) for i in request.form.getlist("row") if i.isdigit()]
    done = register_dispatch.decide_held(actor(), ids, send)
    flash(f"已派发 {done} 条核查任务" if send else f"已标为不派发 {done} 条")
    return redirect(url_for(".index") + "#held")


@bp.post("/<int:task_id>/answer")
@login_required
def answer(task_id):
    """A task answered at the desk (a street office's task with no known place, or a grid worker
    without the app): the same answer the phone sends, its photo uploaded with the form."""
    user = actor()
    form = request.form
    raw = {"id": str(uuid.uuid4()), "outcome": form.get("outcome", ""), "photos": []}
    if form.get("note", "").strip():
        raw["note"] = form["note"].strip()
    try:
        photo = request.files.get("photo")
        if photo is not None and photo.filename:
            data = photo.read()
            row = collect.checked_photo(data, "photos")
            collect.store_photo(row, data, user.id)
            raw["photos"].append(row["sha256"])
        task, _ = services.answer(user, task_id, raw)
    except Problem as problem:
        if problem.status == 404:
            raise
        db.session.rollback()
        return _page(user, problem=problem, open_id=task_id), problem.status
    flash(f"已答复：{task.title}（{task.outcome_label}）")
    return redirect(url_for(".index", status="open"))
