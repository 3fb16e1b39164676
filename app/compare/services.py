"""A department's register: uploaded and checked (all rows or none stored), compared in a background
job (app.compare.matching), its suspicious rows pushed as verification tasks, and reported back."""
from __future__ import annotations

import io
from collections import Counter, defaultdict

from openpyxl import Workbook
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from app import privacy
from app.audit.services import record
from app.errors import Problem, invalid
from app.extensions import db
from app.jobs.services import enqueue, job_kind
from app.lifecycle import local_time, utcnow
from app.places.addresses import area_index
from app.places.models import Area, DoorPlate
from app.rules import require
from app.tasks.models import OUTCOMES, Task
from app.tasks.services import open_task

from . import registers
from .matching import Matcher, name_key
from .models import CLASSES, REASONS, Register, RegisterKind, RegisterRow

PAGE = 100


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
    """Read, map and check a register, store it with every row (a bad row with its errors), and start
    comparing it (a background job; with start=False the caller runs `compare`). Nothing is stored
    when the file itself is refused (Problem)."""
    require(actor, "compare")
    kind_name = _text(kind_name, "kind", "登记表类别（如：道路运输企业）", 64)
    department = _text(department, "department", "报送部门", 64)
    area = _home_area(actor)
    table = registers.read_table(data, filename)
    kind = db.session.scalar(select(RegisterKind).where(RegisterKind.name == kind_name))
    columns = registers.map_columns(table.headers, mapping or (kind.mapping if kind else None) or None)
    good, bad = registers.check_rows(table, columns)
    if kind is None:
        kind = RegisterKind(name=kind_name)
        db.session.add(kind)
    kind.mapping = {name: table.headers[i] for name, i in columns.items()}  # the next upload needs no mapping
    register = Register(kind=kind, department=department, filename=filename[:255], encoding=table.encoding,
                        area_id=area.id, uploaded_by_id=actor.id, rows_total=len(good) + len(bad))
    db.session.add(register)
    try:
        db.session.flush()
    except IntegrityError:  # the same new kind uploaded at the same moment by someone else: it exists now
        db.session.rollback()
        return upload(actor, data, filename, kind_name, department, mapping, start)
    rows = [_stored_row(register.id, row) for row in good + bad]
    db.session.execute(insert(RegisterRow), sorted(rows, key=lambda r: r["row_number"]))
    record(actor, "register.upload", register, after={"kind": kind_name, "department": department,
                                                      "filename": filename, "rows": len(rows), "bad_rows": len(bad)})
    db.session.commit()
    if start:
        register.job_id = enqueue(actor, "register_compare", {"register_id": register.id,
                                                              "label": f"{department}《{kind_name}》"}).id
        db.session.commit()
    return register


def _stored_row(register_id: int, row: dict) -> dict:
    phone = row["phone"]
    return {"register_id": register_id, "row_number": row["row"], "name": row["name"][:128],
            "credit_code": row["credit_code"][:64], "address": row["address"][:255], "contact": row["contact"][:64],
            "phone_enc": privacy.seal(phone) if phone else None, "phone_masked": privacy.mask_phone(phone)[:32] if phone else None,
            "errors": row.get("errors"), "klass": "invalid" if row.get("errors") else None,
            "explanation": row.get("code_problem")}


@job_kind("register_compare", "部门登记表比对")
def _compare_job(job, progress):
    return None, None, compare(db.session.get(Register, job.params["register_id"]), progress)


def compare(register: Register, progress=lambda done, total=None: None) -> str:
    """Classify every row not yet classified, open a task per suspicious row; what it found, in words.
    The caller commits."""
    actor = register.uploaded_by
    rows = db.session.execute(select(RegisterRow.id, RegisterRow.name, RegisterRow.credit_code, RegisterRow.address,
                                     RegisterRow.explanation).where(RegisterRow.register_id == register.id,
                                                                    RegisterRow.klass.is_(None))
                              .order_by(RegisterRow.id)).all()
    progress(0, len(rows) + 1)
    matcher = Matcher(actor.jurisdiction)
    verdicts, updates = {}, []
    for i, (row_id, name, code, address, code_problem) in enumerate(rows):
        verdict = matcher.classify({"name": name, "credit_code": code, "address": address, "code_problem": code_problem})
        verdicts[row_id] = verdict
        updates.append({"id": row_id, "klass": verdict.klass, "reasons": verdict.reasons,
                        "explanation": verdict.explanation, "name_score": verdict.name_score,
                        "organisation_id": verdict.organisation_id, "address_code": matcher.code_of(verdict.plate_id),
                        "found_code": matcher.code_of(verdict.found_plate_id), "district_id": verdict.district_id})
        if i % 500 == 0:
            progress(i)
    # Progress is written on a connection of its own, which on SQLite would wait for the write lock
    # this session takes from here on: the last word before writing.
    progress(len(rows))
    if updates:
        db.session.execute(update(RegisterRow), updates)
    suspicious = {row_id: v for row_id, v in verdicts.items() if v.klass == "suspicious"}
    tasks = _open_tasks(actor, register, suspicious)
    counts = Counter(db.session.scalars(select(RegisterRow.klass).where(RegisterRow.register_id == register.id)))
    register.counts, register.status, register.finished_at = dict(counts), "done", utcnow()
    record(actor, "register.compare", register, after={"counts": register.counts, "tasks": tasks})
    summary = "，".join(f"{label} {counts.get(k, 0)} 行" for k, label in CLASSES.items())
    joined = len(suspicious) - tasks
    return (f"比对完成：{summary}；已向网格员推送核查任务 {tasks} 个"
            + (f"（另有 {joined} 行与此前推送、尚未完成的任务相同，未重复推送）" if joined else ""))


def _open_tasks(actor, register: Register, suspicious: dict) -> int:
    """A verification task per suspicious row: at the door plate the row names (else where the
    organisation is on record) for that grid's worker; with no place, for the street office of the
    township or district the address names, else of the register's own area. A row that an earlier
    upload already sent out (same organisation, same problem, same place, task still open) joins that
    task rather than sending the grid worker a second one. Returns how many tasks were opened."""
    plate_ids = {v.plate_id or v.found_plate_id for v in suspicious.values()} - {None}
    plates = {p.id: p for p in db.session.scalars(select(DoorPlate).where(DoorPlate.id.in_(plate_ids)))} if plate_ids else {}
    areas = {a.id: a for a in db.session.scalars(select(Area).where(
        Area.id.in_({v.area_id for v in suspicious.values()} - {None})))}
    rows = {r.id: r for r in db.session.scalars(select(RegisterRow).where(RegisterRow.id.in_(list(suspicious))))}
    open_before = {_task_key(row.name, row.reasons, task.door_plate_id, task.area_id): task.id
                   for row, task in db.session.execute(
                       select(RegisterRow, Task).join(Task, Task.id == RegisterRow.task_id)
                       .where(Task.status == "open", Task.kind == "register", RegisterRow.register_id != register.id))}
    source = f"{register.department}《{register.kind.name}》"
    opened = 0
    for row_id, verdict in suspicious.items():
        row = rows[row_id]
        plate = plates.get(verdict.plate_id or verdict.found_plate_id)
        area = None if plate else areas.get(verdict.area_id) or register.area
        key = _task_key(row.name, verdict.reasons, plate.id if plate else None, plate.area_id if plate else area.id)
        if key in open_before:
            row.task_id = open_before[key]
            continue
        detail = (f"{source}第 {row.row_number} 行：{row.name}（{row.credit_code or '未填信用代码'}），"
                  f"登记地址：{row.address}。{verdict.explanation}。请到现场核实该单位是否在此经营。")
        row.task_id = open_task(actor, "register", plate, f"部门比对：{REASONS[verdict.reasons[0]]}", detail,
                                area=area, text=row.address).id
        open_before[key] = row.task_id
        opened += 1
    return opened


def _task_key(name: str, reasons, plate_id: int | None, area_id: int) -> tuple:
    return name_key(name), tuple(reasons or ()), plate_id, area_id


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
    return list(db.session.scalars(visible.order_by(Register.id.desc()).limit(limit)))


def report(register: Register) -> dict:
    """What the department gets back: rows per class, per reason, per district, and what the grid
    workers found (tasks per outcome, open, overdue)."""
    rows = db.session.execute(select(RegisterRow.klass, RegisterRow.reasons, RegisterRow.district_id)
                              .where(RegisterRow.register_id == register.id)).all()
    by_class = Counter(k for k, _, _ in rows)
    by_reason = Counter(r for _, reasons, _ in rows for r in reasons or ())
    by_district: dict[str, Counter] = defaultdict(Counter)
    for klass, _, district_id in rows:
        by_district[area_index.info(district_id)["name"] if district_id else "未能确定"][klass] += 1
    tasks = _task_outcomes(register)
    return {
        "rows": len(rows),
        "classes": [{"class": k, "label": label, "rows": by_class.get(k, 0)} for k, label in CLASSES.items()],
        "reasons": [{"reason": r, "label": label, "rows": by_reason.get(r, 0)} for r, label in REASONS.items()],
        "districts": [{"district": name, **{k: counts.get(k, 0) for k in CLASSES}, "rows": sum(counts.values())}
                      for name, counts in sorted(by_district.items(), key=lambda kv: -sum(kv[1].values()))],
        "tasks": tasks,
    }


def _task_outcomes(register: Register) -> dict:
    stmt = (select(Task.status, Task.result, Task.due_at < utcnow()).join(RegisterRow, RegisterRow.task_id == Task.id)
            .where(RegisterRow.register_id == register.id))
    outcomes, total, open_, overdue = Counter(), 0, 0, 0
    for status, result, past_due in db.session.execute(stmt):
        total += 1
        if status == "open":
            open_ += 1
            overdue += bool(past_due)
        else:
            outcomes[(result or {}).get("outcome")] += 1
    return {"total": total, "open": open_, "overdue": overdue,
            "outcomes": [{"outcome": o, "label": label, "tasks": outcomes.get(o, 0)} for o, label in OUTCOMES.items()]}


def rows(register: Register, klass: str | None = None, reason: str | None = None, after: int = 0,
         limit: int | None = PAGE) -> list[dict]:
    """Rows in file order, with their task (status, outcome) when one was opened; all with limit=None."""
    stmt = (select(RegisterRow, Task).outerjoin(Task, Task.id == RegisterRow.task_id)
            .where(RegisterRow.register_id == register.id, RegisterRow.row_number > after))
    if klass:
        stmt = stmt.where(RegisterRow.klass == klass)
    out = []
    for row, task in db.session.execute(stmt.order_by(RegisterRow.row_number)):
        if reason and reason not in (row.reasons or ()):
            continue
        out.append({"row": row, "task": task})
        if limit is not None and len(out) >= limit:
            break
    return out


def report_xlsx(register: Register) -> bytes:
    """The report as Excel: a summary sheet and every row with its class, reasons and task outcome."""
    summary = report(register)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("汇总")
    sheet.append([f"{register.department}《{register.kind.name}》比对报告"])
    sheet.append(["文件", register.filename, "上传时间", local_time(register.uploaded_at)])
    sheet.append([])
    sheet.append(["比对结果", "行数"])
    for c in summary["classes"]:
        sheet.append([c["label"], c["rows"]])
    sheet.append([])
    sheet.append(["疑似问题原因", "行数"])
    for r in summary["reasons"]:
        sheet.append([r["label"], r["rows"]])
    sheet.append([])
    sheet.append(["区县", *CLASSES.values(), "合计"])
    for d in summary["districts"]:
        sheet.append([d["district"], *(d[k] for k in CLASSES), d["rows"]])
    sheet.append([])
    tasks = summary["tasks"]
    sheet.append(["核查任务", tasks["total"], "未完成", tasks["open"], "已逾期", tasks["overdue"]])
    for o in tasks["outcomes"]:
        sheet.append([o["label"], o["tasks"]])
    detail = book.create_sheet("明细")
    detail.append(["行号", "单位名称", "统一社会信用代码", "地址", "联系人", "联系电话", "比对结果", "原因", "说明",
                   "对应标准地址编码", "实有单位所在门牌编码", "核查任务", "核查结果", "核查说明", "数据问题"])
    for item in rows(register, limit=None):
        row, task = item["row"], item["task"]
        errors = "；".join(f"{registers.LABELS.get(k, k)}：{v}" for k, v in (row.errors or {}).items())
        detail.append([row.row_number, row.name, row.credit_code, row.address, row.contact, row.phone_masked,
                       row.klass_label, "、".join(REASONS[r] for r in row.reasons or ()), row.explanation,
                       row.address_code, row.found_code, task.status_label if task else None,
                       task.outcome_label if task else None, (task.result or {}).get("note") if task else None, errors])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
