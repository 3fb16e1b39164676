"""A department's register: its file checked at upload and stored, read and compared in a background
job (app.compare.registers, app.compare.matching), its suspicious rows sent as verification tasks
within the caps (app.compare.dispatch), and reported back (app.compare.report)."""
from __future__ import annotations

from pathlib import Path

from flask import current_app
from sqlalchemy import Text, cast, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import privacy
from app.audit.services import record
from app.errors import Problem, invalid
from app.extensions import db
from app.jobs.services import enqueue, job_kind
from app.lifecycle import utcnow
from app.places.addresses import area_index
from app.places.models import Area
from app.rules import require
from app.tasks.models import Task

from . import registers
from .dispatch import Dispatcher
from .matching import Matcher
from .models import CLASSES, Register, RegisterKind, RegisterRow
from .report import summary

PAGE = 100
BATCH = 2000
NOT_SENT = {"task_id": None, "dispatch": None, "held_reason": None, "task_area_id": None}


def kinds() -> list[RegisterKind]:
    return list(db.session.scalars(select(RegisterKind).order_by(RegisterKind.name)))


def _text(value, field: str, label: str, most: int) -> str:
    value = (value or "").strip()
    if not value:
        raise invalid({field: f"请填写{label}"})
    if len(value) > most:
        raise invalid({field: f"{label}不能超过 {most} 个字"})
    return value


def _home_area(actor) -> Area:
    """The widest area of the actor's jurisdiction: what a register is compared with, who sees it."""
    codes = actor.jurisdiction.area_codes
    if not codes:
        raise Problem("auth.forbidden", "您的账号没有辖区，无法比对登记表；请联系管理员设置辖区")
    return db.session.scalar(select(Area).where(Area.code == min(codes, key=len)))


def upload(actor, data: bytes, filename: str, kind_name: str, department: str,
           mapping: dict[str, str] | None = None, start: bool = True) -> Register:
    """Check what is cheap to check in a register file (type, size, an Excel file's zip directory,
    the header row), map its columns, store the file and start reading and comparing it (a background
    job; with start=False the caller runs `run`). Nothing is stored when the file is refused (Problem)."""
    require(actor, "compare")
    kind_name = _text(kind_name, "kind", "登记表类别（如：道路运输企业）", 64)
    department = _text(department, "department", "报送部门", 64)
    area = _home_area(actor)
    found = registers.inspect(data, filename)
    kind = db.session.scalar(select(RegisterKind).where(RegisterKind.name == kind_name))
    columns = registers.map_columns(found.headers, mapping or (kind.mapping if kind else None) or None)
    if kind is None:
        kind = RegisterKind(name=kind_name)
        db.session.add(kind)
    kind.mapping = {name: found.headers[i] for name, i in columns.items()}  # the next upload needs no mapping
    register = Register(kind=kind, department=department, filename=filename[:255], format=found.format,
                        columns=columns, area_id=area.id, uploaded_by_id=actor.id, status="reading")
    db.session.add(register)
    try:
        db.session.flush()
    except IntegrityError:  # the same new kind uploaded at the same moment by someone else: it exists now
        db.session.rollback()
        return upload(actor, data, filename, kind_name, department, mapping, start)
    stored_file(register).write_bytes(data)
    record(actor, "register.upload", register, after={"kind": kind_name, "department": department,
                                                      "filename": filename, "bytes": len(data)})
    db.session.commit()
    if start:
        register.job_id = enqueue(actor, "register_compare", {"register_id": register.id,
                                                              "label": f"{department}《{kind_name}》"}).id
        db.session.commit()
    return register


def stored_file(register: Register) -> Path:
    """Where an uploaded register waits for its job (deleted once read)."""
    folder = Path(current_app.config["INSTANCE_DIR"]) / "registers"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{register.id}.{register.format}"


def _stored_row(register_id: int, row: dict) -> dict:
    phone = row["phone"]
    return {"register_id": register_id, "row_number": row["row"], "name": row["name"][:128],
            "credit_code": row["credit_code"][:64], "address": row["address"][:255], "contact": row["contact"][:64],
            "phone_enc": privacy.seal(phone) if phone else None, "phone_masked": privacy.mask_phone(phone)[:32] if phone else None,
            "errors": row.get("errors"), "klass": "invalid" if row.get("errors") else None,
            "explanation": row.get("code_problem")}


@job_kind("register_compare", "部门登记表比对")
def _compare_job(job, progress):
    return None, None, run(db.session.get(Register, job.params["register_id"]), progress)


def run(register: Register, progress=lambda done, total=None: None) -> str:
    """Read the register's stored file if not yet read, then compare it; what was found, in words.
    A file refused while it is read (Problem) leaves the register failed with the reason and no row."""
    if register.status == "reading":
        try:
            _read(register, progress)
        except Exception as e:
            _fail(register, e.detail if isinstance(e, Problem) else "读取文件时出错，错误已记录，请重新上传或联系管理员")
            raise
        finally:
            stored_file(register).unlink(missing_ok=True)
    return compare(register, progress)


def _read(register: Register, progress) -> None:
    """Every row of the stored file into register_row, a batch per transaction (progress is
    written between them). The job's progress runs over reading and comparing: reading is the
    first half, its total estimated from how much of the file the rows so far took."""
    rows = []
    done = 0
    with registers.RegisterFile(stored_file(register), register.format) as source:
        register.encoding = source.encoding
        for record_ in registers.records(source, register.columns):
            rows.append(_stored_row(register.id, record_))
            if len(rows) == BATCH:
                done += _insert(rows)
                progress(done, 2 * max(done, int(done / max(source.fraction, 1e-6))))
    done += _insert(rows)
    register.rows_total, register.status = done, "matching"
    db.session.commit()
    progress(done, 2 * done)


def _insert(rows: list[dict]) -> int:
    if rows:
        db.session.execute(insert(RegisterRow), rows)
        db.session.commit()
    n = len(rows)
    rows.clear()
    return n


def _fail(register: Register, reason: str) -> None:
    db.session.rollback()
    db.session.execute(delete(RegisterRow).where(RegisterRow.register_id == register.id))
    register.status, register.problem, register.finished_at = "failed", reason, utcnow()
    record(register.uploaded_by, "register.refuse", register, after={"problem": reason})
    db.session.commit()


def compare(register: Register, progress=lambda done, total=None: None) -> str:
    """Classify every row not yet classified, a batch per transaction, and send each suspicious one
    (app.compare.dispatch); then the report's counts. What it found, in words. The caller commits."""
    total = register.rows_total
    done = db.session.scalar(select(func.count()).where(RegisterRow.register_id == register.id,
                                                        RegisterRow.klass.is_not(None)))
    progress(total + done, 2 * total)
    matcher = Matcher(register.uploaded_by.jurisdiction)
    dispatcher = Dispatcher(register)
    after = 0
    while batch := db.session.execute(
            select(RegisterRow.id, RegisterRow.row_number, RegisterRow.name, RegisterRow.credit_code,
                   RegisterRow.address, RegisterRow.explanation)
            .where(RegisterRow.register_id == register.id, RegisterRow.klass.is_(None), RegisterRow.id > after)
            .order_by(RegisterRow.id).limit(BATCH)).all():
        verdicts = {row.id: matcher.classify({"name": row.name, "credit_code": row.credit_code,
                                              "address": row.address, "code_problem": row.explanation})
                    for row in batch}
        dispatcher.batch({i: v for i, v in verdicts.items() if v.klass == "suspicious"})
        updates = []
        for row in batch:
            verdict = verdicts[row.id]
            updates.append({"id": row.id, "klass": verdict.klass, "reasons": verdict.reasons,
                            "explanation": verdict.explanation, "name_score": verdict.name_score,
                            "organisation_id": verdict.organisation_id, "address_code": matcher.code_of(verdict.plate_id),
                            "found_code": matcher.code_of(verdict.found_plate_id), "district_id": verdict.district_id,
                            # Every row with the same columns: one UPDATE statement for the whole batch.
                            **NOT_SENT, **(dispatcher.dispatch(row, verdict) if verdict.klass == "suspicious" else {})})
        db.session.execute(update(RegisterRow), updates)
        db.session.commit()  # and SQLite's write lock goes, which the progress write waits for
        done, after = done + len(batch), batch[-1].id
        progress(total + done)
    register.counts, register.report = summary(register)
    register.status, register.finished_at = "done", utcnow()
    record(register.uploaded_by, "register.compare", register, after={"counts": register.counts,
                                                                      "held": register.report["held"]})
    return _said(register)


def _said(register: Register) -> str:
    counts, held = register.counts, register.report["held"]
    sent = dict(db.session.execute(select(RegisterRow.dispatch, func.count()).where(
        RegisterRow.register_id == register.id, RegisterRow.dispatch.in_(("opened", "joined")))
        .group_by(RegisterRow.dispatch)).all())
    summary_ = "，".join(f"{label} {counts.get(k, 0)} 行" for k, label in CLASSES.items())
    said = f"比对完成：{summary_}；已向网格员推送核查任务 {sent.get('opened', 0)} 个"
    if sent.get("joined"):
        said += f"（另有 {sent['joined']} 行与此前推送、尚未完成的任务相同，未重复推送）"
    if any(held.values()):
        why = {"register": f"超出每份登记表 {current_app.config['REGISTER_MAX_TASKS']:,} 个任务的上限",
               "street": f"所在街道/乡镇当日已达 {current_app.config['REGISTER_STREET_TASKS_PER_DAY']:,} 个任务的上限"}
        causes = "；".join(f"{n} 行{why[cause]}" for cause, n in held.items() if n)
        said += (f"；{sum(held.values())} 行暂未推送（{causes}），列在“待派发”中，"
                 "由街道或区县在核查任务页决定派发或不派发")
    return said


# --- reading it back -------------------------------------------------------------------------

def get(actor, register_id: int) -> Register:
    """A register its uploader, or anyone who may compare inside its area, may see; 404 otherwise."""
    require(actor, "compare")
    register = db.session.get(Register, register_id)
    if register is None or not (register.uploaded_by_id == actor.id
                                or actor.jurisdiction.covers_area_code(area_index.code(register.area_id))):
        raise Problem("resource.not_found")
    return register


def listing(actor, limit: int = 100) -> list[Register]:
    require(actor, "compare")
    visible = select(Register).join(Area, Register.area_id == Area.id).where(
        (Register.uploaded_by_id == actor.id) | actor.jurisdiction.clause(Area))
    return list(db.session.scalars(visible.options(selectinload(Register.job)).order_by(Register.id.desc()).limit(limit)))


def rows(register: Register, klass: str | None = None, reason: str | None = None, dispatch: str | None = None,
         after: int = 0, limit: int = PAGE) -> list[dict]:
    """A page of rows in file order (after row number `after`), with their task (status, outcome)."""
    stmt = (select(RegisterRow, Task).outerjoin(Task, Task.id == RegisterRow.task_id)
            .where(RegisterRow.register_id == register.id, RegisterRow.row_number > after))
    if klass:
        stmt = stmt.where(RegisterRow.klass == klass)
    if reason:  # reasons is a JSON list of codes; its text holds the code in quotes on every database
        stmt = stmt.where(cast(RegisterRow.reasons, Text).like(f'%"{reason}"%'))
    if dispatch:
        stmt = stmt.where(RegisterRow.dispatch == dispatch)
    return [{"row": row, "task": task}
            for row, task in db.session.execute(stmt.order_by(RegisterRow.row_number).limit(limit))]


def progress_of(register: Register) -> dict:
    """How far reading and comparing have got, as the page's progress bar reads it: status (queued,
    running, done, failed), status_label, done and total rows of the phase (while reading, total is
    an estimate), percent of the whole, and message (why it failed)."""
    job = register.job
    failure = register.failure
    if register.status == "done" or failure or job is None:
        status = "done" if register.status == "done" else "failed" if failure else "queued"
        return {"status": status, "status_label": register.status_label, "done": register.rows_total,
                "total": register.rows_total, "percent": 100 if status == "done" else 0, "message": failure}
    if register.status == "reading":
        done, total = job.done, job.total // 2
    else:
        done, total = max(job.done - register.rows_total, 0), register.rows_total
    return {"status": "queued" if job.status == "queued" else "running", "status_label": register.status_label,
            "done": done, "total": total, "percent": job.percent, "message": None}
