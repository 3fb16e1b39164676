"""The review chain through the API: every default chain walked by the six levels, each in its own
jurisdiction; return and correct; approvals that meet changed master data; chains edited while items
are in flight; claims; bad input."""
from __future__ import annotations

import hashlib
import io
import threading
import uuid

import pytest
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from app.actuals.models import Organisation
from app.audit.models import AuditLog
from app.collect.models import Submission
from app.extensions import db
from app.places.models import Area, Building, Room
from tests.client import Client
from tests.collect.test_collect import bind_body, jpeg, put_photo, shop_body
from tests.factories import approve_all_steps, credit_code_for, unique
from tests.jobs.test_jobs import run_job


@pytest.fixture()
def photo(as_user):
    data = jpeg(seed=int(uuid.uuid4()) % 256, size=(80, 60))
    assert put_photo(as_user("police"), data).status_code in (200, 201)
    return hashlib.sha256(data).hexdigest()


def new_room_number() -> str:
    return str(9000 + int(unique("")) % 999)


def make_user(as_user, role: str, areas=(), objects=()) -> Client:
    name = unique(role.replace("_", "-"))
    made = as_user("admin").post("/api/v1/users", json={"username": name, "role": role, "password": "review-pass-1",
                                                        "area_codes": list(areas), "object_codes": list(objects)})
    assert made.status_code == 201, made.json
    return Client(as_user("admin").c.application.test_client()).sign_in(name, "review-pass-1")


def item(as_user, client_id: str) -> dict:
    return as_user("admin").get(f"/api/v1/review/items/{client_id}").json


def act(client, client_id: str, action: str, **body):
    return client.post(f"/api/v1/review/items/{client_id}/{action}", json=body)


def in_queue(client, client_id: str, **filters) -> bool:
    page = client.get("/api/v1/review/queue", query_string={"limit": 200, "sort": "newest", **filters})
    assert page.status_code == 200, page.json
    return client_id in [i["id"] for i in page.json["items"]]


# --- the default chains, level by level --------------------------------------------------------

def test_a_police_shop_goes_street_then_district_and_creates_its_room(app, as_user, places, photo):
    room = new_room_number()
    shop = as_user("police").post("/api/v1/submissions", json=shop_body(places["grid"]["building"], photo, room=room))
    assert shop.status_code == 201 and shop.json["status"] == "submitted" and shop.json["step_label"] == "初审"
    sid = shop.json["id"]
    street, district, city = as_user("street"), as_user("district"), as_user("city")
    assert in_queue(street, sid) and not in_queue(district, sid) and not in_queue(city, sid)
    refused = act(district, sid, "approve")  # sees it (its district), but it is not its step
    assert refused.status_code == 403 and refused.json["code"] == "review.not_your_step"
    assert act(street, sid, "approve").json["status"] == "in_review"
    assert not in_queue(street, sid) and in_queue(district, sid)
    done = act(district, sid, "approve")
    assert done.status_code == 200 and done.json["status"] == "approved"
    with app.app_context():
        made = db.session.scalar(select(Room).where(Room.number == room, Room.use == "shop"))
        assert made is not None and made.building.object_code == places["grid"]["building"]
        submission = db.session.scalar(select(Submission).where(Submission.client_id == sid))
        assert submission.room_id == made.id and submission.step_role is None
        actions = db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "submission",
                                                                   AuditLog.object_id == submission.id)
                                     .order_by(AuditLog.id)).all()
        assert actions == ["submission.shop", "review.approve", "review.approve"]
        assert db.session.scalar(select(AuditLog.action).where(AuditLog.object_type == "room",
                                                               AuditLog.object_id == made.id)) == "room.create"


def test_a_collector_shop_in_an_owned_building_goes_to_the_owning_unit_first(app, as_user, places, photo):
    collector = as_user("collector")  # operations unit: 420606
    shop = collector.post("/api/v1/submissions", json=shop_body(places["owned"]["building"], photo, room=new_room_number()))
    assert shop.status_code == 201, shop.json
    sid = shop.json["id"]
    assert item(as_user, sid)["step_role"] == "owner_reviewer"
    street, owner = as_user("street"), as_user("owner")
    assert in_queue(owner, sid) and not in_queue(street, sid)
    assert act(street, sid, "approve").json["code"] == "review.not_your_step"
    assert act(owner, sid, "approve").json["step_role"] == "district_reviewer"
    assert act(as_user("district"), sid, "approve").json["status"] == "approved"


def test_a_binding_in_an_area_with_its_own_chain_goes_to_the_city(app, as_user, places):
    admin, grid_area = as_user("admin"), places["codes"]["grid"]
    made = admin.put("/api/v1/review/chains", json={"kind": "binding", "area_code": grid_area, "steps": [
        {"label": "初审", "reviewer": "street_or_owner"}, {"label": "市级复审", "reviewer": "city"}]})
    assert made.status_code == 200 and made.json["area_code"] == grid_area
    try:
        code = credit_code_for("91")
        bound = as_user("grid").post("/api/v1/submissions", json=bind_body(places["grid"]["plate"], code))
        sid = bound.json["id"]
        assert act(as_user("street"), sid, "approve").json["step_role"] == "city_reviewer"
        assert not in_queue(as_user("district"), sid) and in_queue(as_user("city"), sid)
        assert act(as_user("district"), sid, "approve").json["code"] == "review.not_your_step"
        assert act(as_user("city"), sid, "approve").json["status"] == "approved"
        with app.app_context():
            org = db.session.scalar(select(Organisation).where(Organisation.credit_code == code))
            assert org.active_binding.door_plate.object_code == places["grid"]["plate"]
    finally:
        assert admin.put("/api/v1/review/chains", json={"kind": "binding", "area_code": grid_area,
                                                        "steps": []}).status_code == 204


def shop_in_a_development_zone_at_the_city(app, as_user, photo) -> str:
    """A collector's shop in 高新区紫贞街道 (run by the city), approved by its township: at the city."""
    with app.app_context():
        building = db.session.scalar(select(Building.object_code).join(Area, Building.area_id == Area.id)
                                     .where(Area.code.startswith("420606070")).order_by(Building.id))
    zone_street = make_user(as_user, "street_reviewer", areas=["420606070"])
    sid = as_user("collector").post("/api/v1/submissions", json=shop_body(building, photo, room=new_room_number())).json["id"]
    assert in_queue(zone_street, sid) and not in_queue(as_user("street"), sid)
    assert act(zone_street, sid, "approve").json["step_role"] == "city_reviewer"
    return sid


def test_a_shop_in_a_development_zone_goes_to_its_township_then_the_city(app, as_user, photo):
    sid = shop_in_a_development_zone_at_the_city(app, as_user, photo)
    assert not in_queue(as_user("district"), sid) and in_queue(as_user("city"), sid)
    assert act(as_user("city"), sid, "approve").json["status"] == "approved"


def test_the_defaults_are_written_once(app):
    from app.review.cli import defaults

    result = app.test_cli_runner().invoke(defaults)
    assert result.exit_code == 0 and "写入 0 条审核流程" in result.output  # the demo city wrote them already


def test_the_defaults_send_development_zones_to_the_city(app):
    from app.review.chains import chain_for

    with app.app_context():
        _, area_code, steps = chain_for("shop", "420606070001")  # 高新区紫贞街道
        assert area_code == "420606070" and steps[1]["reviewer"] == "city"
        assert chain_for("shop", "420606001001")[1] is None


def test_nobody_outside_the_jurisdiction_sees_or_acts(app, as_user, places, photo):
    sid = as_user("police").post("/api/v1/submissions", json=shop_body(places["grid"]["building"], photo,
                                                                       room=new_room_number())).json["id"]
    other_township = make_user(as_user, "street_reviewer", areas=[places["district"]["area"][:9]])
    other_district = make_user(as_user, "district_reviewer", areas=["420602"])
    other_owner = make_user(as_user, "owner_reviewer", objects=[places["district"]["building"]])
    for outsider in (other_township, other_district, other_owner):
        assert outsider.get(f"/api/v1/review/items/{sid}").status_code == 404
        assert not in_queue(outsider, sid)
        answer = act(outsider, sid, "approve")
        assert answer.status_code == 404 and answer.json["code"] == "resource.not_found"
    assert as_user("collector").get("/api/v1/review/queue").json["code"] == "auth.forbidden"  # collects, not reviews
    assert not in_queue(as_user("police"), sid)  # a reviewer of residents' reports, not of shops
    with app.app_context():
        assert db.session.scalar(select(Submission.status).where(Submission.client_id == sid)) == "submitted"


# --- return and correct ------------------------------------------------------------------------

def test_a_returned_shop_is_corrected_and_comes_back_to_the_step_that_returned_it(app, as_user, places, photo):
    police, street, district = as_user("police"), as_user("street"), as_user("district")
    body = shop_body(places["grid"]["building"], photo, room=new_room_number())
    sid = police.post("/api/v1/submissions", json=body).json["id"]
    act(street, sid, "approve")
    refused = act(district, sid, "return", comments={})
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "comments"
    returned = act(district, sid, "return", reason="房号有误", comments={"room": "招牌上是 102 室"})
    assert returned.json["status"] == "returned"
    mine = [s for s in police.get("/api/v1/submissions?status=returned").json if s["id"] == sid][0]
    assert mine["comments"] == {"room": "招牌上是 102 室"} and mine["reason"] == "房号有误" and mine["version"] == 1
    assert not in_queue(district, sid)

    stale = police.post("/api/v1/submissions", json={**body, "room": "102"})  # no revision: not a correction
    assert stale.status_code == 409 and stale.json["code"] == "submission.conflict"
    corrected = {**body, "room": "102", "revision": 1, "position": None}  # as from another phone
    answer = police.post("/api/v1/submissions", json=corrected)
    assert answer.status_code == 201, answer.json
    assert answer.json["status"] == "in_review" and answer.json["version"] == 2 and answer.json["comments"] is None
    assert police.post("/api/v1/submissions", json=corrected).status_code == 200  # a replay
    assert in_queue(district, sid) and not in_queue(street, sid)  # back at the second step
    assert act(district, sid, "approve", version=1).json["code"] == "conflict.version"  # reviewed the old one
    assert act(district, sid, "approve", version=2).json["status"] == "approved"
    corrected_item = item(as_user, sid)
    assert corrected_item["data"]["room"] == "102"
    assert (corrected_item["lon"], corrected_item["lat"]) == (body["position"]["lon"], body["position"]["lat"])


def test_only_the_collector_corrects_and_only_a_returned_submission(app, as_user, places, photo):
    police, street = as_user("police"), as_user("street")
    body = shop_body(places["grid"]["building"], photo, room=new_room_number())
    sid = police.post("/api/v1/submissions", json=body).json["id"]
    early = police.post("/api/v1/submissions", json={**body, "room": "103", "revision": 1})
    assert early.status_code == 409  # not returned
    act(street, sid, "return", comments={"shop_name": "请写招牌上的全称"})
    other = police.post("/api/v1/submissions", json={**body, "room": "103", "revision": 2})
    assert other.status_code == 409  # wrong revision
    bad = police.post("/api/v1/submissions", json={**body, "room": "", "revision": 1})
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "room"
    with app.app_context():  # the refused correction left it as it was
        s = db.session.scalar(select(Submission).where(Submission.client_id == sid))
        assert (s.status, s.version, s.data["room"]) == ("returned", 1, body["room"])


def test_a_correction_showing_a_photo_not_uploaded_names_it_and_changes_nothing(app, as_user, places, photo):
    police, street = as_user("police"), as_user("street")
    body = shop_body(places["grid"]["building"], photo, room=new_room_number())
    sid = police.post("/api/v1/submissions", json=body).json["id"]
    act(street, sid, "return", comments={"photos": "请补拍门头"})
    missing = "ab" * 32
    refused = police.post("/api/v1/submissions", json={**body, "photos": [photo, missing], "revision": 1})
    assert refused.status_code == 422 and refused.json["code"] == "photo.missing"
    assert refused.json["errors"][0]["field"] == "photos.1"
    with app.app_context():
        s = db.session.scalar(select(Submission).where(Submission.client_id == sid))
        assert (s.status, s.version, [link.photo_sha256 for link in s.photos]) == ("returned", 1, [photo])


# --- approvals meeting changed master data ---------------------------------------------------------

def test_an_approval_after_the_room_changed_is_a_conflict_until_rebased(app, as_user, places, photo):
    room_code = places["township"]["room"]
    with app.app_context():
        room = db.session.scalar(select(Room).where(Room.object_code == room_code))
        building, number, unit = room.building.object_code, room.number, room.unit.number if room.unit else None
    police, street, district = as_user("police"), as_user("street"), as_user("district")
    sid = police.post("/api/v1/submissions", json=shop_body(building, photo, room=number, unit=unit,
                                                            floor=1)).json["id"]
    act(street, sid, "approve")
    with app.app_context():  # someone changes the room meanwhile
        room = db.session.scalar(select(Room).where(Room.object_code == room_code))
        room.use, base_version = "office", room.version
        room.bump()
        db.session.commit()
    conflict = act(district, sid, "approve")
    assert conflict.status_code == 409 and conflict.json["code"] == "review.conflict"
    assert conflict.json["changes"]["room"]["base"]["version"] == base_version
    assert conflict.json["changes"]["room"]["current"]["version"] == base_version + 1
    assert item(as_user, sid)["status"] == "in_review"  # nothing was written
    assert act(district, sid, "rebase").status_code == 200
    assert act(district, sid, "approve").json["status"] == "approved"
    with app.app_context():
        room = db.session.scalar(select(Room).where(Room.object_code == room_code))
        assert room.use == "shop" and room.version == base_version + 2


def test_two_bindings_of_one_organisation_the_second_approval_meets_the_first(app, as_user, places):
    grid, code = as_user("grid"), credit_code_for("92")
    first = grid.post("/api/v1/submissions", json=bind_body(places["grid"]["plate"], code)).json["id"]
    second = grid.post("/api/v1/submissions", json=bind_body(places["grid"]["room"], code)).json["id"]
    act(as_user("street"), second, "approve")
    approve_all_steps(as_user, first)
    conflict = act(as_user("district"), second, "approve")
    assert conflict.status_code == 409 and conflict.json["code"] == "review.conflict"
    assert "已被他人登记" in conflict.json["detail"]
    act(as_user("district"), second, "rebase")
    assert act(as_user("district"), second, "approve").json["status"] == "approved"
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.credit_code == code))
        assert [(b.active, bool(b.room_id)) for b in org.bindings] == [(False, False), (True, True)]


def test_two_last_approvals_of_one_new_organisation_at_once_one_wins(app, as_user, places):
    """Each request in its own thread, connection and transaction (meaningful on PostgreSQL)."""
    grid, code = as_user("grid"), credit_code_for("92")
    ids = [grid.post("/api/v1/submissions", json=bind_body(target, code)).json["id"]
           for target in (places["grid"]["plate"], places["grid"]["room"])]
    for sid in ids:
        act(as_user("street"), sid, "approve")
    reviewers = [as_user("district"), make_user(as_user, "district_reviewer", areas=["420606"])]
    results, barrier = [], threading.Barrier(2)

    def approve(client, sid):
        barrier.wait()
        results.append(act(client, sid, "approve"))

    threads = [threading.Thread(target=approve, args=pair) for pair in zip(reviewers, ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [200, 409], [r.json for r in results]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Organisation)
                                 .where(Organisation.credit_code == code)) == 1
        statuses = sorted(db.session.scalars(select(Submission.status).where(Submission.client_id.in_(ids))))
        assert statuses == ["approved", "in_review"]


# --- chains, claims, bad input ---------------------------------------------------------------------

def test_a_chain_edited_while_items_are_in_flight_leaves_them_on_their_version(app, as_user, places, photo):
    police, street, admin = as_user("police"), as_user("street"), as_user("admin")
    before = police.post("/api/v1/submissions", json=shop_body(places["grid"]["building"], photo,
                                                               room=new_room_number())).json["id"]
    one_step = admin.put("/api/v1/review/chains", json={"kind": "shop", "steps": [{"reviewer": "street"}]})
    assert one_step.status_code == 200 and one_step.json["version"] >= 2
    assert one_step.json["steps"] == [{"label": "街道/乡镇初审", "reviewer": "street"}]
    try:
        after = police.post("/api/v1/submissions", json=shop_body(places["grid"]["building"], photo,
                                                                  room=new_room_number())).json["id"]
        assert act(street, after, "approve").json["status"] == "approved"  # one step now
        assert act(street, before, "approve").json["status"] == "in_review"  # two, as when it started
        assert act(as_user("district"), before, "approve").json["status"] == "approved"
    finally:
        admin.put("/api/v1/review/chains", json={"kind": "shop", "steps": [
            {"label": "初审", "reviewer": "street_or_owner"}, {"label": "复审", "reviewer": "district"}]})
    versions = [c["version"] for c in admin.get("/api/v1/review/chains").json if c["kind"] == "shop"
                and c["area_code"] is None]
    assert len(versions) == 1  # one active version per kind and area


def test_a_claimed_item_is_left_to_its_reviewer_until_the_claim_expires(app, as_user, places, photo):
    sid = as_user("police").post("/api/v1/submissions", json=shop_body(places["grid"]["building"], photo,
                                                                       room=new_room_number())).json["id"]
    street, colleague = as_user("street"), make_user(as_user, "street_reviewer", areas=[places["codes"]["township"]])
    claimed = act(street, sid, "claim")
    assert claimed.status_code == 200 and claimed.json["claimed_until"]
    taken = act(colleague, sid, "approve")
    assert taken.status_code == 409 and taken.json["code"] == "review.claimed"
    with app.app_context():  # fifteen minutes later
        from datetime import timedelta

        from app.lifecycle import utcnow
        s = db.session.scalar(select(Submission).where(Submission.client_id == sid))
        s.claimed_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert act(colleague, sid, "approve").json["status"] == "in_review"


@pytest.mark.parametrize("action, body, field", [
    ("reject", {}, "reason"), ("reject", {"reason": "   "}, "reason"), ("return", {"comments": {"room": " "}}, "comments"),
    ("approve", {"version": "x"}, "version"), ("approve", {"extra": 1}, "extra"),
])
def test_bad_decisions_name_the_field(app, as_user, places, photo, action, body, field):
    sid = as_user("police").post("/api/v1/submissions", json=shop_body(places["grid"]["building"], photo,
                                                                       room=new_room_number())).json["id"]
    answer = act(as_user("street"), sid, action, **body)
    assert answer.status_code == 422 and answer.json["errors"][0]["field"] == field
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert item(as_user, sid)["status"] == "submitted"


def test_a_rejected_item_is_final_and_says_why(app, as_user, places, photo):
    police, street = as_user("police"), as_user("street")
    sid = police.post("/api/v1/submissions", json=shop_body(places["grid"]["building"], photo,
                                                            room=new_room_number())).json["id"]
    assert act(street, sid, "reject", reason="照片不是门店").json["status"] == "rejected"
    again = act(street, sid, "approve")
    assert again.status_code == 409 and again.json["code"] == "state.not_allowed"
    mine = [s for s in police.get("/api/v1/submissions").json if s["id"] == sid][0]
    assert mine["status_label"] == "未通过" and mine["reason"] == "照片不是门店"


@pytest.mark.parametrize("body, field", [
    ({"kind": "shop", "steps": [{"reviewer": "mayor"}]}, "steps.0.reviewer"),
    ({"kind": "shop", "steps": []}, "steps"),
    ({"kind": "parcel", "steps": [{"reviewer": "street"}]}, "kind"),
    ({"kind": "shop", "area_code": "9999", "steps": [{"reviewer": "street"}]}, "area_code"),
    ({"kind": "shop", "steps": [{"reviewer": "street"}] * 7}, "steps"),
])
def test_bad_chains_name_the_field(app, as_user, body, field):
    answer = as_user("admin").put("/api/v1/review/chains", json=body)
    assert answer.status_code == 422 and answer.json["errors"][0]["field"] == field, answer.json


def test_only_admins_edit_chains_and_the_queue_refuses_a_bad_cursor(app, as_user):
    refused = as_user("district").put("/api/v1/review/chains", json={"kind": "shop", "steps": [{"reviewer": "street"}]})
    assert refused.status_code == 403
    bad = as_user("street").get("/api/v1/review/queue?cursor=bm90LWEtY3Vyc29y")
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "cursor"


# --- the queue, bulk approval, export, overview ------------------------------------------------------

def test_the_queue_pages_by_cursor_filters_and_counts(app, as_user, places, photo):
    police, street = as_user("police"), as_user("street")
    ids = [police.post("/api/v1/submissions", json=shop_body(places["grid"]["building"], photo,
                                                             room=new_room_number())).json["id"] for _ in range(3)]
    seen, cursor = [], None
    while True:
        page = street.get("/api/v1/review/queue", query_string={"limit": 2, **({"cursor": cursor} if cursor else {})}).json
        seen += [i["id"] for i in page["items"]]
        cursor = page["next"]
        if not cursor:
            break
    assert all(i in seen for i in ids) and len(seen) == len(set(seen)) == page["counts"]["total"]
    only = street.get("/api/v1/review/queue", query_string={"collector": "police", "kind": "binding"}).json
    assert all(i["kind"] == "binding" for i in only["items"]) and only["counts"]["total"] == only["counts"]["kinds"]["binding"]
    aged = street.get("/api/v1/review/queue", query_string={"age_days": 1}).json
    assert not set(ids) & {i["id"] for i in aged["items"]}
    nowhere = street.get("/api/v1/review/queue", query_string={"area": "420602"}).json
    assert nowhere["items"] == [] and nowhere["counts"]["total"] == 0


def test_a_jurisdiction_of_very_many_areas_gets_the_same_queue(app, as_user, photo, monkeypatch):
    from app.review import services

    sid = shop_in_a_development_zone_at_the_city(app, as_user, photo)
    city = as_user("city")
    listed = city.get("/api/v1/review/queue", query_string={"limit": 200}).json
    assert sid in [i["id"] for i in listed["items"]]
    monkeypatch.setattr(services, "AREA_LIST_MAX", 10)  # the city has thousands of areas: the subquery
    assert city.get("/api/v1/review/queue", query_string={"limit": 200}).json == listed


def test_bulk_approval_dry_run_names_what_would_fail_then_the_job_approves_the_rest(app, as_user, places, photo):
    from app.jobs.models import Job

    police, street = as_user("police"), as_user("street")
    collector = make_user(as_user, "police", areas=[places["codes"]["township"]])
    ids = [collector.post("/api/v1/submissions", json=shop_body(places["grid"]["building"], photo,
                                                                room=new_room_number())).json["id"] for _ in range(3)]
    colleague = make_user(as_user, "street_reviewer", areas=[places["codes"]["township"]])
    act(colleague, ids[0], "claim")
    name = collector.get("/api/v1/session").json["user"]["username"]
    plan = street.post("/api/v1/review/bulk-approve", json={"filter": {"collector": name}})
    assert plan.status_code == 200 and plan.json["count"] == 3 and plan.json["ok"] == 2
    assert plan.json["failures"] == [{"id": ids[0], "address_text": item(as_user, ids[0])["address_text"],
                                      "reason": "已被其他审核人领取"}]
    assert {item(as_user, i)["status"] for i in ids} == {"submitted"}  # the dry run wrote nothing
    late = collector.post("/api/v1/submissions", json=shop_body(places["grid"]["building"], photo,
                                                                room=new_room_number())).json["id"]
    started = street.post("/api/v1/review/bulk-approve", json={"filter": plan.json["filter"], "dry_run": False})
    assert started.status_code == 202
    job = run_job(app, street, started.json["id"])
    assert job["status"] == "done" and job["done"] == 3, job
    assert "已通过 2 条" in job["message"] and "1 条未通过" in job["message"]
    assert job["download"] is None  # nothing to download: the result is the message
    assert street.get(f"/api/v1/jobs/{job['id']}/download").status_code == 404
    page = street.get(f"/jobs/{job['id']}").get_data(as_text=True)
    assert f"街道/乡镇初审队列：采集人 {name}" in page
    assert [item(as_user, i)["status"] for i in ids] == ["submitted", "in_review", "in_review"]
    assert item(as_user, late)["status"] == "submitted"  # arrived after the dry run: not in what it showed
    with app.app_context():
        assert db.session.get(Job, job["id"]).kind == "review_bulk_approve"
    del police


def test_the_queue_exports_to_excel(app, as_user, places, photo):
    from openpyxl import load_workbook

    sid = as_user("police").post("/api/v1/submissions", json=shop_body(places["grid"]["building"], photo,
                                                                       room=new_room_number())).json["id"]
    street = as_user("street")
    started = street.post("/api/v1/review/export", json={"filter": {"kind": "shop"}})
    assert started.status_code == 202
    job = run_job(app, street, started.json["id"])
    assert job["status"] == "done", job
    download = street.get(job["download"])
    sheet = load_workbook(io.BytesIO(download.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("提交编号", "类型", "状态")
    assert sid in [r[0] for r in rows] and all(r[1] == "门店采集" for r in rows[1:])


def test_the_queue_export_writes_shop_names_typed_as_formulas_as_text(app, as_user, places, photo):
    from tests.test_spreadsheets import FORMULAS, assert_inert

    typed = FORMULAS[:5]  # what a form or the API takes as a name

    police = as_user("police")
    for name in typed:
        answer = police.post("/api/v1/submissions", json=shop_body(places["grid"]["building"], photo,
                                                                   room=new_room_number(), shop_name=name))
        assert answer.status_code == 201, answer.json
    street = as_user("street")
    job = run_job(app, street, street.post("/api/v1/review/export", json={"filter": {"kind": "shop"}}).json["id"])
    assert job["status"] == "done", job

    assert_inert(street.get(job["download"]).data, typed)


def test_the_overview_counts_the_backlog_per_step(app, as_user, places, photo):
    from app.accounts.models import User
    from app.review.services import overview

    sid = as_user("police").post("/api/v1/submissions", json=shop_body(places["grid"]["building"], photo,
                                                                      room=new_room_number())).json["id"]
    with app.app_context():
        street = db.session.scalar(select(User).where(User.username == "street"))
        before = overview(street)["days"]
        # Half past midnight today in Xiangyang is 16:30 UTC yesterday: it counts for today there.
        zone = ZoneInfo(app.config["TIMEZONE"])
        early = datetime.combine(datetime.now(zone).date(), time(0, 30), zone)
        db.session.execute(update(Submission).where(Submission.client_id == sid).values(
            received_at=early.astimezone(timezone.utc)))
        db.session.commit()
        seen = overview(street)
        assert seen["days"][-1]["day"] == early.strftime("%m-%d")
        assert seen["days"][-1]["received"] == before[-1]["received"]  # moved within today
        assert seen["days"][-2]["received"] == before[-2]["received"]
        waiting = db.session.scalar(select(func.count()).select_from(Submission).where(
            Submission.step_role == "street_reviewer", street.jurisdiction.clause(Submission)))
        assert {b["role"]: b["count"] for b in seen["backlog"]}["street_reviewer"] == waiting
        assert seen["oldest"] is not None and len(seen["days"]) == 14 and seen["days"][-1]["received"] >= 1
