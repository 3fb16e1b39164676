"""Filing a public report and following its receipt.

Nothing here tells a reporter what the system knows: a report is checked for its own form only
(ID and credit-code check characters, dates, lengths), never against the residents, organisations
or reports on record, and a plate that is unknown, replaced or revoked answers exactly as an unknown
one. Every report gets a receipt of its own; the only receipt handed back is the reporter's own, for
the same form sent again. What the records say is shown to the reviewer instead
(app/reports/review.py: flags, and the declarations repeating one another).
"""
from __future__ import annotations

import json
import re
import secrets
import uuid
from datetime import date
from types import SimpleNamespace

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import privacy
from app.actuals.models import Binding, Organisation
from app.api import Day
from app.audit.services import record
from app.collect.models import Submission, SubmissionPhoto
from app.collect.services import checked_photo, store_photo
from app.errors import Problem, invalid
from app.extensions import db
from app.places.addresses import address_text, area_id_of, chain_text, door_plate_of, full_text
from app.places.models import Building, DoorPlate, Room, Unit
from app.plates import services as plates
from app.review import apply as review_apply
from app.review import chains
from app.review.apply import shop_room
from app.standards import credit_code, id_number

from .models import RECEIPT_STATES, PublicReport

REASONS = {"work": "务工", "business": "经商", "study": "就学", "family": "投亲靠友", "other": "其他"}
CHANGES = {"name": "名称变更", "contact": "负责人或联系电话变更", "opened": "新开业或新迁入", "moved_out": "已迁走",
           "closed": "已歇业或注销", "other": "其他"}
PLATE_PROBLEMS = {"damaged": "门牌损坏", "missing": "门牌缺失", "wrong_number": "门牌号有误", "wrong_position": "安装位置不对",
                  "other": "其他问题"}
LABELS = {"name": "姓名", "id_number": "公民身份号码", "phone": "联系电话", "room_id": "居住户室", "building_id": "楼栋",
          "unit": "单元", "room": "户室号", "moved_in": "入住日期", "reason": "来此事由", "consent": "同意声明",
          "organisation_id": "单位", "org_name": "单位名称", "credit_code": "统一社会信用代码", "contact": "联系人",
          "changes": "变更事项", "note": "说明", "problem": "问题", "photo": "照片", "client_id": "申报编号"}
ROOM_OPTIONS_MAX = 400  # more rooms than this at one address: typed, not chosen from a list
PHONE = re.compile(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}")
HOUSE_NUMBER = re.compile(r"[0-9A-Za-z-]{1,16}")
REPORTER = SimpleNamespace(id=None, username="居民（扫码申报）")  # who filed it, in the audit log
_REF_CHARS = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out on the phone


# --- the address a report is about -------------------------------------------------------------

def place(token: str):
    """The address node of an active plate, else plate.unknown (the same for any other token)."""
    found = plates.resolve(token, active_only=True)
    if found is None or found[1] is None or found[1].status != "active":
        raise Problem("plate.unknown")
    return found[1]


def _buildings(node) -> list[Building]:
    if isinstance(node, DoorPlate):
        return [b for b in node.buildings if b.status == "active"]
    return [node if isinstance(node, Building) else node.building]


def rooms_at(node) -> list[Room]:
    """The active rooms the address holds (a room plate: that room), in order; [] when too many to list."""
    if isinstance(node, Room):
        return [node]
    stmt = select(Room).where(Room.status == "active")
    if isinstance(node, Unit):
        stmt = stmt.where(Room.unit_id == node.id)
    else:
        stmt = stmt.where(Room.building_id.in_([b.id for b in _buildings(node)]))
    rooms = list(db.session.scalars(stmt.order_by(Room.building_id, Room.unit_id, Room.floor, Room.number)
                                    .limit(ROOM_OPTIONS_MAX + 1)))
    return [] if len(rooms) > ROOM_OPTIONS_MAX else rooms


def organisations_at(node) -> list[Organisation]:
    """Organisations bound at the address (its door plate or any of its rooms): public knowledge, on
    the shop signs."""
    plate = door_plate_of(node)
    rooms = select(Room.id).join(Building, Room.building_id == Building.id).where(Building.door_plate_id == plate.id)
    return list(db.session.scalars(
        select(Organisation).join(Binding, Binding.organisation_id == Organisation.id)
        .where(Binding.active, Organisation.status == "active",
               (Binding.door_plate_id == plate.id) | Binding.room_id.in_(rooms)).order_by(Organisation.name)))


def house_text(parts: dict) -> str:
    """"1栋2单元301室": the part of an address below its door plate."""
    return chain_text(parts)[len(chain_text({"road": parts["road"], "number": parts["number"]})):]


def options(node, kind: str) -> dict:
    """What the kind's form offers to choose from at this address."""
    if kind == "residence":
        return {"rooms": rooms_at(node), "buildings": _buildings(node)}
    return {"organisations": organisations_at(node)} if kind == "org_change" else {}


# --- checking what was filled in ---------------------------------------------------------------

def _text(form, name: str, errors: dict, *, required: bool = True, most: int = 64) -> str | None:
    value = (form.get(name) or "").strip()
    if not value:
        if required:
            errors[name] = f"请填写{LABELS[name]}"
        return None
    if len(value) > most:
        errors[name] = f"{LABELS[name]}不超过 {most} 个字"
    return value


def _choice(form, name: str, choices: dict, errors: dict) -> str | None:
    value = form.get(name) or ""
    if value not in choices:
        errors[name] = f"请选择{LABELS[name]}（{'、'.join(choices.values())}）"
        return None
    return value


def _phone(form, errors: dict, required: bool) -> str | None:
    phone = _text(form, "phone", errors, required=required, most=16)
    if phone and not PHONE.fullmatch(phone.replace(" ", "")):
        errors["phone"] = "联系电话应为 11 位手机号，或带区号的固定电话（如 0710-3456789）"
    return phone.replace(" ", "") if phone and "phone" not in errors else None


def _id_number(form, errors: dict) -> str | None:
    raw = _text(form, "id_number", errors, most=24)
    if raw is None:
        return None
    found = id_number.problems(raw)
    if found:
        errors["id_number"] = _labelled("公民身份号码", found[0].message)
        return None
    return id_number.normalise(raw)


def _labelled(label: str, message: str) -> str:
    return message if message.startswith(label) else f"{label}{message}"


# A move-in date may be declared up to a month ahead (before the move).
MOVED_IN = Day(earliest=date(1950, 1, 1), days_ahead=31,
               error_messages={"invalid": "应为“年-月-日”，如 2026-03-01"})


def _date(form, name: str, errors: dict) -> date | None:
    raw = _text(form, name, errors, most=10)
    if raw is None:
        return None
    try:
        return MOVED_IN.deserialize(raw)
    except ValidationError as e:
        errors[name] = LABELS[name] + e.messages[0]
        return None


def _chosen(form, name: str, among: list, errors: dict):
    """The object whose id was chosen from `among`, None when nothing was chosen."""
    raw = form.get(name) or ""
    if not raw:
        return None
    found = next((o for o in among if str(o.id) == raw), None)
    if found is None:
        errors[name] = f"请从列表中选择{LABELS[name]}"
    return found


def _residence(form, node, opts, errors) -> tuple[dict, dict, str | None]:
    data = {"name": _text(form, "name", errors, most=32)}
    number = _id_number(form, errors)
    phone = _phone(form, errors, required=True)
    room = _chosen(form, "room_id", opts["rooms"], errors)
    key = None
    if room is not None:
        data.update(room_id=room.id, room_label=house_text(room.parts))
        key = f"room:{room.id}"
    elif "room_id" not in errors:
        buildings = opts["buildings"]
        building = buildings[0] if len(buildings) == 1 else _chosen(form, "building_id", buildings, errors)
        if building is None and "building_id" not in errors:
            errors["building_id"] = "请选择您住的楼栋"
        unit = _text(form, "unit", errors, required=False, most=16)
        number_text = _text(form, "room", errors, most=16)
        if isinstance(node, Unit):
            unit = node.number
        for name, value in (("unit", unit), ("room", number_text)):
            if value and name not in errors and not HOUSE_NUMBER.fullmatch(value):
                errors[name] = f"{LABELS[name]}只写数字或字母，如 2、301、A-2"
        if building is not None and number_text and not errors.keys() & {"unit", "room"}:
            on_record = shop_room(building.id, unit, number_text)
            if on_record is not None:  # typed, but on record: the same room as if chosen
                data.update(room_id=on_record.id, room_label=house_text(on_record.parts))
                key = f"room:{on_record.id}"
            else:
                data.update(building_id=building.id, unit=unit, room=number_text,
                            room_label=house_text({**building.parts, "unit": unit, "room": number_text}))
                key = f"{building.id}:{unit or ''}:{number_text}"
    moved_in = _date(form, "moved_in", errors)
    data["moved_in"] = moved_in.isoformat() if moved_in else None
    data["reason"] = _choice(form, "reason", REASONS, errors)
    if form.get("consent") not in ("1", "on", "true", True):
        errors["consent"] = "请阅读并勾选同意声明"
    if number:
        data.update(sex=id_number.sex(number), birth_year=id_number.birth_date(number).year)
    return data, {"id_number": number, "phone": phone}, key


def _org_change(form, node, opts, errors) -> tuple[dict, dict, None]:
    org = _chosen(form, "organisation_id", opts["organisations"], errors)
    changes = form.getlist("changes") if hasattr(form, "getlist") else list(form.get("changes") or [])
    if not changes or any(c not in CHANGES for c in changes):
        errors["changes"] = f"请勾选变更事项（{'、'.join(CHANGES.values())}）"
    data = {"organisation_id": org.id if org else None, "current_name": org.name if org else None,
            "changes": changes, "org_name": _text(form, "org_name", errors, required=org is None, most=64),
            "contact": _text(form, "contact", errors, required=False, most=32),
            "note": _text(form, "note", errors, required=False, most=300)}
    raw = (form.get("credit_code") or "").strip()
    if raw:
        if not credit_code.acceptable(raw):
            errors["credit_code"] = _labelled("统一社会信用代码", credit_code.problems(raw)[0].message)
        else:
            data["credit_code"] = credit_code.normalise(raw)
    elif org is None and "org_name" not in errors:
        errors["credit_code"] = "新登记的单位请填写营业执照上的统一社会信用代码"
    return data, {"phone": _phone(form, errors, required=False)}, None


def _plate_problem(form, node, opts, errors) -> tuple[dict, dict, None]:
    return {"problem": _choice(form, "problem", PLATE_PROBLEMS, errors),
            "note": _text(form, "note", errors, required=False, most=300)}, {}, None


CHECKS = {"residence": _residence, "org_change": _org_change, "plate_problem": _plate_problem}


def _client_id(form, errors: dict) -> str | None:
    """The id the form (or a city's app) made for this report, if it sent one: the same report sent
    again carries the same id."""
    raw = form.get("client_id")
    if raw in (None, ""):
        return None
    try:
        return str(uuid.UUID(str(raw)))
    except ValueError:
        errors["client_id"] = "申报编号应为客户端生成的 UUID（请重新打开申报页填写）"
        return None


def _photo(upload, errors: dict) -> tuple[dict, bytes] | None:
    """The photo sent with the form, checked: (its row, its bytes)."""
    data = upload.read() if upload else b""
    if not data:
        return None
    try:
        return checked_photo(data, field="photo"), data
    except Problem as e:
        errors["photo"] = e.detail
        return None


# --- filing ------------------------------------------------------------------------------------

def file(token: str, kind: str, form, upload=None) -> PublicReport:
    """Check and store one report (a submission at the first step of its chain, the receipt, the
    photo) in one transaction, and hand back its receipt. The same form sent again (its client_id
    and everything filled in the same: a double tap, a retry after a lost connection) gets its own
    receipt back and stores nothing; any other report, whatever ID number and room it names, is a new
    one. Problems: plate.unknown, validation.failed (every field that is wrong, each with what to
    fix), submission.conflict (the client_id was used for a report with other content)."""
    if kind not in CHECKS:
        raise Problem("resource.not_found")
    node = place(token)
    errors: dict[str, str] = {}
    data, personal, room_key = CHECKS[kind](form, node, options(node, kind), errors)
    client_id = _client_id(form, errors)
    photo = _photo(upload, errors) if kind != "residence" else None
    if errors:
        raise invalid(errors)
    plate = door_plate_of(node)
    data = {k: v for k, v in data.items() if v not in (None, "", [])}
    data["object_code"] = node.object_code
    submission = Submission(client_id=client_id or str(uuid.uuid4()), kind=kind, collector_id=None,
                            area_id=area_id_of(node), door_plate_id=plate.id, door_plate=plate, data=data,
                            building_id=data.get("building_id") or _building_id(node),
                            room_id=data.get("room_id") or (node.id if isinstance(node, Room) else None),
                            address_text=_address(node, data), body_hash=_content(kind, data, personal, photo))
    report = PublicReport(submission=submission, reference=_reference(), receipt_token=secrets.token_urlsafe(12),
                          room_key=room_key, **_sealed(personal))
    chains.start(submission)
    submission.base = review_apply.base_of(submission)
    submission.flags = review_apply.flags_of(submission)
    db.session.add_all([submission, report])
    if photo is not None:
        row, content = photo
        store_photo(row, content, None)
        submission.photos.append(SubmissionPhoto(photo_sha256=row["sha256"], position=0))
    try:
        db.session.flush()
    except IntegrityError:  # the client_id is taken: this form sent again (perhaps at the same moment)?
        db.session.rollback()
        earlier = db.session.scalar(select(Submission).where(Submission.client_id == client_id)) if client_id else None
        if earlier is None:
            raise
        return _sent_again(earlier, submission.body_hash)
    record(REPORTER, "report.file", submission, after={"kind": kind, "reference": report.reference})
    db.session.commit()
    return report


def _content(kind: str, data: dict, personal: dict, photo) -> str:
    """A keyed hash (personal data is in it) of everything the reporter filled in, at the address."""
    filled = {"kind": kind, "data": data, "personal": personal, "photo": photo[0]["sha256"] if photo else None}
    return privacy.blind_index(json.dumps(filled, sort_keys=True, ensure_ascii=False))


def _sent_again(earlier: Submission, content: str) -> PublicReport:
    """The report filed first under a client_id, if this one is it sent again (the same content):
    only whoever holds the form's id can ask, and they get back what they filled in themselves."""
    if earlier.report is None or earlier.body_hash != content:
        raise Problem("submission.conflict", "这个申报编号已用于另一份内容不同的申报；请核对后重新提交，将作为一份新的申报",
                      field="client_id")
    return earlier.report


def _building_id(node) -> int | None:
    if isinstance(node, (Room, Unit)):
        return node.building_id
    return node.id if isinstance(node, Building) else None


def _address(node, data) -> str:
    """The standard address the report is about: the declared room's, even when it is not on record."""
    if "room_id" in data:
        return address_text(db.session.get(Room, data["room_id"]))
    if "room" in data:
        building = db.session.get(Building, data["building_id"])
        return full_text(building.area_id, {**building.parts, "unit": data.get("unit"), "room": data["room"]})
    return address_text(node)


def _sealed(personal: dict) -> dict:
    out = {}
    if personal.get("id_number"):
        number = personal["id_number"]
        out.update(id_number_enc=privacy.seal(number), id_number_hash=privacy.blind_index(number),
                   id_number_masked=id_number.masked(number))
    if personal.get("phone"):
        out.update(phone_enc=privacy.seal(personal["phone"]), phone_masked=privacy.mask_phone(personal["phone"]))
    return out


def _reference() -> str:
    return "R" + "".join(secrets.choice(_REF_CHARS) for _ in range(8))


def decoy() -> PublicReport:
    """What a filled-in honeypot gets: a receipt like any other, for nothing stored."""
    return PublicReport(reference=_reference(), receipt_token=secrets.token_urlsafe(12))


# --- the receipt -------------------------------------------------------------------------------

def receipt(receipt_token: str) -> dict:
    """The state of a report, and nothing of its data (resource.not_found for any unknown link)."""
    found = db.session.execute(select(PublicReport.reference, Submission.kind, Submission.status, Submission.received_at,
                                      Submission.decided_at).join(Submission)
                               .where(PublicReport.receipt_token == receipt_token[:24])).first()
    if found is None:
        raise Problem("resource.not_found")
    return {"reference": found.reference, "kind": found.kind, "status": found.status,
            "state": RECEIPT_STATES[found.status], "received_at": found.received_at, "decided_at": found.decided_at}
