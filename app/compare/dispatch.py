"""Where a suspicious register row goes: a verification task for the grid worker of its door plate
(or the street office of the township or district its text names), the open task an earlier upload
already sent for the same finding, or — beyond REGISTER_MAX_TASKS tasks for one register or
REGISTER_STREET_TASKS_PER_DAY register tasks in one street (township) in a day — held back (待派发)
until a street or district user sends it or decides it needs no visit. A department's register can so
never bury a street office under tens of thousands of tasks overnight."""
from __future__ import annotations

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select, update

from app.audit.services import record
from app.extensions import db
from app.lifecycle import utcnow
from app.places.addresses import area_index
from app.places.models import Area, DoorPlate
from app.rules import require
from app.tasks.models import Task
from app.tasks.services import open_task

from .matching import name_key
from .models import REASONS, Register, RegisterRow

HELD_PAGE = 100


def street_of(area_id: int) -> str:
    """The street office (township) an area lies in, as its code; a district's own for a district."""
    return area_index.code(area_id)[:9]


class Dispatcher:
    """Sends the suspicious rows of one register, within the caps. `dispatch(row, verdict)` answers
    the row's new columns: task_id, dispatch, held_reason, task_area_id."""

    def __init__(self, register: Register):
        self.register, self.actor = register, register.uploaded_by
        self.max_register = current_app.config["REGISTER_MAX_TASKS"]
        self.max_street = current_app.config["REGISTER_STREET_TASKS_PER_DAY"]
        self.opened = db.session.scalar(select(func.count()).where(
            RegisterRow.register_id == register.id, RegisterRow.dispatch == "opened"))
        self.open_before = open_findings(exclude_register=register.id)
        self.per_street: dict[str, int] = {}

    def batch(self, verdicts: dict) -> None:
        """Before a batch of rows: the places their tasks go to, and today's count per street (read
        again each batch, so tasks another upload opened meanwhile count too)."""
        plate_ids = {v.plate_id or v.found_plate_id for v in verdicts.values()} - {None}
        self.plates = ({p.id: p for p in db.session.scalars(select(DoorPlate).where(DoorPlate.id.in_(plate_ids)))}
                       if plate_ids else {})
        area_ids = {v.area_id for v in verdicts.values()} - {None}
        self.areas = {a.id: a for a in db.session.scalars(select(Area).where(Area.id.in_(area_ids)))} if area_ids else {}
        self.per_street = register_tasks_today()

    def dispatch(self, row, verdict) -> dict:
        plate = self.plates.get(verdict.plate_id or verdict.found_plate_id)
        area = None if plate else self.areas.get(verdict.area_id) or self.register.area
        area_id = plate.area_id if plate else area.id
        key = finding_key(row.name, verdict.reasons, plate.id if plate else None, area_id)
        if key in self.open_before:
            return {"task_id": self.open_before[key], "dispatch": "joined", "task_area_id": area_id}
        street = street_of(area_id)
        if self.opened >= self.max_register or self.per_street.get(street, 0) >= self.max_street:
            cause = "register" if self.opened >= self.max_register else "street"
            return {"dispatch": "held", "held_reason": cause, "task_area_id": area_id}
        task = open_for(self.actor, self.register, row, verdict.reasons, verdict.explanation, plate, area)
        self.open_before[key] = task.id
        self.opened += 1
        self.per_street[street] = self.per_street.get(street, 0) + 1
        return {"task_id": task.id, "dispatch": "opened", "task_area_id": area_id}


def open_for(actor, register: Register, row, reasons: list[str], explanation: str | None, plate, area) -> Task:
    """The verification task for one register row, at `plate` or (no place known) for `area`."""
    detail = (f"{register.department}《{register.kind.name}》第 {row.row_number} 行：{row.name}"
              f"（{row.credit_code or '未填信用代码'}），登记地址：{row.address}。{explanation}。请到现场核实该单位是否在此经营。")
    return open_task(actor, "register", plate, f"部门比对：{REASONS[reasons[0]]}", detail, area=area, text=row.address)


def finding_key(name: str, reasons, plate_id: int | None, area_id: int) -> tuple:
    return name_key(name), tuple(reasons or ()), plate_id, area_id


def open_findings(exclude_register: int | None = None, area_ids=None) -> dict[tuple, int]:
    """finding key -> id of the open register task sent for it (by another upload; in these areas)."""
    stmt = (select(RegisterRow.name, RegisterRow.reasons, Task.door_plate_id, Task.area_id, Task.id)
            .join(Task, Task.id == RegisterRow.task_id).where(Task.status == "open", Task.kind == "register"))
    if exclude_register is not None:
        stmt = stmt.where(RegisterRow.register_id != exclude_register)
    if area_ids is not None:
        stmt = stmt.where(Task.area_id.in_(area_ids))
    return {finding_key(name, reasons, plate_id, area_id): task_id
            for name, reasons, plate_id, area_id, task_id in db.session.execute(stmt)}


def day_start(now: datetime | None = None) -> datetime:
    """This local day's midnight, in UTC."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    midnight = datetime.combine((now or utcnow()).astimezone(zone).date(), time(), zone)
    return midnight.astimezone(timezone.utc)


def register_tasks_today() -> dict[str, int]:
    """Register tasks opened since local midnight, per street (township code)."""
    counts: dict[str, int] = {}
    stmt = (select(Task.area_id, func.count()).where(Task.kind == "register", Task.created_at >= day_start())
            .group_by(Task.area_id))
    for area_id, n in db.session.execute(stmt):
        counts[street_of(area_id)] = counts.get(street_of(area_id), 0) + n
    return counts


# --- held rows: a person decides ------------------------------------------------------------

def _in_reach(actor):
    return RegisterRow.task_area_id.in_(select(Area.id).where(actor.jurisdiction.clause(Area)))


def held_rows(actor, limit: int = HELD_PAGE) -> tuple[list[tuple[RegisterRow, Register]], int]:
    """Rows held back whose task would lie in the actor's jurisdiction, oldest register first, and
    how many there are in all."""
    require(actor, "tasks.dispatch")
    where = (RegisterRow.dispatch == "held", _in_reach(actor))
    total = db.session.scalar(select(func.count()).select_from(RegisterRow).where(*where))
    rows = db.session.execute(select(RegisterRow, Register).join(Register, Register.id == RegisterRow.register_id)
                              .where(*where).order_by(RegisterRow.register_id, RegisterRow.row_number).limit(limit)).all()
    return [tuple(r) for r in rows], total


def decide_held(actor, row_ids: list[int], send: bool) -> int:
    """Send held rows (a page's worth) as tasks, with no cap: a person decided; or mark them not to be
    sent. Rows already decided (by someone else a moment ago) or out of the actor's reach are left
    alone. How many were decided; each one audit-logged."""
    require(actor, "tasks.dispatch")
    claimed = db.session.scalars(
        update(RegisterRow).where(RegisterRow.id.in_(row_ids[:HELD_PAGE]), RegisterRow.dispatch == "held", _in_reach(actor))
        .values(dispatch="sent" if send else "dismissed").returning(RegisterRow.id)
        .execution_options(synchronize_session=False)).all()
    rows = db.session.scalars(select(RegisterRow).where(RegisterRow.id.in_(claimed)).order_by(RegisterRow.id)).all()
    findings = open_findings(area_ids={r.task_area_id for r in rows}) if send else {}
    for row in rows:
        if send:
            plate = db.session.scalar(select(DoorPlate).where(
                DoorPlate.object_code == (row.address_code or row.found_code))) if (row.address_code or row.found_code) else None
            key = finding_key(row.name, row.reasons, plate.id if plate else None, row.task_area_id)
            if key not in findings:
                register = db.session.get(Register, row.register_id)
                findings[key] = open_for(actor, register, row, row.reasons, row.explanation, plate,
                                         None if plate else db.session.get(Area, row.task_area_id)).id
            row.task_id = findings[key]
        record(actor, "register_row.send" if send else "register_row.dismiss", row,
               after={"register_id": row.register_id, "row": row.row_number, "task_id": row.task_id})
    db.session.commit()
    return len(rows)
