"""The grid worker answers a verification task from the field (confirmed, corrected with a new
submission, not found), once; overdue tasks are reminded of and escalated to the street office."""
from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.audit.models import AuditLog
from app.extensions import db
from app.lifecycle import utcnow
from app.tasks.models import Task
from tests.collect.test_collect import bind_body, jpeg, put_photo, shop_body
from tests.factories import credit_code_for, unique
from tests.review.test_review import make_user


@pytest.fixture()
def task(app, places):
    """A fresh plate-problem task at a door plate in the grid worker's grid; closed afterwards if the
    test left it open, so the grid worker's inbox in other tests is not filled with test tasks."""
    from app.places.addresses import find_by_code
    from app.tasks.services import open_task

    with app.app_context():
        made = open_task(None, "plate_problem", find_by_code(places["grid"]["plate"]), unique("门牌问题：门牌缺失"),
                         detail="门牌不见了")
        db.session.commit()
        task_id = made.id
        db.session.remove()
    yield task_id
    with app.app_context():
        db.session.execute(update(Task).where(Task.id == task_id, Task.status == "open")
                           .values(status="done", closed_at=utcnow()))
        db.session.commit()
        db.session.remove()


@pytest.fixture()
def grid_photo(as_user) -> str:
    data = jpeg(seed=int(uuid.uuid4()) % 256, size=(72, 54))
    assert put_photo(as_user("grid"), data).status_code in (200, 201)
    return hashlib.sha256(data).hexdigest()


def answer_body(outcome: str, **fields) -> dict:
    return {"id": str(uuid.uuid4()), "outcome": outcome, **fields}


def stored(app, task_id: int) -> dict:
    with app.app_context():
        t = db.session.get(Task, task_id)
        audit = db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "task",
                                                                 AuditLog.object_id == task_id)
                                   .order_by(AuditLog.id)).all()
        found = {"status": t.status, "result": t.result, "answer_id": t.answer_id, "reminded_at": t.reminded_at,
                 "escalated_at": t.escalated_at, "closed_by": t.closed_by.username if t.closed_by else None,
                 "audit": list(audit)}
        db.session.remove()
    return found


def open_task_ids(client) -> set[int]:
    listed = client.get("/api/v1/tasks")
    assert listed.status_code == 200, listed.json
    return {t["id"] for t in listed.json}


def fields_of(response) -> dict:
    return {e["field"]: e["message"] for e in response.json.get("errors", [])}


def test_grid_worker_confirms_a_task_with_a_photo_and_it_leaves_the_inbox(app, as_user, task, grid_photo):
    grid = as_user("grid")
    assert task in open_task_ids(grid)
    body = answer_body("confirmed", photos=[grid_photo], note="门牌完好", answered_at="2026-11-26T10:00:00+08:00",
                       position={"lon": 112.14, "lat": 32.04, "accuracy_m": 8})
    answered = grid.post(f"/api/v1/tasks/{task}/answer", json=body)
    assert answered.status_code == 200, answered.json
    assert answered.json["status"] == "done" and answered.json["outcome"] == "confirmed"
    assert answered.json["outcome_label"] == "核实无误" and answered.json["closed_at"]
    assert answered.json["result"]["photos"] == [grid_photo] and answered.json["result"]["note"] == "门牌完好"
    assert task not in open_task_ids(grid)
    row = stored(app, task)
    assert row["status"] == "done" and row["answer_id"] == body["id"] and row["closed_by"] == "grid"
    assert row["audit"] == ["task.open", "task.answer"]


def test_the_same_answer_sent_again_is_accepted_once_and_another_is_a_conflict(app, as_user, task, grid_photo):
    grid = as_user("grid")
    body = answer_body("confirmed", photos=[grid_photo])
    first = grid.post(f"/api/v1/tasks/{task}/answer", json=body)
    assert first.status_code == 200, first.json
    replay = grid.post(f"/api/v1/tasks/{task}/answer", json=body)  # the phone never heard the first answer
    assert replay.status_code == 200 and replay.json == first.json
    other = grid.post(f"/api/v1/tasks/{task}/answer",
                      json=answer_body("not_found", photos=[grid_photo], note="没找到"))
    assert other.status_code == 409 and other.json["code"] == "task.conflict"
    assert "演示grid" in other.json["detail"]  # who answered it
    same_id_other_body = grid.post(f"/api/v1/tasks/{task}/answer", json={**body, "note": "改了"})
    assert same_id_other_body.status_code == 409 and same_id_other_body.json["code"] == "task.conflict"
    not_an_object = grid.post(f"/api/v1/tasks/{task}/answer", json=[body])
    assert not_an_object.status_code == 422 and not_an_object.json["code"] == "validation.failed"
    row = stored(app, task)
    assert row["result"]["outcome"] == "confirmed" and row["audit"].count("task.answer") == 1


def test_an_answer_whose_photo_was_not_uploaded_names_the_photo(app, as_user, task, grid_photo):
    missing = hashlib.sha256(b"never uploaded " + uuid.uuid4().bytes).hexdigest()
    answered = as_user("grid").post(f"/api/v1/tasks/{task}/answer",
                                    json=answer_body("confirmed", photos=[grid_photo, missing]))
    assert answered.status_code == 422 and answered.json["code"] == "photo.missing"
    assert list(fields_of(answered)) == ["photos.1"]
    assert stored(app, task)["status"] == "open" and stored(app, task)["audit"] == ["task.open"]


@pytest.mark.parametrize("body, field, words", [
    (answer_body("confirmed"), "photos", "请拍一张现场照片"),
    (answer_body("not_found", photos=["0" * 64]), "note", "请说明现场情况"),
    (answer_body("corrected"), "submission", "请先在该地址提交一份新的采集"),
    (answer_body("maybe", photos=["0" * 64]), "outcome", None),
    ({"outcome": "confirmed", "photos": ["0" * 64]}, "id", None),
])
def test_an_incomplete_answer_says_what_is_missing_and_leaves_the_task_open(app, as_user, task, body, field, words):
    answered = as_user("grid").post(f"/api/v1/tasks/{task}/answer", json=body)
    assert answered.status_code == 422 and answered.json["code"] == "validation.failed", answered.json
    assert field in fields_of(answered)
    if words:
        assert words in fields_of(answered)[field]
    assert stored(app, task)["status"] == "open" and stored(app, task)["result"] is None


def test_a_correction_is_answered_with_the_workers_own_new_submission(app, as_user, task, places, grid_photo):
    grid, police = as_user("grid"), as_user("police")
    binding = grid.post("/api/v1/submissions", json=bind_body(places["grid"]["plate"], credit_code_for("92")))
    assert binding.status_code == 201, binding.json
    theirs = police.post("/api/v1/submissions", json=shop_body(places["grid"]["building"], grid_photo))
    assert theirs.status_code == 201, theirs.json
    for other in (theirs.json["id"], str(uuid.uuid4())):  # someone else's, or one never sent
        refused = grid.post(f"/api/v1/tasks/{task}/answer", json=answer_body("corrected", submission=other))
        assert refused.status_code == 422 and "submission" in fields_of(refused), refused.json
        assert stored(app, task)["status"] == "open"
    answered = grid.post(f"/api/v1/tasks/{task}/answer",
                         json=answer_body("corrected", submission=binding.json["id"], note="门牌号已更正"))
    assert answered.status_code == 200, answered.json
    assert answered.json["outcome"] == "corrected" and answered.json["outcome_label"] == "已更正（新采集）"
    assert answered.json["result"]["submission"] == binding.json["id"] and answered.json["result"]["photos"] == []


def test_a_grid_worker_of_another_grid_cannot_see_or_answer_the_task(app, as_user, task, places):
    other = make_user(as_user, "grid_worker", areas=[places["township"]["area"]])
    data = jpeg(seed=int(uuid.uuid4()) % 256, size=(70, 50))
    assert put_photo(other, data).status_code in (200, 201)
    assert task not in open_task_ids(other)
    answered = other.post(f"/api/v1/tasks/{task}/answer",
                          json=answer_body("confirmed", photos=[hashlib.sha256(data).hexdigest()]))
    assert answered.status_code == 404 and answered.json["code"] == "resource.not_found"
    missing = other.post("/api/v1/tasks/999999999/answer", json=answer_body("confirmed"))
    assert missing.status_code == 404
    assert stored(app, task)["status"] == "open" and stored(app, task)["audit"] == ["task.open"]


def set_due(app, task_id: int, due_at) -> None:
    with app.app_context():
        db.session.get(Task, task_id).due_at = due_at
        db.session.commit()
        db.session.remove()


def sweep(app) -> dict:
    from app.tasks.services import sweep as run

    with app.app_context():
        counts = run()
        db.session.remove()
    return counts


def test_a_task_due_soon_is_reminded_of_once(app, task):
    set_due(app, task, utcnow() + timedelta(hours=2))
    sweep(app)
    first = stored(app, task)
    assert first["reminded_at"] is not None and first["escalated_at"] is None
    assert first["audit"] == ["task.open", "task.remind"]
    sweep(app)
    again = stored(app, task)
    assert again["reminded_at"] == first["reminded_at"] and again["audit"] == first["audit"]


def test_an_overdue_task_is_escalated_once_and_the_street_office_lists_it(app, as_user, task):
    street = as_user("street")
    set_due(app, task, utcnow() - timedelta(hours=1))
    sweep(app)
    first = stored(app, task)
    assert first["escalated_at"] is not None and first["status"] == "open"
    assert first["audit"].count("task.escalate") == 1
    sweep(app)
    again = stored(app, task)
    assert again["escalated_at"] == first["escalated_at"] and again["audit"] == first["audit"]
    listed = street.get("/api/v1/tasks/all?overdue=true")
    assert listed.status_code == 200, listed.json
    [mine] = [t for t in listed.json if t["id"] == task]
    assert mine["overdue"] is True and mine["escalated_at"] and mine["status"] == "open"
    assert all(t["overdue"] for t in listed.json)
    with app.app_context():
        escalations = db.session.scalar(select(func.count(AuditLog.id)).where(
            AuditLog.action == "task.escalate", AuditLog.object_id == task, AuditLog.object_type == "task"))
        db.session.remove()
    assert escalations == 1
