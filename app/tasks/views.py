"""The web list of verification tasks in a jurisdiction: street offices see what is overdue and
escalated to them, departments and reviewers what the grid workers found."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required

from app.accounts.auth import actor

from . import services
from .models import OUTCOMES, TASK_KINDS, TASK_STATUSES

bp = Blueprint("tasks", __name__, template_folder="templates", url_prefix="/tasks")


@bp.get("/")
@login_required
def index():
    status = request.args.get("status") if request.args.get("status") in TASK_STATUSES else None
    overdue = request.args.get("overdue") == "1"
    tasks = services.tasks_in(actor(), status, overdue)
    return render_template("tasks/index.html", tasks=tasks, status=status, overdue=overdue, kinds=TASK_KINDS,
                           statuses=TASK_STATUSES, outcomes=OUTCOMES)
