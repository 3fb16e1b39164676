"""Field collection through the API, as the field app uses it: photos by hash, submissions that
may arrive twice, a grid worker binding the business, and what each user may do."""
from __future__ import annotations

import hashlib
import io
import os
import threading
import uuid

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.actuals.models import Organisation
from app.collect.models import Submission
from app.places.models import Room
from app.extensions import db
from tests.factories import REVIEWER_OF_ROLE, approve_all_steps, credit_code_for, unique


def jpeg(seed: int = 0, size=(64, 48), exif: Image.Exif | None = None) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (seed % 256, 90, 160)).save(out, "JPEG", exif=exif or Image.Exif())
    return out.getvalue()


def put_photo(client, data: bytes, sha: str | None = None):
    return client.put(f"/api/v1/photos/{sha or hashlib.sha256(data).hexdigest()}", data=data,
                      headers={"Content-Type": "image/jpeg"})


def shop_body(building: str, photo: str, **overrides) -> dict:
    body = {"id": str(uuid.uuid4()), "kind": "shop", "building_code": building, "floor": 1, "room": "101",
            "shop_name": unique("老王面馆"), "business_kind": "catering", "photos": [photo],
            "captured_at": "2026-11-26T10:00:00+08:00",
            "position": {"lon": 112.14, "lat": 32.04, "accuracy_m": 12.5}}
    return {**body, **overrides}


@pytest.fixture()
def photo(as_user):
    data = jpeg(seed=int(uuid.uuid4()) % 256, size=(80, 60))
    sha = hashlib.sha256(data).hexdigest()
    assert put_photo(as_user("police"), data).status_code in (200, 201)
    return sha


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --- photos ------------------------------------------------------------------------------------

def test_a_photo_is_stored_once_by_its_hash(app, as_user):
    police = as_user("police")
    located = Image.Exif()
    located[0x8825] = {1: "N", 2: (32.0, 2.0, 3.0)}  # a phone that did not strip the GPS position
    data = jpeg(seed=7, size=(120, 90), exif=located)
    sha = hashlib.sha256(data).hexdigest()
    assert Image.open(io.BytesIO(data)).getexif()
    assert police.c.head(f"/api/v1/photos/{sha}").status_code == 404
    first = put_photo(police, data)
    assert first.status_code == 201 and first.json["width"] == 120 and first.json["size"] == len(data)
    assert police.c.head(f"/api/v1/photos/{sha}").status_code == 200
    assert put_photo(police, data).status_code == 200  # already there: not stored again
    shown = police.get(f"/api/v1/photos/{sha}")  # its background job has not run here: made on demand
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg" and shown.data[:3] == b"\xff\xd8\xff"
    assert not Image.open(io.BytesIO(shown.data)).getexif()


def test_a_photo_is_there_only_for_those_who_may_see_it(app, as_user, places):
    """The field app asks (HEAD) before sending a photo it may have sent already: yes for its own
    user's photo, so it is not sent twice; for anyone else, only when something they may read shows
    it, as for GET. Otherwise the answer would tell any collector which photos the server holds."""
    police, collector, grid = as_user("police"), as_user("collector"), as_user("grid")
    data = jpeg(seed=12, size=(81, 61))
    url = f"/api/v1/photos/{hashlib.sha256(data).hexdigest()}"
    assert put_photo(police, data).status_code == 201
    assert police.c.head(url).status_code == 200 and police.get(url).status_code == 200
    for other in (collector, grid):  # another collector; a grid worker whose grid nothing shows it in
        assert other.c.head(url).status_code == 404 and other.get(url).status_code == 404
    shop = police.post("/api/v1/submissions", json=shop_body(places["grid"]["building"], hashlib.sha256(data).hexdigest()))
    assert shop.status_code == 201, shop.json
    assert grid.c.head(url).status_code == 200 and grid.get(url).status_code == 200  # a shop in the grid shows it
    assert collector.c.head(url).status_code == 404 and collector.get(url).status_code == 404  # reads no shops


def test_a_stored_photo_and_every_folder_made_for_it_reach_the_disk(tmp_path, monkeypatch):
    """Nothing lost in a power cut: the file, its name, and the name of each folder made for it are
    synced before the photo's row is written."""
    from app.collect import storage

    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(storage.os, "fsync", lambda fd: (synced.append(os.readlink(f"/proc/self/fd/{fd}")),
                                                         real_fsync(fd))[1])
    root = tmp_path / "photos"
    store = storage.PhotoStore(root)
    first, second, third = "ab" + "1" * 62, "ab2" + "1" * 61, "ab11" + "3" * 60  # ab/11, ab/21, ab/11
    store.put(first, b"first photo")
    assert store.read(first) == b"first photo"
    made, [written, renamed] = synced[:3], synced[3:]
    assert made == [str(tmp_path), str(root), str(root / "ab")]  # each new folder's name, in its parent
    assert written.startswith(str(root / "ab" / "11" / ".incoming-"))  # the bytes, before the rename
    assert renamed == str(root / "ab" / "11")
    synced.clear()
    store.put(second, b"second photo")  # ab/21: one new folder
    assert synced[0] == str(root / "ab") and synced[2] == str(root / "ab" / "21") and len(synced) == 3
    synced.clear()
    store.put(third, b"third photo")
    store.put(third, b"third photo")  # a folder already there is not made or synced again
    incoming = str(root / "ab" / "11" / ".incoming-")
    assert [("bytes" if s.startswith(incoming) else s) for s in synced] == ["bytes", str(root / "ab" / "11")] * 2
    assert sorted(p.name for p in (root / "ab" / "11").iterdir()) == [first, third]  # no temporary file left


def test_a_photo_whose_bytes_do_not_match_its_hash_is_refused(app, as_user):
    from app.collect.storage import PhotoStore

    data = jpeg(seed=8, size=(67, 41))  # bytes no other test stores
    truncated = data[: len(data) // 2]  # the connection dropped half way
    response = put_photo(as_user("police"), truncated, sha=hashlib.sha256(data).hexdigest())
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert response.json["code"] == "photo.hash_mismatch"
    assert response.json["errors"][0]["field"] == "sha256"
    store = PhotoStore(app.config["PHOTO_STORAGE_ROOT"])
    assert not store.has(hashlib.sha256(data).hexdigest()) and not store.has(hashlib.sha256(truncated).hexdigest())
    assert as_user("police").c.head(f"/api/v1/photos/{hashlib.sha256(data).hexdigest()}").status_code == 404


def test_a_non_image_or_oversized_photo_is_refused(app, as_user, monkeypatch):
    police = as_user("police")
    text = "这不是照片".encode() * 10
    response = put_photo(police, text)
    assert response.status_code == 415 and response.json["code"] == "photo.unsupported_type"
    monkeypatch.setitem(app.config, "PHOTO_MAX_BYTES", 1000)
    big = jpeg(seed=9, size=(400, 400))
    response = put_photo(police, big)
    assert response.status_code == 413 and response.json["code"] == "photo.too_large"
    assert police.c.head(f"/api/v1/photos/{hashlib.sha256(big).hexdigest()}").status_code == 404


def test_a_broken_jpeg_is_refused_and_a_bad_hash_in_the_path_is_named(app, as_user):
    police = as_user("police")
    broken = b"\xff\xd8\xff\xe0" + b"\x00" * 40
    response = put_photo(police, broken)
    assert response.status_code == 422 and response.json["code"] == "photo.unreadable"
    response = put_photo(police, jpeg(), sha="not-a-hash")
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "sha256"


def test_the_server_copy_is_upright_and_has_no_location(app, as_user):
    from app.collect.services import photo_for, reencode

    police = as_user("police")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° to show
    exif[0x8825] = {1: "N", 2: (32.0, 2.0, 3.0)}  # GPS
    data = jpeg(seed=10, size=(200, 100), exif=exif)
    sha = hashlib.sha256(data).hexdigest()
    assert put_photo(police, data).status_code == 201
    with app.app_context():
        reencode(sha)  # the job the upload queued, run here
        from app.accounts.models import User
        user = db.session.scalar(select(User).where(User.username == "police"))
        shown, content_type = photo_for(user, sha)
    image = Image.open(io.BytesIO(shown))
    assert content_type == "image/jpeg" and image.size == (100, 200)
    assert not image.getexif()


def test_photos_need_a_role_that_collects(app, as_user):
    response = put_photo(as_user("street"), jpeg(seed=11))
    assert response.status_code == 403 and response.json["code"] == "auth.forbidden"


# --- shop submissions ----------------------------------------------------------------------------

def test_police_shop_submission_is_accepted_once_and_replays_return_it(app, as_user, places, photo):
    police = as_user("police")
    body = shop_body(places["township"]["building"], photo)
    first = police.post("/api/v1/submissions", json=body)
    assert first.status_code == 201, first.json
    assert first.json["status"] == "submitted" and first.json["id"] == body["id"]
    assert first.json["address_text"].startswith("湖北省襄阳市") and first.json["address_text"].endswith("101室")
    assert first.json["photos"] == [photo]
    before = count(app, Submission)
    again = police.post("/api/v1/submissions", json=dict(reversed(list(body.items()))))  # same body, other order
    assert again.status_code == 200 and again.json == first.json
    assert count(app, Submission) == before


def test_a_new_submission_writes_its_row_its_photos_in_order_and_its_audit_row(app, as_user, places, photo):
    from app.audit.models import AuditLog
    from app.collect.models import SubmissionPhoto

    police = as_user("police")
    second = jpeg(seed=int(uuid.uuid4()) % 256, size=(90, 70))
    assert put_photo(police, second).status_code in (200, 201)
    body = shop_body(places["township"]["building"], hashlib.sha256(second).hexdigest(), shop_name=unique("两张照片店"))
    body["photos"] = [body["photos"][0], photo]  # the storefront first, as the officer ordered them
    response = police.post("/api/v1/submissions", json=body)
    assert response.status_code == 201, response.json
    with app.app_context():
        row = db.session.scalar(select(Submission).where(Submission.client_id == body["id"]))
        assert (row.version, row.status, row.step, row.data["shop_name"]) == (1, "submitted", 0, body["shop_name"])
        links = db.session.execute(select(SubmissionPhoto.photo_sha256, SubmissionPhoto.position)
                                   .where(SubmissionPhoto.submission_id == row.id).order_by(SubmissionPhoto.position)).all()
        assert [tuple(link) for link in links] == [(body["photos"][0], 0), (photo, 1)]
        audit = db.session.scalars(select(AuditLog).where(AuditLog.object_type == "submission",
                                                          AuditLog.object_id == row.id)).all()
        assert len(audit) == 1 and audit[0].action == "submission.shop" and audit[0].actor_name == "police"
        assert audit[0].version == 1 and audit[0].before is None and audit[0].at is not None
        assert audit[0].after["id"] == row.id and audit[0].after["version"] == 1
        assert audit[0].after["client_id"] == body["id"] and audit[0].after["data"]["shop_name"] == body["shop_name"]


def test_a_different_body_under_the_same_id_is_a_conflict(app, as_user, places, photo):
    police = as_user("police")
    body = shop_body(places["township"]["building"], photo)
    assert police.post("/api/v1/submissions", json=body).status_code == 201
    response = police.post("/api/v1/submissions", json={**body, "shop_name": "另一家店"})
    assert response.status_code == 409 and response.json["code"] == "submission.conflict"
    assert response.json["errors"][0]["field"] == "id"
    # Someone else using the same id gets the same answer, and sees nothing of the first.
    other = as_user("grid").post("/api/v1/submissions", json=body)
    assert other.status_code == 409 and "另一家店" not in other.text and body["shop_name"] not in other.text


def test_a_submission_naming_a_photo_not_uploaded_names_it_and_writes_nothing(app, as_user, places, photo):
    missing = hashlib.sha256(b"never sent").hexdigest()
    before = count(app, Submission)
    response = as_user("police").post("/api/v1/submissions",
                                      json=shop_body(places["township"]["building"], photo, photos=[photo, missing]))
    assert response.status_code == 422 and response.json["code"] == "photo.missing"
    assert response.json["errors"] == [{"field": "photos.1", "message": response.json["detail"]}]
    assert missing[:12] in response.json["detail"]
    assert count(app, Submission) == before


@pytest.mark.parametrize("field, value, words", [
    ("shop_name", "", "长度"), ("floor", 999, "楼层"), ("business_kind", "casino", "只能是"),
    ("room", "1 0 1", "室号"), ("photos", [], "门头照"), ("id", "123", "UUID"),
    ("position", {"lon": 500, "lat": 32}, "之间"), ("captured_at", "2026-11-26 10:00", "时区"),
])
def test_each_bad_field_is_named_in_chinese(app, as_user, places, photo, field, value, words):
    before = count(app, Submission)
    response = as_user("police").post("/api/v1/submissions",
                                      json=shop_body(places["township"]["building"], photo, **{field: value}))
    assert response.status_code == 422, response.json
    named = {e["field"].split(".")[0]: e["message"] for e in response.json["errors"]}
    assert field in named and words in named[field], named
    assert count(app, Submission) == before


def test_a_unit_the_building_does_not_have_is_refused(app, as_user, places, photo):
    response = as_user("police").post("/api/v1/submissions",
                                      json=shop_body(places["township"]["building"], photo, unit="99"))
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "unit"


def test_a_shop_names_an_existing_room_by_its_unit_and_number(app, as_user, places, photo):
    from app.places.models import Building, Room, Unit

    with app.app_context():
        township = db.session.scalar(select(Building).where(Building.object_code == places["township"]["building"]))
        in_unit = db.session.scalar(select(Room).join(Unit, Room.unit_id == Unit.id).join(Building)
                                    .where(Building.area_id == township.area_id, Room.status == "active")
                                    .order_by(Room.id))
        building, room, unit = in_unit.building.object_code, in_unit.number, in_unit.unit.number
        other_units = [u.number for u in in_unit.building.units if u.number != unit]
    police = as_user("police")

    def room_code(**where):
        response = police.post("/api/v1/submissions", json=shop_body(building, photo, **where))
        assert response.status_code == 201, response.json
        return response.json["data"]["room_code"]

    assert room_code(unit=unit, room=room) == in_unit.object_code
    assert room_code(unit=None, room=room) is None  # the same number outside any unit: a new room
    if other_units:
        assert room_code(unit=other_units[0], room=room) != in_unit.object_code


def test_nobody_collects_outside_their_jurisdiction(app, as_user, places, photo):
    police = as_user("police")
    response = police.post("/api/v1/submissions", json=shop_body(places["district"]["building"], photo))
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "building_code"
    grid = as_user("grid")
    assert grid.post("/api/v1/submissions", json=shop_body(places["township"]["building"], photo)).status_code == 422
    reviewer = as_user("street").post("/api/v1/submissions", json=shop_body(places["township"]["building"], photo))
    assert reviewer.status_code == 403


def test_an_unknown_kind_or_a_non_object_body_is_a_clear_422(app, as_user):
    police = as_user("police")
    response = police.post("/api/v1/submissions", json={"id": str(uuid.uuid4()), "kind": "party"})
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "kind"
    response = police.post("/api/v1/submissions", json=[1, 2])
    assert response.status_code == 422


# --- the grid worker's binding ---------------------------------------------------------------------

def bind_body(address: str, code: str, **overrides) -> dict:
    return {"id": str(uuid.uuid4()), "kind": "binding", "address_code": address, "credit_code": code,
            "name": unique("襄阳市樊城区老王面馆"), **overrides}


def test_grid_worker_binds_the_shop_the_police_collected(app, as_user, places, photo):
    police, grid = as_user("police"), as_user("grid")
    shop = police.post("/api/v1/submissions", json=shop_body(places["grid"]["building"], photo)).json
    pack = grid.get("/api/v1/collect/pack").json
    waiting = [s for s in pack["shops"] if s["id"] == shop["id"]]
    assert waiting and waiting[0]["door_plate"] == places["grid"]["plate"]
    code = credit_code_for("92")
    response = grid.post("/api/v1/submissions", json=bind_body(places["grid"]["plate"], code, name=None,
                                                                shop=shop["id"]))
    assert response.status_code == 201, response.json
    assert response.json["status"] == "submitted" and response.json["step_label"] == "初审"
    assert response.json["data"]["name"] == shop["data"]["shop_name"]  # named after the shop
    pack = grid.get("/api/v1/collect/pack").json
    assert shop["id"] not in [s["id"] for s in pack["shops"]]  # a binding is on its way: no longer waiting
    assert not [o for o in pack["organisations"] if o[2] == code]  # bound only when approved
    assert approve_all_steps(as_user, response.json["id"])["status"] == "approved"
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.credit_code == code))
        assert org.name == shop["data"]["shop_name"] and org.kind == "individual"  # 92: 个体工商户
        assert org.active_binding.door_plate.object_code == places["grid"]["plate"]
    pack = grid.get("/api/v1/collect/pack").json
    assert [o for o in pack["organisations"] if o[2] == code][0][3] == places["grid"]["plate"]


def approved_room(app, client_id: str) -> str:
    """The object code of the room an approved shop's submission put on record."""
    with app.app_context():
        return db.session.scalar(select(Room.object_code).join(Submission, Submission.room_id == Room.id)
                                 .where(Submission.client_id == client_id))


def test_an_approved_shop_waits_for_its_binding_at_its_new_room(app, as_user, places, photo):
    """The grid worker may come after the shop was approved: it is still listed for binding, now at
    the room its approval made, and stays listed if a binding naming it is turned down."""
    police, grid = as_user("police"), as_user("grid")
    shop = police.post("/api/v1/submissions", json=shop_body(places["grid"]["building"], photo, room=unique("5"))).json
    assert approve_all_steps(as_user, shop["id"])["status"] == "approved"
    room_code = approved_room(app, shop["id"])
    [waiting] = [s for s in grid.get("/api/v1/collect/pack").json["shops"] if s["id"] == shop["id"]]
    assert (waiting["status"], waiting["status_label"], waiting["room_code"]) == ("approved", "已通过", room_code)

    binding = grid.post("/api/v1/submissions", json=bind_body(room_code, credit_code_for("92"), shop=shop["id"])).json
    assert shop["id"] not in [s["id"] for s in grid.get("/api/v1/collect/pack").json["shops"]]  # on its way
    item = as_user("admin").get(f"/api/v1/review/items/{binding['id']}").json
    turned_down = as_user(REVIEWER_OF_ROLE[item["step_role"]]).post(
        f"/api/v1/review/items/{binding['id']}/reject", json={"reason": "营业执照照片与门店不符"})
    assert turned_down.status_code == 200, turned_down.json
    assert shop["id"] in [s["id"] for s in grid.get("/api/v1/collect/pack").json["shops"]]  # waiting again

    code = credit_code_for("92")
    bound = grid.post("/api/v1/submissions", json=bind_body(room_code, code, shop=shop["id"])).json
    assert approve_all_steps(as_user, bound["id"])["status"] == "approved"
    pack = grid.get("/api/v1/collect/pack").json
    assert shop["id"] not in [s["id"] for s in pack["shops"]]
    assert [o[4] for o in pack["organisations"] if o[2] == code] == [room_code]  # bound at the shop's room


def test_a_shop_whose_room_an_office_bound_a_business_to_since_is_no_longer_listed(app, as_user, places, photo):
    police, grid, office = as_user("police"), as_user("grid"), as_user("admin")
    shop = police.post("/api/v1/submissions", json=shop_body(places["grid"]["building"], photo, room=unique("6"))).json
    approve_all_steps(as_user, shop["id"])
    room_code = approved_room(app, shop["id"])
    assert shop["id"] in [s["id"] for s in grid.get("/api/v1/collect/pack").json["shops"]]
    org = office.post("/api/v1/organisations", json={"name": shop["data"]["shop_name"], "kind": "individual",
                                                     "credit_code": credit_code_for("92"), "area_code": places["grid"]["area"]})
    assert org.status_code == 201, org.json
    assert office.post(f"/api/v1/organisations/{org.json['object_code']}/binding", json={"address_code": room_code}).status_code == 201
    assert shop["id"] not in [s["id"] for s in grid.get("/api/v1/collect/pack").json["shops"]]  # bound by the office

def test_a_bad_credit_code_names_the_field_and_the_check_character(app, as_user, places):
    code = credit_code_for("92")
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    response = as_user("grid").post("/api/v1/submissions", json=bind_body(places["grid"]["plate"], wrong))
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "credit_code"
    assert "第18位应为" in response.json["errors"][0]["message"]


def test_binding_elsewhere_asks_to_confirm_the_move_and_keeps_history(app, as_user, places):
    grid = as_user("grid")
    code = credit_code_for("91")
    first = grid.post("/api/v1/submissions", json=bind_body(places["grid"]["plate"], code))
    approve_all_steps(as_user, first.json["id"])
    room = places["grid"]["room"]
    refused = bind_body(room, code)
    response = grid.post("/api/v1/submissions", json=refused)
    assert response.status_code == 409 and response.json["code"] == "binding.already_bound"
    assert response.json["errors"][0]["field"] == "confirm_move"
    with app.app_context():  # nothing of the refused binding was kept, so it can be resent confirmed
        assert db.session.scalar(select(func.count()).select_from(Submission)
                                 .where(Submission.client_id == refused["id"])) == 0
    moved = grid.post("/api/v1/submissions", json=bind_body(room, code, confirm_move=True))
    assert moved.status_code == 201
    approve_all_steps(as_user, moved.json["id"])
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.credit_code == code))
        assert [(b.active, bool(b.room_id)) for b in org.bindings] == [(False, False), (True, True)]


def test_only_roles_that_bind_may_bind(app, as_user, places):
    response = as_user("collector").post("/api/v1/submissions",
                                         json=bind_body(places["grid"]["plate"], credit_code_for()))
    assert response.status_code == 403 and "actuals.write" in response.json["detail"]


def test_the_same_submission_sent_twice_at_once_is_stored_once(app, as_user, places, photo):
    police = [as_user("police"), as_user("police")]
    body = shop_body(places["township"]["building"], photo)
    results, barrier = [], threading.Barrier(2)

    def send(client):
        barrier.wait()
        results.append(client.post("/api/v1/submissions", json=body))

    threads = [threading.Thread(target=send, args=(c,)) for c in police]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [200, 201], [r.json for r in results]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)
                                 .where(Submission.client_id == body["id"])) == 1


# --- the pack and the inbox ----------------------------------------------------------------------

def test_the_pack_holds_the_jurisdiction_and_the_plate_tokens(app, as_user, places, monkeypatch):
    from app.accounts.models import User
    from app.plates.services import current_plate

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        token = current_plate(admin, places["grid"]["plate"])[0].token
    monkeypatch.setitem(app.config, "REVIEW_GPS_FAR_M", 350)
    grid = as_user("grid")
    response = grid.get("/api/v1/collect/pack")
    assert response.status_code == 200
    pack = response.json
    assert [token, places["grid"]["plate"]] in pack["plates"]
    assert pack["gps_far_m"] == 350  # the phone warns where review will flag the photo's position
    plate_codes = {p[0] for p in pack["door_plates"]}
    assert places["grid"]["plate"] in plate_codes and places["township"]["plate"] not in plate_codes
    building = [b for b in pack["buildings"] if b[0] == places["grid"]["building"]][0]
    assert building[1] == places["grid"]["plate"]
    assert all(str(p[3]) in pack["prefixes"] for p in pack["door_plates"])
    again = grid.get("/api/v1/collect/pack", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("accepts, coding", [("gzip, deflate, br, zstd", "zstd"), ("gzip, deflate, br", "br"),
                                             ("gzip", "gzip"), ("identity", None)])
def test_the_pack_travels_compressed_as_the_phone_accepts_and_is_not_sent_again_unchanged(
        as_user, places, photo, accepts, coding, monkeypatch):
    import gzip

    import brotli
    import flask_compress.flask_compress
    from backports import zstd

    grid = as_user("grid")
    plain = grid.get("/api/v1/collect/pack", headers={"Accept-Encoding": "identity"})
    response = grid.get("/api/v1/collect/pack", headers={"Accept-Encoding": accepts})
    assert response.status_code == 200 and response.headers.get("Content-Encoding") == coding
    assert "Accept-Encoding" in response.headers["Vary"]
    body = response.get_data()
    unpacked = {"zstd": zstd.decompress, "br": brotli.decompress, "gzip": gzip.decompress, None: bytes}[coding](body)
    assert unpacked == plain.get_data()
    if coding:
        assert len(body) < len(unpacked)
    etag = response.headers["ETag"]
    compressed = []
    compress_data = flask_compress.flask_compress._compress_data
    monkeypatch.setattr(flask_compress.flask_compress, "_compress_data",
                        lambda *args: compressed.append(args[2]) or compress_data(*args))
    again = grid.get("/api/v1/collect/pack", headers={"Accept-Encoding": accepts, "If-None-Match": etag})
    assert again.status_code == 304 and not again.get_data() and again.headers["ETag"] == etag
    assert compressed == []  # unchanged: answered before compressing it
    weakened = grid.get("/api/v1/collect/pack", headers={"Accept-Encoding": accepts, "If-None-Match": f"W/{etag}"})
    assert weakened.status_code == 304  # as a proxy may pass it on
    # A new shop at the grid worker's plate changes the pack: sent in full again, under another ETag.
    assert as_user("police").post("/api/v1/submissions", json=shop_body(places["grid"]["building"], photo)).status_code == 201
    changed = grid.get("/api/v1/collect/pack", headers={"Accept-Encoding": accepts, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert compressed == ([coding] if coding else [])


def test_a_pack_too_big_for_a_phone_asks_for_a_smaller_area(app, as_user, places, monkeypatch):
    monkeypatch.setitem(app.config, "PACK_MAX_BUILDINGS", 5)
    admin = as_user("admin")
    response = admin.get("/api/v1/collect/pack")
    assert response.status_code == 422 and response.json["code"] == "pack.too_large"
    monkeypatch.setitem(app.config, "PACK_MAX_BUILDINGS", 30000)
    assert admin.get(f"/api/v1/collect/pack?area={places['codes']['grid']}").status_code == 200
    outside = as_user("grid").get(f"/api/v1/collect/pack?area={places['codes']['township']}")
    assert outside.status_code == 422 and outside.json["errors"][0]["field"] == "area"


def test_the_inbox_lists_my_submissions_newest_first(app, as_user, places, photo):
    police = as_user("police")
    ids = [police.post("/api/v1/submissions", json=shop_body(places["township"]["building"], photo)).json["id"]
           for _ in range(2)]
    mine = police.get("/api/v1/submissions?limit=2").json
    assert [s["id"] for s in mine] == ids[::-1]
    assert all(s["id"] not in ids for s in as_user("grid").get("/api/v1/submissions").json)
