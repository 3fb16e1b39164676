"""Rules of field collection: photos stored once by hash, submissions accepted once by the phone's
UUID, the address pack a phone works from offline, and a collector's own submissions (the inbox).

A submission is written whole or not at all: its row, its photo links and its audit row share one
transaction (on PostgreSQL a new one is a single statement). What its approval creates (a room, an
organisation, a binding) is written by review (app/review/apply.py).
"""
from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import re

from flask import current_app
from sqlalchemy import JSON, String, Text, bindparam, cast, func, insert, inspect, select, true, update
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.exc import StaleDataError

from app.actuals.models import Binding, Organisation
from app.actuals.services import check_move
from app.audit.models import AuditLog
from app.audit.services import audit_values, snapshot
from app.errors import Problem
from app.extensions import db
from app.jobs.queue import huey
from app.jobs.services import background, in_app
from app.lifecycle import utcnow
from app.places.addresses import area_index, full_text
from app.places.models import Building, DoorPlate, Road, Room, Unit
from app.places.services import address_in, checked_address
from app.plates.models import Plate
from app.review import apply as review_apply
from app.review import chains as review_chains
from app.rules import insert_or_ignore, require, visible
from app.standards import credit_code

from . import images
from .models import BUSINESS_KINDS, SUBMISSION_STATUSES, Photo, Submission, SubmissionPhoto
from .schemas import load_submission
from .storage import photo_store

log = logging.getLogger(__name__)

SHA256 = re.compile(r"[0-9a-f]{64}")
PENDING = ("submitted", "in_review", "returned")


# --- photos ----------------------------------------------------------------------------------

def put_photo(actor, sha256: str, data: bytes) -> tuple[Photo, bool]:
    """Store a photo under the SHA-256 of its bytes; (photo, False) if it was already there.
    Problems: photo.too_large, photo.unsupported_type, photo.hash_mismatch, photo.too_many_pixels,
    photo.unreadable."""
    require(actor, "collect.submit")
    if not SHA256.fullmatch(sha256):
        raise Problem("validation.failed", field="sha256", detail="照片地址应为 64 位小写十六进制的 SHA-256")
    row = checked_photo(data, expected_sha256=sha256)
    # No look-up first: the phone asks (HEAD) before sending a photo it may have sent already, so a
    # photo arriving here is almost always new. One statement needs no transaction around it: in
    # autocommit the upload is one round trip to the database, not three (BEGIN, INSERT, COMMIT).
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        created = store_photo(row, data, actor.id, connection)
    if created:
        background(reencode_photo, sha256)
    # The answer is what was written: reading the row back would open a transaction after the commit
    # that the request's end rolls back, and on PostgreSQL psycopg drops its prepared statements then.
    return Photo(**row), created


def checked_photo(data: bytes, field: str | None = None, expected_sha256: str | None = None) -> dict:
    """The photo's row, or the problem with it (naming `field`): its bytes, its type, its hash, then
    its pixels, counted from its header, and the file read to its end (app/collect/images.py)."""
    limit = current_app.config["PHOTO_MAX_BYTES"]
    if len(data) > limit:
        raise Problem("photo.too_large", f"照片 {len(data) / 1048576:.1f} MB，超过上限 {limit / 1048576:.0f} MB；"
                      "请在手机上压缩后重传", field=field)
    content_type = images.content_type(data)
    if content_type is None:
        raise Problem("photo.unsupported_type", "只接受 JPEG、PNG 或 WebP 照片", field=field)
    sha256 = hashlib.sha256(data).hexdigest()
    if expected_sha256 not in (None, sha256):
        raise Problem("photo.hash_mismatch", f"照片内容的 SHA-256 是 {sha256}，与地址中的 {expected_sha256} 不符；"
                      "照片可能在传输中损坏，请重传", field="sha256")
    width, height = images.checked_size(data, field)
    return {"sha256": sha256, "size": len(data), "content_type": content_type,
            "width": width, "height": height}


def store_photo(row: dict, data: bytes, uploaded_by_id: int | None, connection=None) -> bool:
    """A checked photo (`checked_photo`) stored, in the caller's transaction (or on `connection`);
    whether it was new. The file first (a row always has its file: the same bytes, should it be
    there already), then the row unless it is there. Its display copy is made by a background job
    or when first shown."""
    photo_store().put(row["sha256"], data)
    row.update(uploaded_by_id=uploaded_by_id, uploaded_at=utcnow())
    connection = connection or db.session.connection()
    return connection.execute(_new_photo(connection.dialect.name), row).scalar() is not None


def has_photo(actor, sha256: str) -> bool:
    """Whether the server has a photo the actor may see (see `photo_for`): anyone else's is as
    absent as one never sent."""
    return _within_reach(actor, db.session.get(Photo, sha256))


def photo_for(actor, sha256: str) -> tuple[bytes, str]:
    """A photo's bytes for someone who uploaded it or can see something showing it: always the
    server's re-encoded copy (upright, no EXIF), made now if its background job has not run yet (or
    was lost when a worker stopped). Problems: resource.not_found, photo.unreadable."""
    if not _within_reach(actor, db.session.get(Photo, sha256)):
        raise Problem("resource.not_found")
    store = photo_store()
    if not store.has(sha256, "display"):
        reencode(sha256)
    return store.read(sha256, "display"), "image/jpeg"


def _within_reach(actor, photo: Photo | None) -> bool:
    """Whether the actor uploaded the photo, or may read what shows it: a submission or a task in
    their jurisdiction, or a task's answer there."""
    if photo is None:
        return False
    if photo.uploaded_by_id == actor.id:
        return True
    if not actor.can("actuals.read"):
        return False
    shown = visible(actor, Submission).join(SubmissionPhoto).where(SubmissionPhoto.photo_sha256 == photo.sha256)
    return db.session.scalar(shown.limit(1)) is not None or _shown_by_task(actor, photo.sha256)


def _shown_by_task(actor, sha256: str) -> bool:
    """Whether a task in the actor's jurisdiction shows the photo: its own, or one of its answer's
    (kept in the answer's JSON; a SHA-256 in its text is that photo, nothing else)."""
    from app.tasks.models import Task

    shows = (Task.photo_sha256 == sha256) | cast(Task.result, Text).contains(sha256)
    return db.session.scalar(visible(actor, Task).with_only_columns(Task.id).where(shows).limit(1)) is not None


def reencode(sha256: str) -> None:
    """Make the display copy: turned upright by its EXIF orientation, at most 2048 px, JPEG, with
    no EXIF (the phone strips location, but the server does not rely on it).
    Problems: photo.unreadable (a photo stored before uploads were checked as they are now)."""
    store = photo_store()
    try:
        upright = images.display_copy(store.read(sha256))
    except Problem as problem:
        log.warning("photo %s has no display copy: %s", sha256, problem.detail)
        raise
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=85)  # optimize=True: ~20 % smaller, twice the time to save
    store.put(sha256, out.getvalue(), "display")
    with db.engine.begin() as conn:
        conn.execute(update(Photo).where(Photo.sha256 == sha256).values(
            reencoded_at=utcnow(), width=upright.width, height=upright.height))


@huey.task(retries=2, retry_delay=30)
def reencode_photo(sha256: str) -> None:
    try:
        in_app(reencode, sha256)
    except Problem:
        pass  # the photo itself is at fault (logged): trying again would not mend it


# --- submissions -----------------------------------------------------------------------------

def body_hash(raw: dict) -> str:
    """The same body hashes the same whatever its key order or spacing."""
    canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def replayed(actor, raw, found: Submission | None) -> bool:
    """Whether `found` (the submission under the body's id) is this body accepted already; False
    for a new id or a correction. Problems: submission.conflict (the id was used for a different
    body, or by someone else)."""
    if found is None or _is_correction(actor, found, raw):
        return False
    if found.collector_id != actor.id or found.body_hash != body_hash(raw):
        raise Problem("submission.conflict", f"编号 {found.client_id} 已用于另一份内容不同的提交；"
                      "请在“待上传”中删除这条后重新填写", field="id")
    return True


def _by_client_id(raw) -> Submission | None:
    client_id = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(client_id, str):
        return None
    return db.session.scalar(select(Submission).where(Submission.client_id == client_id))


# The statements of every submission, built once. Building a statement and its cache key anew costs
# SQLAlchemy more than running it, and these run on every request of a phone's upload
# (docs/performance.md, "Field-collection ingest").
_INSERT_SUBMISSION = insert(Submission.__table__).returning(Submission.__table__.c.id, Submission.__table__.c.version)
_INSERT_PHOTO_LINKS = insert(SubmissionPhoto.__table__)
_INSERT_AUDIT = insert(AuditLog.__table__)


@functools.cache
def _building_and_room(in_unit: bool):
    """The building a shop names (by `code`) and its room (by `unit` and `room`) if there is one."""
    room = review_apply.shop_room_named(Building.id, bindparam("unit") if in_unit else None, bindparam("room"))
    # Not the room's own joined loads: its building is the one read here (a lazy load finds it in the
    # session), and its unit is not needed. Joining them doubled the columns read and cost ~0.2 ms.
    return (select(Building, Room).outerjoin(Room, room).where(Building.object_code == bindparam("code"))
            .options(lazyload(Room.building), lazyload(Room.unit)))


@functools.cache
def _new_photo(dialect: str):
    return insert_or_ignore(Photo, dialect).returning(Photo.sha256)


def _is_correction(actor, found: Submission, raw: dict) -> bool:
    """A returned submission sent again by its collector, naming the version it corrects."""
    return (found.status == "returned" and found.collector_id == actor.id and found.kind == raw.get("kind")
            and raw.get("revision") == found.version)


def submit(actor, raw) -> tuple[Submission, bool]:
    """Accept a submission from the field into review: (submission, True) the first time, (the same,
    False) for a replay of the same body. The same id with `revision` (the version it was returned
    at) corrects a returned submission, which goes back to the step that returned it.
    Problems: submission.conflict, validation.failed, photo.missing, binding.already_bound.

    Almost every submission is new, so it is written without looking its id or its photos up first:
    the unique id and the photo links' foreign keys refuse the rest, and only then is the id looked
    up (a replay, a copy that arrived at the same moment, a correction) or the missing photo named."""
    require(actor, "collect.submit")
    try:
        data = load_submission(raw)
        _without_transaction()
        submission = Submission(client_id=data["id"], kind=data["kind"], collector_id=actor.id)
        _filled(actor, raw, data, submission, list(dict.fromkeys(data["photos"])))
        review_chains.start(submission)
        _insert_new(actor, submission)
    except Problem:
        found = _by_client_id(raw)  # the id was used before: a conflict, or a replay the rules now refuse
        if replayed(actor, raw, found):
            return found, False
        raise
    except IntegrityError:
        db.session.rollback()
        found = _by_client_id(raw)
        if found is None:
            uploaded_photos(data["photos"])  # names the photo missing
            raise
        if replayed(actor, raw, found):
            return found, False
        try:
            return _corrected(actor, raw, data, found), True  # replayed() said: not a replay, so a correction
        except StaleDataError:  # the same correction, sent again at the same moment, was written first
            db.session.rollback()
            if replayed(actor, raw, _by_client_id(raw)):
                return found, False
            raise
    _commit_keeping_loaded()
    return submission, True


def _filled(actor, raw, data: dict, submission: Submission, photos: list[str]) -> None:
    """The submission as the body says, located and checked by its kind (`_shop`, `_binding`)."""
    correcting = submission.id is not None
    submission.body_hash, submission.received_at = body_hash(raw), utcnow()
    submission.photos = [SubmissionPhoto(photo_sha256=sha, position=i) for i, sha in enumerate(photos)]
    # A correction without a position or capture time (made on another phone) keeps the original's.
    if data["captured_at"] or not correcting:
        submission.captured_at = data["captured_at"]
    if data["position"]:
        submission.lon, submission.lat = data["position"]["lon"], data["position"]["lat"]
        submission.accuracy_m = data["position"]["accuracy_m"]
    {"shop": _shop, "binding": _binding}[data["kind"]](actor, data, submission)


def _corrected(actor, raw, data: dict, returned: Submission) -> Submission:
    """The returned submission as its collector corrected it, back at the step that returned it."""
    _filled(actor, raw, data, returned, uploaded_photos(data["photos"]))
    returned.resubmitted(actor)
    returned.comments = None
    _commit_keeping_loaded()
    return returned


def _without_transaction() -> None:
    """On PostgreSQL, the request reads and writes in autocommit from here: a new submission is one
    statement (`_insert_new`) and reads need no transaction, so no BEGIN and COMMIT round trips.
    Not on SQLite, where a new submission takes three statements, nor when the request has a
    transaction open already (its user was looked up in it). A rollback ends it: what follows runs
    in a transaction again (a correction)."""
    session = db.session()
    if not session.in_transaction() and session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def _insert_new(actor, submission: Submission) -> None:
    """Write a new submission, its photo links and its audit row as plain INSERTs on the session's
    connection, which takes a third of the time of the ORM's flush of the same; on PostgreSQL as one
    statement, one round trip. The object stays out of the session (it makes the answer); columns it
    leaves unset get their defaults, as in a flush."""
    connection, given = db.session.connection(), inspect(submission).dict
    values = {column.key: given[column.key] for column in Submission.__table__.columns if column.key in given}
    action = f"submission.{submission.kind}"
    if connection.dialect.name == "postgresql":
        # An INSERT inside a SELECT gets no Python-side defaults: they are given here.
        values.update({column.key: column.default.arg(None) if column.default.is_callable else column.default.arg
                       for column in Submission.__table__.columns
                       if column.key not in values and column.default is not None})
        audit = {**audit_values(actor, action, submission, after=snapshot(submission)), "at": utcnow()}
        params = {**values, "photos": [link.photo_sha256 for link in submission.photos],
                  **{f"audit_{key}": audit[key] for key in _AUDITED_BY_PARAMETER}}
        submission.id, submission.version = connection.execute(_new_submission_in_one(tuple(values)), params).one()
        return
    submission.id, submission.version = connection.execute(_INSERT_SUBMISSION, values).one()
    if submission.photos:
        connection.execute(_INSERT_PHOTO_LINKS, [{"submission_id": submission.id, "photo_sha256": link.photo_sha256,
                                                  "position": link.position} for link in submission.photos])
    connection.execute(_INSERT_AUDIT, audit_values(actor, action, submission, after=snapshot(submission)))


_AUDITED_BY_PARAMETER = ("at", "actor_id", "actor_name", "action", "object_type", "before", "after", "reason")


@functools.cache
def _new_submission_in_one(keys: tuple[str, ...]):
    """PostgreSQL's `_insert_new`: the submission row (its columns `keys`), the links of the photos
    `photos` in their order, and the audit row (parameters audit_*), whose object id and version, and
    those in its `after`, are the new row's."""
    submission, link, audit = Submission.__table__, SubmissionPhoto.__table__, AuditLog.__table__
    new = (insert(submission).values({key: bindparam(key, type_=submission.c[key].type) for key in keys})
           .returning(submission.c.id, submission.c.version).cte("new_submission"))
    shown = (func.unnest(bindparam("photos", type_=ARRAY(String))).table_valued("sha256", with_ordinality="n")
             .render_derived())
    links = insert(link).from_select(
        ["submission_id", "photo_sha256", "position"],
        select(new.c.id, shown.c.sha256, shown.c.n - 1).select_from(new).join(shown, true())).cte("links")
    values = {key: bindparam(f"audit_{key}", type_=audit.c[key].type) for key in _AUDITED_BY_PARAMETER}
    values["after"] = cast(bindparam("audit_after", type_=JSONB).op("||")(
        func.jsonb_build_object("id", new.c.id, "version", new.c.version)), JSON)
    audited = insert(audit).from_select(
        [*values, "object_id", "version"], select(*values.values(), new.c.id, new.c.version).select_from(new)).cte("audited")
    return select(new.c.id, new.c.version).add_cte(links, audited)


def _commit_keeping_loaded() -> None:
    """Commit, leaving what the request wrote loaded: the answer is made from it. Expiring it (the
    session's default) would read the submission, its door plate and its photo links back in a second
    transaction, which the request's end then rolls back, and a rollback makes psycopg drop every
    prepared statement of the connection (PostgreSQL plans each query again)."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def uploaded_photos(hashes: list[str]) -> list[str]:
    present = set(db.session.scalars(select(Photo.sha256).where(Photo.sha256.in_(hashes)))) if hashes else set()
    for i, sha in enumerate(hashes):
        if sha not in present:
            raise Problem("photo.missing", f"照片 {sha[:12]}… 尚未上传，请先上传照片再提交", field=f"photos.{i}")
    return list(dict.fromkeys(hashes))


def _located(submission: Submission, plate: DoorPlate, building: Building | None, room: Room | None,
             text: str, fields: dict) -> None:
    submission.area_id, submission.door_plate_id = plate.area_id, plate.id
    submission.door_plate = plate  # the answer names it
    submission.building_id = building.id if building else None
    submission.room_id = room.id if room else None
    submission.address_text, submission.data = text, fields


def _shop(actor, data: dict, submission: Submission):
    """The police officer's shop: where it is (an existing room, or a new one for review) and what."""
    # The building and the room the shop names in one statement, as every shop needs both.
    code = data["building_code"]
    building, room = db.session.execute(_building_and_room(data["unit"] is not None), {
        "code": code, "unit": data["unit"], "room": data["room"]}).first() or (None, None)
    building = checked_address(actor, building, code, Building, "building_code")
    unit = None
    if data["unit"]:
        unit = db.session.scalar(select(Unit).where(Unit.building_id == building.id, Unit.number == data["unit"],
                                                    Unit.status == "active"))
        if unit is None:
            raise Problem("validation.failed", field="unit", detail=f"该楼栋没有 {data['unit']} 单元，请从列表中选择")
    parts = {**building.parts, "unit": unit.number if unit else None, "room": data["room"]}
    fields = {key: data[key] for key in ("unit", "floor", "room", "shop_name", "business_kind", "note", "plate_token")}
    fields.update(building_code=building.object_code, room_code=room.object_code if room else None,
                  business_kind_label=BUSINESS_KINDS[data["business_kind"]])
    _located(submission, building.door_plate, building, room, full_text(building.area_id, parts), fields)
    submission.base = review_apply.shop_state(building, room)
    submission.flags = review_apply.flags_of(submission, (building.lon, building.lat) if building.lon is not None else None)


def _binding(actor, data: dict, submission: Submission):
    """The grid worker's binding: the organisation by its credit code, at the room or door plate.
    It is checked now (a move must be confirmed) and applied when approved (app/review/apply.py)."""
    require(actor, "actuals.write")
    node = address_in(actor, data["address_code"], (Room, DoorPlate), "address_code")
    plate = node if isinstance(node, DoorPlate) else node.building.door_plate
    shop = None
    if data["shop"]:
        shop = db.session.scalar(select(Submission).where(Submission.client_id == data["shop"], Submission.kind == "shop"))
        if shop is None or shop.door_plate_id != plate.id or not actor.jurisdiction.covers(shop):
            raise Problem("validation.failed", field="shop", detail="所选门店不在这个门牌下，请重新扫码选择")
    code = credit_code.normalise(data["credit_code"])
    org = db.session.scalar(select(Organisation).where(Organisation.credit_code == code))
    name = data["name"] or (shop.data["shop_name"] if shop else None) or (org.name if org else None)
    if org is None and not name:
        raise Problem("validation.failed", field="name", detail="这是新登记的单位，请填写营业执照上的名称")
    if org is not None:
        check_move(actor, org, node, data["confirm_move"])
    fields = {"credit_code": code, "name": name, "confirm_move": data["confirm_move"], "note": data["note"],
              "plate_token": data["plate_token"], "shop": data["shop"], "address_code": node.object_code}
    room = node if isinstance(node, Room) else None
    _located(submission, plate, room.building if room else None, room, full_text(plate.area_id, node.parts), fields)
    submission.shop_id = shop.id if shop else None
    submission.organisation_id = org.id if org else None
    submission.base, submission.flags = review_apply.binding_state(org, node), review_apply.flags_of(submission)


def my_submissions(actor, status: str | None, limit: int) -> list[Submission]:
    """The collector's own submissions, newest first: the field app's inbox."""
    stmt = select(Submission).where(Submission.collector_id == actor.id)
    if status:
        stmt = stmt.where(Submission.status == status)
    return list(db.session.scalars(stmt.order_by(Submission.id.desc()).limit(limit)))


# --- the address pack ------------------------------------------------------------------------

def address_pack(actor, area_code: str | None = None) -> dict:
    """Everything a phone needs to work offline in the actor's jurisdiction (or one area of it):
    door plates, buildings, units, the tokens of their plates, the shops waiting for a binding and the
    organisations bound there. Rows are arrays, to keep the download small.
    Problems: validation.failed (area outside the jurisdiction), pack.too_large."""
    require(actor, "places.read")
    scope = actor.jurisdiction
    if area_code:
        if not scope.covers_area_code(area_code):
            raise Problem("validation.failed", field="area", detail=f"区划 {area_code} 不在您的辖区内")
        scope = type(scope)(area_codes=(area_code,))
    limit = current_app.config["PACK_MAX_BUILDINGS"]
    buildings = db.session.execute(
        select(Building.object_code, DoorPlate.object_code, Building.number, Building.name, Building.lon,
               Building.lat, Building.floors).join(DoorPlate, Building.door_plate_id == DoorPlate.id)
        .where(Building.status == "active", scope.clause(Building)).order_by(Building.id).limit(limit + 1)).all()
    if len(buildings) > limit:
        raise Problem("pack.too_large", f"辖区内楼栋超过 {limit} 个，无法全部下载到手机；请选择一个街道或社区",
                      field="area")
    plates = db.session.execute(
        select(DoorPlate.object_code, Road.name, DoorPlate.number, DoorPlate.area_id, DoorPlate.lon, DoorPlate.lat)
        .join(Road, DoorPlate.road_id == Road.id).where(DoorPlate.status == "active", scope.clause(DoorPlate))
        .order_by(DoorPlate.id)).all()
    units = db.session.execute(
        select(Unit.object_code, Building.object_code, Unit.number).join(Building, Unit.building_id == Building.id)
        .where(Unit.status == "active", Building.status == "active", scope.clause(Building)).order_by(Unit.id)).all()
    tokens = []
    for model, kind in ((DoorPlate, "door"), (Building, "building")):
        tokens += db.session.execute(select(Plate.token, Plate.object_code).join(model, model.object_code == Plate.object_code)
                                     .where(Plate.status == "active", Plate.kind == kind, scope.clause(model))).all()
    tokens += db.session.execute(
        select(Plate.token, Plate.object_code).join(Unit, Unit.object_code == Plate.object_code)
        .join(Building, Unit.building_id == Building.id).where(Plate.status == "active", Plate.kind == "unit",
                                                               scope.clause(Building))).all()
    province = current_app.config["PROVINCE_NAME"]
    return {
        "area": area_code,
        "business_kinds": BUSINESS_KINDS,
        "gps_far_m": current_app.config["REVIEW_GPS_FAR_M"],  # farther from its building, review flags a photo
        "prefixes": {str(a): province + area_index.prefix(a) for a in sorted({p[3] for p in plates})},
        "door_plates": [list(p) for p in plates],
        "buildings": [list(b) for b in buildings],
        "units": [list(u) for u in units],
        "plates": [list(t) for t in tokens],
        "shops": _shops_to_bind(scope),
        "organisations": _bound_organisations(scope),
    }


# Fields of a shop's submission taken out by the database: decoding every whole submission was half
# of the pack's cost. Made once: making these expressions costs more than running the query.
_SHOP_FIELDS = (Submission.data["shop_name"].as_string(), Submission.data["business_kind_label"].as_string())
_ROOM_CODE = Submission.data["room_code"].as_string()


def _shops_to_bind(scope) -> list[dict]:
    """Shops collected, in review or approved, that no binding names yet (one turned down does not
    count) and whose room has had no organisation bound since (by an office, not through the app).
    An approved shop's room is on record, so its organisation is bound at that room. Read as columns,
    not submissions: a jurisdiction may have thousands, and every opening of the app builds the pack."""
    named = select(Submission.shop_id).where(Submission.kind == "binding", Submission.shop_id.is_not(None),
                                             Submission.status != "rejected")
    bound_since = select(Binding.id).where(Binding.room_id == Submission.room_id, Binding.active,
                                           Binding.started_at >= Submission.received_at).exists()
    rows = db.session.execute(
        select(Submission.client_id, DoorPlate.object_code, *_SHOP_FIELDS, Submission.address_text,
               func.coalesce(Room.object_code, _ROOM_CODE), Submission.status)
        .join(DoorPlate, Submission.door_plate_id == DoorPlate.id).outerjoin(Room, Submission.room_id == Room.id)
        .where(Submission.kind == "shop", Submission.status.in_((*PENDING, "approved")), scope.clause(Submission),
               Submission.id.not_in(named), ~bound_since).order_by(Submission.id)).all()
    return [{"id": client_id, "door_plate": plate_code, "name": name, "business_kind": kind, "address_text": text,
             "room_code": room_code, "status": status, "status_label": SUBMISSION_STATUSES[status]}
            for client_id, plate_code, name, kind, text, room_code, status in rows]


def _bound_organisations(scope) -> list[list]:
    """[code, name, credit code, door plate code, address code] of organisations bound in scope."""
    at_plate = db.session.execute(
        select(Organisation.object_code, Organisation.name, Organisation.credit_code, DoorPlate.object_code,
               DoorPlate.object_code).join(Binding, Binding.organisation_id == Organisation.id)
        .join(DoorPlate, Binding.door_plate_id == DoorPlate.id)
        .where(Binding.active, scope.clause(DoorPlate))).all()
    in_room = db.session.execute(
        select(Organisation.object_code, Organisation.name, Organisation.credit_code, DoorPlate.object_code,
               Room.object_code).join(Binding, Binding.organisation_id == Organisation.id)
        .join(Room, Binding.room_id == Room.id).join(Building, Room.building_id == Building.id)
        .join(DoorPlate, Building.door_plate_id == DoorPlate.id)
        .where(Binding.active, scope.clause(Building))).all()
    return sorted([list(r) for r in at_plate + in_room])
