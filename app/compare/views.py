"""The departments' pages: upload a register (mapping its columns when they cannot be guessed), follow
the comparison, and read the report (counts, per district, rows with reasons, tasks and outcomes)."""
from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import login_required

from app.accounts.auth import actor
from app.api import upload_limit
from app.edge import database_id
from app.errors import Problem
from app.rules import require

from . import registers, report as reports, services
from .models import CLASSES, DISPATCH, HELD, REASONS

bp = Blueprint("compare", __name__, template_folder="templates", url_prefix="/compare")
STASH = re.compile(r"[0-9a-f]{24}")  # secrets.token_hex(12)
LABELS = {"kind": "登记表类别", "department": "报送部门", "file": "文件", **registers.LABELS}


def upload_parts() -> tuple[bytes, str]:
    """The uploaded file of a register form or API call: (bytes, file name)."""
    file = request.files.get("file")
    if file is None or not file.filename:
        return b"", ""
    return file.read(), file.filename


def _stash_dir() -> Path:
    folder = Path(current_app.config["INSTANCE_DIR"]) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_old_stashes(older_than_s: float = 24 * 3600) -> None:
    """Files kept for a mapping nobody finished (the user walked away) go after a day."""
    for path in _stash_dir().iterdir():
        if time.time() - path.stat().st_mtime > older_than_s:
            path.unlink(missing_ok=True)


@bp.get("/")
@login_required
def index():
    user = actor()
    require(user, "compare")
    return _index(user, form={})


def _index(user, **page):
    return render_template("compare/index.html", registers=services.listing(user), kinds=services.kinds(),
                           labels=LABELS, fields=registers.FIELDS, max_rows=current_app.config["REGISTER_MAX_ROWS"],
                           max_mb=current_app.config["REGISTER_MAX_BYTES"] // (1024 * 1024), **page)


@bp.post("/")
@upload_limit("REGISTER_MAX_BYTES")
@login_required
def upload():
    user = actor()
    require(user, "compare")
    form = {k: request.form.get(k, "") for k in ("kind", "department", "stash")}
    data, filename = upload_parts()
    stash = form["stash"]
    if not STASH.fullmatch(stash):  # a name this page made, never a path
        stash = ""
    if not data and stash:  # the file of the first try, kept while the columns are mapped
        path = _stash_dir() / stash
        if path.exists():
            data, filename = path.read_bytes(), json.loads(path.with_suffix(".json").read_text())["filename"]
    mapping = {name: request.form.get(f"map_{name}", "") for name, _, _ in registers.FIELDS} \
        if request.form.get("mapping") else None
    try:
        if not data:
            raise Problem("validation.failed", field="file", detail="请选择要上传的登记表文件（.xlsx 或 .csv）")
        register = services.upload(user, data, filename, form["kind"], form["department"], mapping)
    except Problem as problem:
        headers = problem.extra.get("headers")
        if headers is not None:  # the columns need mapping: keep the file so it is not chosen again
            _forget_old_stashes()
            stash = stash or secrets.token_hex(12)
            (_stash_dir() / stash).write_bytes(data)
            (_stash_dir() / f"{stash}.json").write_text(json.dumps({"filename": filename}))
        return _index(user, form={**form, "stash": stash if headers is not None else "", "filename": filename},
                      headers=headers, mapping=mapping or {}, problem=problem), problem.status
    if stash:
        for path in (_stash_dir() / stash, _stash_dir() / f"{stash}.json"):
            path.unlink(missing_ok=True)
    return redirect(url_for("compare.register", register_id=register.id))


@bp.get("/<int:register_id>")
@login_required
def register(register_id):
    user = actor()
    reg = services.get(user, register_id)
    klass = request.args.get("class") if request.args.get("class") in CLASSES else None
    reason = request.args.get("reason") if request.args.get("reason") in REASONS else None
    dispatch = request.args.get("dispatch") if request.args.get("dispatch") in DISPATCH else None
    after = database_id(request.args.get("after")) or 0
    rows = services.rows(reg, klass, reason, dispatch, after) if reg.status == "done" else []
    return render_template("compare/register.html", reg=reg, report=reports.report(reg), rows=rows, klass=klass,
                           reason=reason, dispatch=dispatch, classes=CLASSES, reasons=REASONS, dispatches=DISPATCH,
                           held_causes=HELD, labels=LABELS, progress=services.progress_of(reg),
                           more=rows[-1]["row"].row_number if len(rows) == services.PAGE else None)


@bp.post("/<int:register_id>/excel")
@login_required
def excel_report(register_id):
    user = actor()
    return redirect(url_for("jobs_pages.job", job_id=reports.start_excel(user, services.get(user, register_id)).id))
