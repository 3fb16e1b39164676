"""Rules of the three actuals: who lives at an address, how a room is held, which organisations are
there; registering them, moving people out, binding organisations, and reading personal data.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app import privacy
from app.audit.services import record, snapshot
from app.errors import Problem
from app.extensions import db
from app.places.models import Area, Building, DoorPlate, Room, Unit
from app.places.services import address_in, get_address
from app.rules import add_new, check_version, require, save_new, visible
from app.standards import credit_code, id_number
from app.standards.problem import WARNING

from .models import Binding, Housing, Organisation, Resident


def _rooms_of(node):
    """select(Room.id) for the rooms at an address node (a room is its own single room)."""
    if isinstance(node, Room):
        return select(Room.id).where(Room.id == node.id)
    if isinstance(node, Unit):
        return select(Room.id).where(Room.unit_id == node.id)
    if isinstance(node, Building):
        return select(Room.id).where(Room.building_id == node.id)
    return select(Room.id).join(Building, Room.building_id == Building.id).where(Building.door_plate_id == node.id)


def actuals_at(actor, code: str) -> dict:
    """Residents (in, masked), housing and organisations (actively bound) at an address."""
    require(actor, "actuals.read")
    node = get_address(actor, code)
    rooms = _rooms_of(node)
    residents = db.session.scalars(select(Resident).where(Resident.room_id.in_(rooms), Resident.status == "active")
                                   .order_by(Resident.room_id, Resident.id)).all()
    housing = db.session.scalars(select(Housing).where(Housing.room_id.in_(rooms)).order_by(Housing.room_id)).all()
    at_plate = Binding.door_plate_id == node.door_plate_id if isinstance(node, Building) else (
        Binding.door_plate_id == node.id if isinstance(node, DoorPlate) else False)
    organisations = db.session.scalars(
        select(Organisation).join(Binding, Binding.organisation_id == Organisation.id)
        .where(Binding.active, (Binding.room_id.in_(rooms)) | at_plate).order_by(Organisation.id)).all()
    return {"address": node, "residents": residents, "housing": housing, "organisations": organisations}


# --- residents -------------------------------------------------------------------------------

def get_resident(actor, resident_id: int) -> Resident:
    require(actor, "actuals.read")
    return actor.jurisdiction.require(db.session.get(Resident, resident_id))


LIVING_ELSEWHERE = "该公民身份号码已登记在其他地址在住，请先在原地址办理迁出"


def register_resident(actor, data: dict) -> Resident:
    """Register a person as living in a room. Raises conflict.duplicate if the same ID number is
    already registered as living somewhere (they must move out there first): the one-resident-in-
    residence index says so, also of two registrations made at the same moment."""
    require(actor, "actuals.write")
    room = address_in(actor, data["room_code"], Room, "room_code")
    number = id_number.normalise(data["id_number"])
    digest = privacy.blind_index(number)
    # Under a key rotation the same number may be indexed under an older key: look under every key
    # (the unique index decides between registrations at the same moment).
    if db.session.scalar(select(Resident.id).where(Resident.id_number_hash.in_(privacy.blind_indexes(number)),
                                                   Resident.status == "active")):
        raise Problem("conflict.duplicate", LIVING_ELSEWHERE, field="id_number")
    phone = data.get("phone")
    resident = Resident(
        room_id=room.id, name=data["name"], kind=data.get("kind", "registered"),
        id_number_enc=privacy.seal(number), id_number_hash=digest, id_number_masked=id_number.masked(number),
        phone_enc=privacy.seal(phone) if phone else None, phone_masked=privacy.mask_phone(phone) if phone else None,
        sex=id_number.sex(number), birth_date=id_number.birth_date(number), moved_in=data.get("moved_in"))
    return save_new(actor, resident, "resident.register", LIVING_ELSEWHERE, field="id_number")


def move_out(actor, resident_id: int, on: date, version: int) -> Resident:
    require(actor, "actuals.write")
    resident = get_resident(actor, resident_id)
    check_version(resident, version)
    before = snapshot(resident)
    resident.move_out(on)
    record(actor, "resident.move_out", resident, before=before, after=snapshot(resident))
    db.session.commit()
    return resident


def reveal_personal(actor, obj) -> dict:
    """The full ID and phone numbers of a resident or a public report (or an organisation's phone),
    for roles that need them. Every call writes an audit row, committed before the data leaves."""
    require(actor, "personal.full")
    out = {"phone": privacy.unseal(obj.phone_enc) if obj.phone_enc else None}
    if getattr(obj, "id_number_enc", None):
        out["id_number"] = privacy.unseal(obj.id_number_enc)
    record(actor, f"{obj.__tablename__}.reveal_personal", obj, reason="查看完整个人信息")
    db.session.commit()
    return out


# --- housing ---------------------------------------------------------------------------------

def set_housing(actor, room_code: str, data: dict) -> Housing:
    require(actor, "actuals.write")
    room = address_in(actor, room_code, Room, "room_code")
    housing = db.session.scalar(select(Housing).where(Housing.room_id == room.id))
    if housing is None:
        housing = Housing(room_id=room.id, use=data["use"], ownership=data["ownership"],
                          rented=data.get("rented", False))
        return save_new(actor, housing, "housing.create")
    check_version(housing, data["version"] if "version" in data else housing.version)
    before = snapshot(housing)
    for key in ("use", "ownership", "rented"):
        if key in data:
            setattr(housing, key, data[key])
    housing.bump()
    record(actor, "housing.update", housing, before=before, after=snapshot(housing))
    db.session.commit()
    return housing


# --- organisations and bindings --------------------------------------------------------------

def get_organisation(actor, code: str) -> Organisation:
    require(actor, "actuals.read")
    org = db.session.scalar(select(Organisation).where(Organisation.object_code == code))
    return actor.jurisdiction.require(org)


def credit_code_warnings(code: str) -> list[str]:
    """Warning-level problem codes of a credit code that passed validation (flags for reviewers)."""
    return [p.code for p in credit_code.problems(code) if p.severity == WARNING]


def register_organisation(actor, data: dict) -> Organisation:
    require(actor, "actuals.write")
    area = db.session.scalar(select(Area).where(Area.code == data["area_code"]))
    if area is None or not actor.jurisdiction.covers(area):
        raise Problem("validation.failed", field="area_code", detail=f"区划 {data['area_code']} 不存在或不在您的辖区内")
    org = add_organisation(actor, area, data)
    db.session.commit()
    return org


def add_organisation(actor, area: Area, data: dict) -> Organisation:
    """A new organisation in `area` with its audit row, not yet committed; conflict.duplicate if
    its credit code is already registered."""
    from app.places.services import allocate_object_codes

    code = credit_code.normalise(data["credit_code"]) if data.get("credit_code") else None
    phone = data.get("phone")
    org = Organisation(
        name=data["name"], kind=data["kind"], credit_code=code,
        credit_code_flags=credit_code_warnings(code) if code else None,
        legal_representative=data.get("legal_representative"), area_id=area.id,
        phone_enc=privacy.seal(phone) if phone else None, phone_masked=privacy.mask_phone(phone) if phone else None,
        object_code=allocate_object_codes(area.division_code, "organisation")[0])
    return add_new(actor, org, "organisation.register", duplicate="该统一社会信用代码已登记")


def bind(actor, org_code: str, target_code: str, confirm_move: bool = False) -> Binding:
    """Bind an organisation to a room or door plate. An organisation has at most one active binding:
    binding it elsewhere needs `confirm_move` (else binding.already_bound) and ends the old one,
    which stays in the history."""
    require(actor, "actuals.write")
    org = get_organisation(actor, org_code)
    node = address_in(actor, target_code, (Room, DoorPlate), "address_code")
    binding = attach(actor, org, node, confirm_move)
    db.session.commit()
    return binding


def check_move(actor, org: Organisation, node, confirm_move: bool) -> Binding | None:
    """The organisation's active binding, if binding it to `node` may end it. Problems:
    state.not_allowed (already bound there), binding.already_bound (elsewhere, not confirmed)."""
    current = org.active_binding
    if current is None:
        return None
    if (current.room_id, current.door_plate_id) == ((node.id, None) if isinstance(node, Room) else (None, node.id)):
        raise Problem("state.not_allowed", "该单位已绑定在此地址")
    if not confirm_move:
        from app.places.addresses import address_text

        where = address_text(current.room or current.door_plate) if actor.jurisdiction.covers(current) \
            else "您辖区外的地址"
        raise Problem("binding.already_bound", f"该单位当前绑定在：{where}。确认迁移请再次提交并勾选“确认迁移”",
                      field="confirm_move")
    return current


def attach(actor, org: Organisation, node, confirm_move: bool = False) -> Binding:
    """bind() for loaded objects, with its audit rows, not yet committed."""
    current = check_move(actor, org, node, confirm_move)
    target = {"room_id": node.id} if isinstance(node, Room) else {"door_plate_id": node.id}
    if current is not None:
        before = snapshot(current)
        current.end()
        record(actor, "binding.end", current, before=before, after=snapshot(current), reason="迁移到新地址")
        db.session.flush()  # the one-active index must see the old row ended before the new one
    binding = Binding(organisation_id=org.id, created_by_id=actor.id, **target)
    binding.organisation = org
    # Two people binding the same organisation at once: the one-active index lets one through.
    return add_new(actor, binding, "binding.create", "该单位刚刚已被他人绑定，请刷新后查看当前绑定",
                   code="binding.already_bound")


def organisations(actor, name: str | None = None):
    require(actor, "actuals.read")
    stmt = visible(actor, Organisation)
    if name:
        stmt = stmt.where(Organisation.name.contains(name, autoescape=True))
    return stmt
