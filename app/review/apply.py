"""What an approved submission changes in the master data, and what it was based on.

`base_of` reads the versions of the master data a submission touches; it is stored when the
submission arrives. At the last approval the same read is made again: if anything differs, the
approval fails as a whole (review.conflict, with both) until the reviewer re-bases it.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, select

from app.actuals.models import Organisation
from app.actuals.services import add_organisation, attach, credit_code_warnings
from app.audit.services import record, snapshot
from app.errors import Problem
from app.extensions import db
from app.places.models import Building, Room, Unit
from app.rules import add_new
from app.standards import credit_code

LABELS = {"building": "楼栋", "room": "房间", "organisation": "单位", "address": "地址", "resident": "此人的在住登记"}
FLAGS = {"credit_code.org_code": "信用代码第9-17位（组织机构代码）校验未通过",
         "credit_code.pilot_check_char": "信用代码校验码不符合GB 32100（可能是试点代码）",
         "gps.far": "拍照位置距楼栋较远", "gps.none": "没有拍照位置", "photo.none": "没有照片"}


def version_of(obj) -> dict | None:
    return None if obj is None else {"id": obj.id, "version": obj.version, "status": obj.status}


def shop_room(building_id: int, unit_number: str | None, room_number: str) -> Room | None:
    """The active room a shop names (by its unit's and its own number), or None if it is new."""
    return db.session.scalar(select(Room).where(shop_room_named(building_id, unit_number or None, room_number)))


def shop_room_named(building_id, unit_number, room_number):
    """The condition on Room of `shop_room` (a unit number of None: outside any unit). Each argument
    may be a column, to join on, or a bound parameter, to build a statement once."""
    unit = (Room.unit_id.is_(None) if unit_number is None else
            Room.unit_id.in_(select(Unit.id).where(Unit.building_id == building_id, Unit.number == unit_number)))
    return and_(Room.building_id == building_id, Room.number == room_number, Room.status == "active", unit)


def _binding_target(submission):
    return db.session.get(Room, submission.room_id) if submission.room_id else submission.door_plate


def shop_state(building: Building, room: Room | None) -> dict:
    return {"building": version_of(building), "room": version_of(room)}


def binding_state(org: Organisation | None, target) -> dict:
    state = version_of(org)
    if state is not None:
        binding = org.active_binding
        state["binding"] = binding.id if binding else None
    return {"organisation": state, "address": version_of(target)}


def _shop_touched(submission) -> tuple:
    """(building, room) a shop would change, as they are now."""
    return db.session.get(Building, submission.building_id), shop_room(submission.building_id, submission.data.get("unit"),
                                                                        submission.data["room"])


def _binding_touched(submission) -> tuple:
    """(organisation, room or door plate) a binding would change, as they are now."""
    org = db.session.scalar(select(Organisation).where(Organisation.credit_code == submission.data["credit_code"]))
    return org, _binding_target(submission)


@dataclass(frozen=True)
class Kind:
    """How a kind of submission meets the master data: what it touches, as it is now (`touched`);
    their versions (`state`, the submission's base); what its last approval writes (`write`,
    given the touched objects); and, optionally, the rows of the reviewer's diff, its flags, and
    the conditions on Submission of the others that repeat it (`repeats`, shown as possible duplicates)."""
    touched: Callable[..., tuple]
    state: Callable[..., dict]
    write: Callable[..., None]
    rows: Callable[..., list] | None = None
    flags: Callable[..., list] | None = None
    repeats: Callable[..., tuple] | None = None


KINDS: dict[str, Kind] = {}  # shop and binding below; the public reports' kinds in app/reports/review.py


def base_of(submission) -> dict:
    """The versions of the master data the submission would change, as they are now (the field
    services record them from the objects they have loaded: shop_state, binding_state)."""
    kind = KINDS[submission.kind]
    return kind.state(*kind.touched(submission))


def conflicts(submission, current: dict | None = None) -> dict | None:
    """{key: {"base": …, "current": …}} for what changed since the base, or None."""
    current = current or base_of(submission)
    changed = {k: {"base": (submission.base or {}).get(k), "current": v} for k, v in current.items()
               if (submission.base or {}).get(k) != v}
    return changed or None


def describe(changed: dict) -> str:
    parts = []
    for key, pair in changed.items():
        base, now = pair["base"], pair["current"]
        if base is None:
            parts.append(f"{LABELS[key]}在提交后已被他人登记")
        elif now is None:
            parts.append(f"{LABELS[key]}已不存在")
        elif key == "organisation" and base.get("binding") != now.get("binding"):
            parts.append("单位在提交后已被绑定到其他地址")
        else:
            parts.append(f"{LABELS[key]}已从第 {base['version']} 版改为第 {now['version']} 版")
    return "；".join(parts)


def apply(actor, submission) -> None:
    """Write the approved submission into the master data, in the caller's transaction."""
    kind = KINDS[submission.kind]
    touched = kind.touched(submission)
    changed = conflicts(submission, kind.state(*touched))
    if changed:
        raise Problem("review.conflict", f"提交后主数据已变化：{describe(changed)}。请核对后“以当前数据为准”再通过",
                      changes=changed)
    kind.write(actor, submission, *touched)


def _apply_shop(actor, submission, building: Building, room: Room | None) -> None:
    """The shop's room: made a shop unit with a new version, or created (with its object code)."""
    if room is not None:
        if room.use != "shop":
            before = snapshot(room)
            room.use = "shop"
            room.bump()
            record(actor, "room.update", room, before=before, after=snapshot(room), reason="门店采集审核通过")
    else:
        data = submission.data
        room = make_room(actor, building, data.get("unit"), data["room"], data.get("floor") or 1, "shop")
    submission.room_id = room.id


def make_room(actor, building: Building, unit_number: str | None, number: str, floor: int, use: str) -> Room:
    """A room the approved submission names that is not on record yet, with its object code."""
    from app.places.services import allocate_object_codes

    unit = None
    if unit_number:
        unit = db.session.scalar(select(Unit).where(Unit.building_id == building.id, Unit.number == unit_number))
    room = Room(building_id=building.id, unit_id=unit.id if unit else None, number=number, floor=floor, use=use,
                object_code=allocate_object_codes(building.object_code[:6], "room")[0])
    return add_new(actor, room, "room.create", duplicate="该房间刚刚已被他人登记，请刷新后重试")


def _apply_binding(actor, submission, org: Organisation | None, target) -> None:
    """Register the organisation if it is new, and bind it to the room or door plate."""
    data = submission.data
    if org is None:
        org = add_organisation(actor, submission.door_plate.area, {"name": data["name"], "credit_code": data["credit_code"],
                                                                   "kind": credit_code.organisation_kind(data["credit_code"])})
    binding = attach(actor, org, target, confirm_move=True)  # the base says it is current
    submission.organisation, submission.binding_id = org, binding.id


KINDS["shop"] = Kind(_shop_touched, shop_state, _apply_shop)
KINDS["binding"] = Kind(_binding_touched, binding_state, _apply_binding)


# --- flags a reviewer sees ---------------------------------------------------------------------

def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Distance on the sphere (haversine); ample for "is it near the building"."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371000 * math.asin(math.sqrt(a))


def where_of(submission):
    """(lon, lat) of the building, else the door plate, the submission is at."""
    node = db.session.get(Building, submission.building_id) if submission.building_id else None
    node = node or submission.door_plate
    return (node.lon, node.lat) if node and node.lon is not None else None


def flags_of(submission, at: tuple[float, float] | None = None) -> list[str]:
    """Codes of FLAGS for a submission; `at`: its building's (lon, lat), when already loaded."""
    flags = []
    if submission.kind == "binding":
        flags += credit_code_warnings(submission.data["credit_code"])
    if submission.kind == "shop":
        if not submission.photos:
            flags.append("photo.none")
        if submission.lon is None:
            flags.append("gps.none")
        else:
            at = at or where_of(submission)
            if at and metres(submission.lon, submission.lat, *at) > current_app.config["REVIEW_GPS_FAR_M"]:
                flags.append("gps.far")
    if KINDS[submission.kind].flags:
        flags += KINDS[submission.kind].flags(submission)
    return flags
