"""The public reports' kinds in the review chain (app.review.apply.KINDS): what each touches, what
the reviewer sees, and what the last approval writes.

- 居住申报 (residence): the declared room (made if it is not on record) gets a resident of kind
  floating; if the same person is in residence elsewhere, that registration is ended on the day of
  moving in.
- 单位信息变更 (org_change): the chosen organisation's name, credit code and phone are changed, its
  binding ended if it moved away or closed; an organisation not on record is registered and bound
  at the door plate.
- 门牌问题 (plate_problem): a verification task for the grid worker of the plate's grid.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app import privacy
from app.actuals.models import Organisation, Resident
from app.actuals.services import add_organisation, attach, credit_code_warnings
from app.audit.services import record, snapshot
from app.collect.models import Submission
from app.collect.services import PENDING
from app.errors import Problem
from app.extensions import db
from app.places.addresses import address_text, find_by_code
from app.places.models import Building, Room
from app.review.apply import FLAGS as REVIEW_FLAGS
from app.review.apply import KINDS, Kind, binding_state, make_room, shop_room, version_of
from app.rules import add_new
from app.standards import credit_code, id_number
from app.tasks.services import open_task

from .models import PublicReport
from .services import CHANGES, PLATE_PROBLEMS, REASONS

FLAGS = {"resident.here": "此人已登记在该户室在住", "resident.elsewhere": "此人在其他地址登记在住，通过后原登记迁出",
         "room.new": "户室尚未登记，通过后新建", "credit_code.taken": "该信用代码已登记为其他单位",
         "report.repeat": "同一人对同一户室已有待审核的申报（见“可能重复”），请核对姓名、电话后分别审核"}


# --- residence ---------------------------------------------------------------------------------

def _declared_room(submission) -> Room | None:
    if submission.room_id:
        return db.session.get(Room, submission.room_id)
    return shop_room(submission.building_id, submission.data.get("unit"), submission.data["room"])


def _in_residence(submission) -> Resident | None:
    number = privacy.unseal(submission.report.id_number_enc)  # its hash may be under another key than theirs
    return db.session.scalar(select(Resident).where(Resident.id_number_hash.in_(privacy.blind_indexes(number)),
                                                    Resident.status == "active"))


def _residence_touched(submission) -> tuple:
    return _declared_room(submission), _in_residence(submission)


def _residence_state(room, resident) -> dict:
    return {"room": version_of(room), "resident": version_of(resident)}


def _floor_of(number: str) -> int:
    """"1502" -> 15, "301" -> 3: how room numbers are made; 1 when they are not made so."""
    digits = number.split("-")[-1]
    return int(digits[:-2]) if digits.isdigit() and len(digits) >= 3 and int(digits[:-2]) > 0 else 1


def _write_residence(actor, submission, room, resident) -> None:
    data, report = submission.data, submission.report
    if room is None:
        room = make_room(actor, db.session.get(Building, submission.building_id), data.get("unit"), data["room"],
                         _floor_of(data["room"]), "residential")
    submission.room_id = room.id
    moved_in = date.fromisoformat(data["moved_in"])
    if resident is not None and resident.room_id == room.id:
        return  # already living here: nothing to add
    if resident is not None:
        before = snapshot(resident)
        resident.move_out(max(moved_in, resident.moved_in or moved_in))
        record(actor, "resident.move_out", resident, before=before, after=snapshot(resident), reason="居住申报审核通过：已迁至新址")
    number = privacy.unseal(report.id_number_enc)
    add_new(actor, Resident(room_id=room.id, name=data["name"], kind="floating", id_number_enc=report.id_number_enc,
                            id_number_hash=report.id_number_hash, id_number_masked=report.id_number_masked,
                            phone_enc=report.phone_enc, phone_masked=report.phone_masked, sex=id_number.sex(number),
                            birth_date=id_number.birth_date(number), moved_in=moved_in), "resident.register")


def _residence_rows(submission) -> list[tuple]:
    data, report = submission.data, submission.report
    room, resident = _residence_touched(submission)
    where = None
    if resident is not None:
        where = "已在此户室在住" if room is not None and resident.room_id == room.id else f"在住于 {address_text(resident.room)}"
    return [("name", "姓名", data["name"], resident.name if resident else None),
            ("id_number", "公民身份号码", report.id_number_masked, where),
            ("phone", "联系电话", report.phone_masked, None),
            ("room", "居住户室", submission.address_text, address_text(room) if room else "（尚无此户室，通过后新建）"),
            ("moved_in", "入住日期", data["moved_in"], None),
            ("reason", "来此事由", REASONS.get(data.get("reason"), data.get("reason")), None),
            ("kind", "人口类别", "流动人口", None)]


def _residence_flags(submission) -> list[str]:
    room, resident = _residence_touched(submission)
    flags = [] if room is not None else ["room.new"]
    if resident is not None:
        flags.append("resident.here" if room is not None and resident.room_id == room.id else "resident.elsewhere")
    waiting = select(Submission.id).where(*_same_person_same_room(submission), Submission.status.in_(PENDING))
    if db.session.scalar(waiting.limit(1)) is not None:
        flags.append("report.repeat")
    return flags


def _same_person_same_room(submission) -> tuple:
    """Conditions on Submission: other declarations of the same ID number for the same room. Each
    is a report of its own with its own receipt (who typed which is for the reviewer to judge);
    the reviewer sees them linked (review.services.duplicates)."""
    report = submission.report
    return (Submission.kind == "residence", Submission.id != submission.id,
            Submission.id.in_(select(PublicReport.submission_id).where(PublicReport.id_number_hash == report.id_number_hash,
                                                                       PublicReport.room_key == report.room_key)))


# --- a business changed ------------------------------------------------------------------------

def _org_touched(submission) -> tuple:
    data = submission.data
    if data.get("organisation_id"):
        return db.session.get(Organisation, data["organisation_id"]), None
    org = db.session.scalar(select(Organisation).where(Organisation.credit_code == data["credit_code"]))
    return org, submission.door_plate


def _org_state(org, target) -> dict:
    return binding_state(org, target) if target is not None else {"organisation": version_of(org)}


def _write_org_change(actor, submission, org, target) -> None:
    data, report = submission.data, submission.report
    if target is not None:  # not on record at this address: registered if new, and bound here
        if org is None:
            org = add_organisation(actor, submission.door_plate.area, {
                "name": data["org_name"], "credit_code": data["credit_code"],
                "kind": credit_code.organisation_kind(data["credit_code"]), "legal_representative": data.get("contact")})
            if report.phone_enc:
                org.phone_enc, org.phone_masked = report.phone_enc, report.phone_masked
        submission.binding_id = attach(actor, org, target, confirm_move=True).id
        submission.organisation = org
        return
    before = snapshot(org)
    if data.get("credit_code") and data["credit_code"] != org.credit_code:
        taken = db.session.scalar(select(Organisation.id).where(Organisation.credit_code == data["credit_code"]))
        if taken is not None:
            raise Problem("conflict.duplicate", f"信用代码 {data['credit_code']} 已登记为其他单位，请核实后驳回或退回")
        org.credit_code, org.credit_code_flags = data["credit_code"], credit_code_warnings(data["credit_code"]) or None
    if data.get("org_name"):
        org.name = data["org_name"]
    if data.get("contact"):
        org.legal_representative = data["contact"]
    if report.phone_enc:
        org.phone_enc, org.phone_masked = report.phone_enc, report.phone_masked
    if {"moved_out", "closed"} & set(data["changes"]) and org.active_binding:
        org.active_binding.end()
    if "closed" in data["changes"]:
        org.status = "closed"
    org.bump()
    record(actor, "organisation.update", org, before=before, after=snapshot(org), reason="单位信息变更审核通过")
    submission.organisation = org


def _org_rows(submission) -> list[tuple]:
    data, report = submission.data, submission.report
    org, _ = _org_touched(submission)
    return [("organisation", "单位", data.get("current_name") or "（新登记）", org.name if org else None),
            ("org_name", "新名称", data.get("org_name"), org.name if org else None),
            ("credit_code", "统一社会信用代码", data.get("credit_code"), org.credit_code if org else None),
            ("changes", "变更事项", "、".join(CHANGES[c] for c in data["changes"]), None),
            ("contact", "联系人", data.get("contact"), org.legal_representative if org else None),
            ("phone", "联系电话", report.phone_masked, org.phone_masked if org else None),
            ("note", "说明", data.get("note"), None)]


def _org_flags(submission) -> list[str]:
    code = submission.data.get("credit_code")
    if not code:
        return []
    flags = credit_code_warnings(code)
    holder = db.session.scalar(select(Organisation.id).where(Organisation.credit_code == code))
    if holder is not None and submission.data.get("organisation_id") not in (None, holder):
        flags.append("credit_code.taken")
    return flags


# --- a plate problem ---------------------------------------------------------------------------

def _write_plate_problem(actor, submission) -> None:
    data = submission.data
    photo = submission.photo_hashes[0] if submission.photos else None
    open_task(actor, "plate_problem", find_by_code(data["object_code"]), f"门牌问题：{PLATE_PROBLEMS[data['problem']]}",
              data.get("note"), submission, photo)


def _plate_rows(submission) -> list[tuple]:
    data = submission.data
    return [("problem", "问题", PLATE_PROBLEMS[data["problem"]], None), ("note", "说明", data.get("note"), None),
            ("address", "门牌所在地址", submission.address_text, None)]


REVIEW_FLAGS.update(FLAGS)
KINDS["residence"] = Kind(_residence_touched, _residence_state, _write_residence, _residence_rows, _residence_flags,
                          _same_person_same_room)
KINDS["org_change"] = Kind(_org_touched, _org_state, _write_org_change, _org_rows, _org_flags)
KINDS["plate_problem"] = Kind(lambda s: (), lambda: {}, _write_plate_problem, _plate_rows)
