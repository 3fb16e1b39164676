"""What a department gets back for a register: counts built once by the comparison job, what the
grid workers found so far (an aggregate over the register's tasks, which the caps keep small), and
the Excel report, written by a job of its own. No request reads the register's rows in full."""
from __future__ import annotations

from collections import Counter

from openpyxl import Workbook
from sqlalchemy import func, select

from app.extensions import db
from app.jobs.services import enqueue, job_kind, result_file
from app.lifecycle import local_time, utcnow
from app.places.addresses import area_index
from app.spreadsheets import append
from app.tasks.models import OUTCOMES, Task

from . import registers
from .models import CLASSES, HELD, REASONS, Register, RegisterRow

BATCH = 2000
NO_DISTRICT = "未能确定"
WITH_TASK = ("opened", "joined", "sent")


def summary(register: Register) -> tuple[dict, dict]:
    """(rows per class, the rest of the report: rows per reason, per district and class, held back
    per cause), counted once when the comparison is done."""
    mine = RegisterRow.register_id == register.id
    counts = dict(db.session.execute(select(RegisterRow.klass, func.count()).where(mine)
                                     .group_by(RegisterRow.klass)).all())
    districts: dict[str, Counter] = {}
    for district_id, klass, n in db.session.execute(
            select(RegisterRow.district_id, RegisterRow.klass, func.count()).where(mine)
            .group_by(RegisterRow.district_id, RegisterRow.klass)):
        name = area_index.info(district_id)["name"] if district_id else NO_DISTRICT
        districts.setdefault(name, Counter())[klass] += n
    reasons = Counter(r for found in db.session.scalars(
        select(RegisterRow.reasons).where(mine, RegisterRow.klass == "suspicious").execution_options(yield_per=BATCH))
        for r in found or ())
    held = dict(db.session.execute(select(RegisterRow.held_reason, func.count())
                                   .where(mine, RegisterRow.dispatch == "held").group_by(RegisterRow.held_reason)).all())
    return counts, {
        "reasons": dict(reasons),
        "districts": [{"district": name, **{k: c.get(k, 0) for k in CLASSES}, "rows": sum(c.values())}
                      for name, c in sorted(districts.items(), key=lambda kv: -sum(kv[1].values()))],
        "held": {cause: held.get(cause, 0) for cause in HELD},
    }


def report(register: Register) -> dict | None:
    """The report of a compared register (None before): rows per class, per reason, per district,
    the rows held back and what became of them, and what the grid workers found."""
    if register.status != "done":
        return None
    counts, stored = register.counts or {}, register.report
    if stored is None:  # compared before reports were kept
        counts, stored = summary(register)
    return {
        "rows": register.rows_total,
        "classes": [{"class": k, "label": label, "rows": counts.get(k, 0)} for k, label in CLASSES.items()],
        "reasons": [{"reason": r, "label": label, "rows": stored["reasons"].get(r, 0)} for r, label in REASONS.items()],
        "districts": stored["districts"],
        "held": _held(register),
        "tasks": _task_outcomes(register),
    }


def _held(register: Register) -> dict:
    found = db.session.execute(
        select(RegisterRow.held_reason, RegisterRow.dispatch, func.count())
        .where(RegisterRow.register_id == register.id, RegisterRow.dispatch.in_(("held", "sent", "dismissed")),
               RegisterRow.held_reason.is_not(None))
        .group_by(RegisterRow.held_reason, RegisterRow.dispatch)).all()
    by_state = Counter()
    by_cause = Counter()
    for cause, state, n in found:
        by_state[state] += n
        by_cause[cause] += n
    return {"total": sum(by_cause.values()), "waiting": by_state["held"], "sent": by_state["sent"],
            "dismissed": by_state["dismissed"],
            "causes": [{"cause": c, "label": label, "rows": by_cause.get(c, 0)} for c, label in HELD.items()]}


def _task_outcomes(register: Register) -> dict:
    tasks = (select(Task.status, Task.result["outcome"].as_string().label("outcome"),
                    (Task.due_at < utcnow()).label("past_due"))
             .join(RegisterRow, RegisterRow.task_id == Task.id)
             .where(RegisterRow.register_id == register.id, RegisterRow.dispatch.in_(WITH_TASK)).subquery())
    stmt = select(tasks.c.status, tasks.c.outcome, tasks.c.past_due, func.count()).group_by(
        tasks.c.status, tasks.c.outcome, tasks.c.past_due)
    outcomes, total, open_, overdue = Counter(), 0, 0, 0
    for status, outcome, past_due, n in db.session.execute(stmt):
        total += n
        if status == "open":
            open_ += n
            overdue += n if past_due else 0
        else:
            outcomes[outcome] += n
    return {"total": total, "open": open_, "overdue": overdue,
            "outcomes": [{"outcome": o, "label": label, "tasks": outcomes.get(o, 0)} for o, label in OUTCOMES.items()]}


def start_excel(actor, register: Register):
    """The Excel report, written by a background job (progress and the download on its page)."""
    return enqueue(actor, "register_report", {"register_id": register.id,
                                              "label": f"{register.department}《{register.kind.name}》比对报告"})


@job_kind("register_report", "比对报告（Excel）")
def _excel_job(job, progress) -> tuple[str, str]:
    register = db.session.get(Register, job.params["register_id"])
    progress(0, register.rows_total)
    book = Workbook(write_only=True)
    _summary_sheet(book.create_sheet("汇总"), register, report(register))
    detail = book.create_sheet("明细")
    append(detail, ["行号", "单位名称", "统一社会信用代码", "地址", "联系人", "联系电话", "比对结果", "原因", "说明",
                    "对应标准地址编码", "实有单位所在门牌编码", "派发", "核查任务", "核查结果", "核查说明", "数据问题"])
    stmt = (select(RegisterRow, Task).outerjoin(Task, Task.id == RegisterRow.task_id)
            .where(RegisterRow.register_id == register.id).order_by(RegisterRow.row_number)
            .execution_options(yield_per=BATCH))
    for done, (row, task) in enumerate(db.session.execute(stmt), 1):
        errors = "；".join(f"{registers.LABELS.get(k, k)}：{v}" for k, v in (row.errors or {}).items())
        append(detail, [row.row_number, row.name, row.credit_code, row.address, row.contact, row.phone_masked,
                        row.klass_label, "、".join(REASONS[r] for r in row.reasons or ()), row.explanation,
                        row.address_code, row.found_code, row.dispatch_label, task.status_label if task else None,
                        task.outcome_label if task else None, (task.result or {}).get("note") if task else None, errors])
        progress(done)
    path = result_file(job, ".xlsx")
    book.save(path)
    return str(path), f"比对报告-{register.department}-{register.kind.name}-{register.id}.xlsx"


def _summary_sheet(sheet, register: Register, summary_: dict | None) -> None:
    append(sheet, [f"{register.department}《{register.kind.name}》比对报告"])
    append(sheet, ["文件", register.filename, "上传时间", local_time(register.uploaded_at)])
    if summary_ is None:
        append(sheet, ["状态", register.status_label, register.failure or ""])
        return
    append(sheet, [])
    append(sheet, ["比对结果", "行数"])
    for c in summary_["classes"]:
        append(sheet, [c["label"], c["rows"]])
    append(sheet, [])
    append(sheet, ["疑似问题原因", "行数"])
    for r in summary_["reasons"]:
        append(sheet, [r["label"], r["rows"]])
    append(sheet, [])
    append(sheet, ["区县", *CLASSES.values(), "合计"])
    for d in summary_["districts"]:
        append(sheet, [d["district"], *(d[k] for k in CLASSES), d["rows"]])
    append(sheet, [])
    held = summary_["held"]
    append(sheet, ["暂未推送（待派发）", held["total"], "仍待派发", held["waiting"], "已派发", held["sent"],
                   "不派发", held["dismissed"]])
    for c in held["causes"]:
        append(sheet, [c["label"], c["rows"]])
    append(sheet, [])
    tasks = summary_["tasks"]
    append(sheet, ["核查任务", tasks["total"], "未完成", tasks["open"], "已逾期", tasks["overdue"]])
    for o in tasks["outcomes"]:
        append(sheet, [o["label"], o["tasks"]])
