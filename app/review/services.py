"""The reviewer's desk: the queue at my step, one item with what a reviewer needs to decide, the
decisions, bulk approval (a dry run, then one background job), the Excel export and the overview."""
from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.models import User
from app.actuals.models import Organisation
from app.audit.models import AuditLog
from app.collect.models import SUBMISSION_KINDS, Submission, SubmissionPhoto
from app.edge import database_id
from app.errors import Problem
from app.extensions import db
from app.jobs.services import enqueue, job_kind, result_file
from app.lifecycle import as_utc, local_time, utcnow
from app.places.models import Area
from app.rules import require
from app.spreadsheets import append

from . import apply
from .models import REVIEWER_ROLES, WAITING

PAGE = 50
# What a transaction's write raises when another, made at the same moment, got there first: a row
# changed since it was read (a version counter), or a unique index taken.
MET_ANOTHER = (StaleDataError, IntegrityError)
AREA_LIST_MAX = 20000
BULK_MAX = 20000
BATCH = 200


@dataclass(frozen=True)
class QueueFilter:
    """What the reviewer narrowed the queue to (all optional). `age_days`: waiting at least that long.
    A bulk approval's dry run pins the selection: ages counted at `as_of` (ISO time), and nothing
    that arrived after item `last_id`, so that the approval takes what the dry run showed."""
    area: str | None = None
    kind: str | None = None
    collector: str | None = None
    age_days: int | None = None
    has_photo: bool | None = None
    flag: str | None = None
    sort: str = "oldest"  # or "newest"
    as_of: str | None = None
    last_id: int | None = None

    def __post_init__(self):
        if isinstance(self.as_of, datetime):  # kept as text: filters travel in forms and job params
            object.__setattr__(self, "as_of", self.as_of.isoformat())

    def args(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, "", "oldest")}

    def describe(self) -> str:
        """The selection in words: "门店采集，等待≥3天" ("" for everything)."""
        parts = [f"区划 {self.area}" if self.area else None, SUBMISSION_KINDS.get(self.kind),
                 f"采集人 {self.collector}" if self.collector else None,
                 f"等待≥{self.age_days}天" if self.age_days else None,
                 {True: "有照片", False: "无照片"}.get(self.has_photo), apply.FLAGS.get(self.flag)]
        return "，".join(p for p in parts if p)

    def label(self, actor) -> str:
        """For a job's page: "街道/乡镇初审队列：门店采集，等待≥3天"."""
        return f"{actor.role_label}队列：" + (self.describe() or "全部")


def _require_reviewer(actor) -> None:
    if actor.role not in REVIEWER_ROLES:
        raise Problem("auth.forbidden", f"“{actor.role_label}”不是审核角色，没有审核队列")


def waiting_at_my_step(actor, f: QueueFilter):
    """select(Submission) waiting at the actor's step, in their jurisdiction, narrowed by `f`."""
    _require_reviewer(actor)
    jurisdiction = actor.jurisdiction
    stmt = select(Submission).where(Submission.step_role == actor.role, Submission.status.in_(WAITING))
    if jurisdiction.object_codes:
        stmt = stmt.where(jurisdiction.clause(Submission))
        if f.area:
            stmt = stmt.where(Submission.area_id.in_(select(Area.id).where(Area.code.startswith(f.area,
                                                                                             autoescape=True))))
    else:
        # The areas' ids first, then a list of them: PostgreSQL estimates `area_id IN (subquery on the
        # code's prefix)` at one area (bench/review_queue.py), and so planned a district's queue as a
        # loop over its areas reading every waiting row (hundreds of ms at a million submissions).
        areas = select(Area.id).where(jurisdiction.clause(Area))
        if f.area:
            areas = areas.where(Area.code.startswith(f.area, autoescape=True))
        ids = list(db.session.scalars(areas.limit(AREA_LIST_MAX + 1)))
        # A jurisdiction of more areas than a statement may bind (SQLite: 32,766) keeps the subquery.
        stmt = stmt.where(Submission.area_id.in_(ids if len(ids) <= AREA_LIST_MAX else areas))
    if f.kind:
        stmt = stmt.where(Submission.kind == f.kind)
    if f.collector:
        stmt = stmt.where(Submission.collector_id.in_(select(User.id).where(User.username == f.collector)))
    if f.age_days:
        now = datetime.fromisoformat(f.as_of) if f.as_of else utcnow()
        stmt = stmt.where(Submission.received_at <= now - timedelta(days=f.age_days))
    if f.last_id:
        stmt = stmt.where(Submission.id <= f.last_id)
    if f.has_photo is not None:
        has = select(SubmissionPhoto.submission_id).where(SubmissionPhoto.submission_id == Submission.id).exists()
        stmt = stmt.where(has if f.has_photo else ~has)
    if f.flag:
        # JSON arrays are matched as text: the flag codes are plain, quoted words.
        stmt = stmt.where(func.cast(Submission.flags, db.Text).contains(f'"{f.flag}"'))
    return stmt


def _cursor(value: int | None) -> str | None:
    return None if value is None else base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def _uncursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError:
        value = None
    if not isinstance(value, int) or database_id(value) is None:
        raise Problem("validation.failed", field="cursor", detail="翻页标记无效，请从第一页重新打开")
    return value


def queue(actor, f: QueueFilter, cursor: str | None = None, limit: int = PAGE) -> dict:
    """One page of the queue (by cursor: stable while items leave it), with its counts."""
    every_kind = waiting_at_my_step(actor, replace(f, kind=None))  # the counts are per kind
    stmt = every_kind.where(Submission.kind == f.kind) if f.kind else every_kind
    after = _uncursor(cursor)
    newest = f.sort == "newest"
    if after is not None:
        stmt = stmt.where(Submission.id < after if newest else Submission.id > after)
    # What a queue row shows, loaded with the page rather than one item at a time.
    stmt = stmt.options(joinedload(Submission.door_plate), selectinload(Submission.photos),
                        selectinload(Submission.organisation))
    rows = list(db.session.scalars(stmt.order_by(Submission.id.desc() if newest else Submission.id).limit(limit + 1)))
    more = len(rows) > limit
    items = rows[:limit]
    return {"items": items, "next": _cursor(items[-1].id) if more else None, "counts": _counts(every_kind, f.kind)}


def _counts(stmt, kind: str | None) -> dict:
    """How many wait under this filter (`stmt`, every kind), in all and per kind."""
    per_kind = {kind: n for kind, n in db.session.execute(
        stmt.with_only_columns(Submission.kind, func.count()).group_by(Submission.kind).order_by(None))}
    total = per_kind.get(kind, 0) if kind else sum(per_kind.values())
    return {"total": total, "kinds": {k: per_kind.get(k, 0) for k in SUBMISSION_KINDS}}


def item(actor, client_id: str) -> Submission:
    """A submission the actor may see (any step, any state), or 404."""
    require(actor, "actuals.read")
    found = db.session.scalar(select(Submission).where(Submission.client_id == client_id))
    return actor.jurisdiction.require(found)


def send_to_site(actor, client_id: str, note: str):
    """A review finding (the shop front does not match, the plate looks wrong…) as a verification
    task for the grid worker of the submission's place; one commit."""
    from app.places.models import Building, Room
    from app.tasks.services import open_task

    submission = item(actor, client_id)
    if actor.role not in REVIEWER_ROLES:
        raise Problem("auth.forbidden", "只有审核人员可以派发现场核查")
    note = (note or "").strip()
    if not 2 <= len(note) <= 500:
        raise Problem("validation.failed", field="note", detail="请写明要网格员现场核查什么（2–500 字）")
    node = (db.session.get(Room, submission.room_id) if submission.room_id else
            db.session.get(Building, submission.building_id) if submission.building_id else submission.door_plate)
    task = open_task(actor, "review", node, f"审核发现：{note[:40]}", f"{submission.kind_label}（{submission.address_text}）：{note}",
                     submission, submission.photo_hashes[0] if submission.photos else None)
    db.session.commit()
    return task


# --- what the item page shows ----------------------------------------------------------------

def diff(submission: Submission) -> list[dict]:
    """Rows of (field, submitted, current master data) for the reviewer, changed ones marked."""
    d = submission.data
    if submission.kind == "shop":
        room = apply.shop_room(submission.building_id, d.get("unit"), d["room"])
        rows = [("address", "地址", submission.address_text, submission.address_text if room else "（尚无此户室，通过后新建）"),
                ("room", "户室", d.get("room"), room.number if room else None),
                ("use", "用途", "商铺", {"shop": "商铺"}.get(room.use, room.use) if room else None),
                ("shop_name", "门店名称", d.get("shop_name"), None),
                ("business_kind", "经营类别", d.get("business_kind_label"), None)]
    elif submission.kind == "binding":
        org = db.session.scalar(select(Organisation).where(Organisation.credit_code == d["credit_code"]))
        binding = org.active_binding if org else None
        from app.places.addresses import address_text

        bound_at = address_text(binding.room or binding.door_plate) if binding else None
        rows = [("credit_code", "统一社会信用代码", d["credit_code"], org.credit_code if org else None),
                ("name", "单位名称", d.get("name"), org.name if org else None),
                ("address", "绑定地址", submission.address_text, bound_at)]
    else:
        rows = apply.KINDS[submission.kind].rows(submission)
    return [{"field": f, "label": label, "submitted": new, "current": old, "changed": new != old}
            for f, label, new, old in rows]


def duplicates(actor, submission: Submission) -> dict:
    """Possible duplicates: the same credit code anywhere, the same shop name within 100 m, the same
    room, the same person declaring the same room. Those outside the actor's jurisdiction are only
    counted."""
    found = []
    d = submission.data
    others = select(Submission).where(Submission.id != submission.id, Submission.status != "rejected")
    if submission.kind == "binding":
        same_code = others.where(Submission.kind == "binding",
                                 func.cast(Submission.data, db.Text).contains(f'"{d["credit_code"]}"')).limit(20)
        found += [("同一信用代码", s) for s in db.session.scalars(same_code)]
    elif submission.public:
        repeats = apply.KINDS[submission.kind].repeats
        if repeats:
            found += [("同一人对同一户室的申报", s) for s in db.session.scalars(others.where(*repeats(submission)).limit(20))]
        same_place = others.where(Submission.kind == submission.kind,
                                  Submission.address_text == submission.address_text).limit(20)
        found += [("同一地址的同类申报", s) for s in db.session.scalars(same_place) if s not in [f[1] for f in found]]
    else:
        if submission.lon is not None:
            box = 100 / 111000  # degrees of latitude in 100 m (a degree of longitude is shorter: × 1.3)
            candidates = db.session.scalars(others.where(
                Submission.kind == "shop", Submission.lat.between(submission.lat - box, submission.lat + box),
                Submission.lon.between(submission.lon - 1.3 * box, submission.lon + 1.3 * box)).limit(200))
            found += [("100 米内同名门店", s) for s in candidates if s.data.get("shop_name") == d.get("shop_name")
                      and apply.metres(submission.lon, submission.lat, s.lon, s.lat) <= 100]
        same_room = others.where(Submission.kind == "shop", Submission.building_id == submission.building_id,
                                 Submission.address_text == submission.address_text).limit(20)
        found += [("同一户室", s) for s in db.session.scalars(same_room) if s not in [f[1] for f in found]]
    inside = [(why, s) for why, s in found if actor.jurisdiction.covers(s)]
    return {"items": inside, "outside": len(found) - len(inside)}


def display_names(user_ids=None) -> dict[int, str]:
    """{user id: display name} of the given users (None: of everyone, for an export)."""
    stmt = select(User.id, User.display_name)
    if user_ids is not None:
        ids = {i for i in user_ids if i}
        if not ids:
            return {}
        stmt = stmt.where(User.id.in_(ids))
    return {uid: name for uid, name in db.session.execute(stmt)}


def history(submission: Submission) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.object_type == "submission",
                                                          AuditLog.object_id == submission.id).order_by(AuditLog.id)))


def flag_labels(submission: Submission) -> list[str]:
    return [apply.FLAGS.get(code, code) for code in submission.flags or []]


# --- decisions -------------------------------------------------------------------------------

def decide(actor, client_id: str, action: str, reason: str | None = None, comments: dict | None = None,
           version: int | None = None) -> Submission:
    """claim, release, approve, reject (reason), return (comments per field), rebase; one commit.
    Problems: those of the transitions, and the lost race's (review.claimed, state.not_allowed)."""
    submission = item(actor, client_id)
    if version is not None and version != submission.version:
        raise Problem("conflict.version", f"该提交已更正为第 {submission.version} 版，请刷新后再审核",
                      current_version=submission.version)
    reason = (reason or "").strip() or None
    comments = {k: v.strip() for k, v in (comments or {}).items() if v and v.strip()}
    if action == "reject" and not reason:
        raise Problem("validation.failed", field="reason", detail="请填写不通过的理由")
    if action == "return" and not comments and not reason:
        raise Problem("validation.failed", field="comments", detail="请至少对一个字段写明需要更正的内容")
    seen = submission.row_version
    try:
        if action == "reject":
            submission.reject(actor, reason)
        elif action == "return":
            submission.return_for_correction(actor, reason, comments)
        else:
            getattr(submission, action)(actor)
        db.session.commit()
    except MET_ANOTHER:  # another decision or claim, or another change of what it writes, came first
        db.session.rollback()
        raise submission.lost_race(actor, seen) from None
    return submission


# --- bulk approval ---------------------------------------------------------------------------

def bulk_plan(actor, f: QueueFilter) -> dict:
    """The dry run: how many items the filter selects and which of them would fail, and why; and
    the filter pinned to this selection (`filter`), to send back to approve exactly these."""
    if not f.as_of:
        f = replace(f, as_of=utcnow().isoformat())
    ids = list(db.session.scalars(waiting_at_my_step(actor, f).with_only_columns(Submission.id)
                                  .order_by(Submission.id).limit(BULK_MAX + 1)))
    if len(ids) > BULK_MAX:
        raise Problem("validation.failed", field="filter", detail=f"一次最多批量通过 {BULK_MAX} 条，请缩小筛选范围")
    failures = []
    for chunk in _chunks(ids):
        for submission in db.session.scalars(select(Submission).where(Submission.id.in_(chunk))):
            reason = _would_fail(actor, submission)
            if reason:
                failures.append({"id": submission.client_id, "address_text": submission.address_text, "reason": reason})
    pinned = replace(f, last_id=f.last_id or (ids[-1] if ids else 0))
    return {"count": len(ids), "ok": len(ids) - len(failures), "failures": failures[:100], "failed": len(failures),
            "filter": pinned.args()}


def _would_fail(actor, submission: Submission) -> str | None:
    if submission.claimed_by_other(actor):
        return "已被其他审核人领取"
    if submission.step + 1 >= len(submission.steps):
        changed = apply.conflicts(submission)
        if changed:
            return f"主数据已变化：{apply.describe(changed)}"
    return None


def start_bulk_approve(actor, f: QueueFilter):
    _require_reviewer(actor)
    return enqueue(actor, "review_bulk_approve", {"filter": asdict(f), "label": f.label(actor)})


@job_kind("review_bulk_approve", "批量审核通过")
def bulk_approve(job, progress) -> tuple:
    """Approve what the filter selects, BATCH items per transaction; items that fail are left in the
    queue and listed in the report."""
    actor = db.session.get(User, job.created_by_id)
    ids = list(db.session.scalars(waiting_at_my_step(actor, QueueFilter(**job.params["filter"]))
                                  .with_only_columns(Submission.id).order_by(Submission.id).limit(BULK_MAX)))
    progress(0, len(ids))
    done, failed = 0, []
    for chunk in _chunks(ids, BATCH):
        for submission in db.session.scalars(select(Submission).where(Submission.id.in_(chunk))):
            seen = submission.row_version
            try:
                with db.session.begin_nested():
                    submission.approve(actor)
            except Problem as e:
                failed.append(f"{submission.address_text}：{e.detail}")
            except MET_ANOTHER:  # a reviewer decided or claimed it meanwhile, or changed what it writes
                failed.append(f"{submission.address_text}：{submission.lost_race(actor, seen).detail}")
        db.session.commit()
        done += len(chunk)
        progress(done)
    report = f"已通过 {done - len(failed)} 条" + (f"；{len(failed)} 条未通过，仍在队列中：" + "；".join(failed[:20])
                                              if failed else "")
    return None, None, report


def _chunks(ids: list[int], size: int = 1000):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


# --- export ----------------------------------------------------------------------------------

def start_export(actor, f: QueueFilter):
    _require_reviewer(actor)
    return enqueue(actor, "review_export", {"filter": asdict(f), "label": f.label(actor)})


@job_kind("review_export", "导出审核队列")
def export_queue(job, progress) -> tuple[str, str]:
    actor = db.session.get(User, job.created_by_id)
    stmt = waiting_at_my_step(actor, QueueFilter(**job.params["filter"]))
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    progress(0, total)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("审核队列")
    append(sheet, ["提交编号", "类型", "状态", "审核环节", "标准地址", "门店/单位名称", "统一社会信用代码",
                   "采集人", "提交时间", "提示"])
    collectors = display_names()
    for done, s in enumerate(db.session.scalars(stmt.order_by(Submission.id).execution_options(yield_per=1000)), 1):
        append(sheet, [s.client_id, s.kind_label, s.status_label, s.step_label, s.address_text,
                       s.data.get("shop_name") or s.data.get("name"), s.data.get("credit_code"),
                       collectors.get(s.collector_id), local_time(s.received_at), "；".join(flag_labels(s))])
        progress(done)
    path = result_file(job, ".xlsx")
    workbook.save(path)
    return str(path), f"审核队列-{local_time(utcnow(), '%Y%m%d-%H%M')}.xlsx"


# --- overview --------------------------------------------------------------------------------

def overview(actor, area_code: str | None = None, days: int = 14) -> dict:
    """Backlog per step, the oldest waiting item, and received/decided per day, in the actor's
    jurisdiction (or one area of it)."""
    require(actor, "actuals.read")
    scope = actor.jurisdiction.clause(Submission)
    if area_code:
        if not actor.jurisdiction.covers_area_code(area_code):
            raise Problem("validation.failed", field="area", detail=f"区划 {area_code} 不在您的辖区内")
        scope = scope & Submission.area_id.in_(select(Area.id).where(Area.code.startswith(area_code, autoescape=True)))
    waiting = select(Submission).where(scope, Submission.status.in_(WAITING))
    backlog = db.session.execute(waiting.with_only_columns(Submission.step_role, func.count(), func.min(Submission.received_at))
                                 .group_by(Submission.step_role).order_by(None)).all()
    oldest = db.session.scalar(waiting.order_by(Submission.received_at).limit(1))
    # Local midnights, as UTC instants: each day is a range, counted in one scan of the period.
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    midnight = datetime.combine(utcnow().astimezone(zone).date(), time(), zone)
    starts = [midnight - timedelta(days=i) for i in range(days - 1, -1, -1)]
    utc = [t.astimezone(timezone.utc) for t in starts + [midnight + timedelta(days=1)]]  # SQLite keeps no zone
    bounds = list(zip(utc, utc[1:]))

    def per_day(column):
        row = db.session.execute(select(*(func.count().filter(column >= a, column < b) for a, b in bounds))
                                 .where(scope, column >= utc[0])).one()
        return list(row)

    received, decided = per_day(Submission.received_at), per_day(Submission.decided_at)
    return {"backlog": [{"role": role, "count": n, "oldest": as_utc(first)} for role, n, first in backlog],
            "oldest": oldest, "days": [{"day": start.strftime("%m-%d"), "received": r, "decided": d}
                                       for start, r, d in zip(starts, received, decided)]}
