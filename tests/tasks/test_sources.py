"""Where tasks come from besides plate problems and registers: a reviewer's finding; and the web
list where street offices see what is overdue and escalated to them."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.lifecycle import utcnow
from app.tasks import services as tasks
from app.tasks.models import Task
from tests.review.test_pages import desk, send, shop, text  # noqa: F401  (fixtures)


def test_a_reviewer_sends_a_finding_to_the_grid_worker(app, as_user, shop, desk):  # noqa: F811
    client_id = shop()
    street = as_user("street")
    short = street.post(f"/api/v1/review/items/{client_id}/task", json={"note": "x"})
    assert short.status_code == 422 and short.json["errors"][0]["field"] == "note"
    assert as_user("collector").post(f"/api/v1/review/items/{client_id}/task", json={"note": "请核实门头"}).status_code == 403
    made = street.post(f"/api/v1/review/items/{client_id}/task", json={"note": "照片门头与登记名称不符，请核实实际经营单位"})
    assert made.status_code == 201, made.json
    assert made.json["kind"] == "review" and made.json["title"].startswith("审核发现：照片门头")
    inbox = as_user("grid").get("/api/v1/tasks").json
    assert made.json["id"] in {t["id"] for t in inbox}
    # The item page's form does the same, and says when the grid worker is due.
    page = desk("street")
    answer = send(page, f"/review/items/{client_id}/task", note="再核实一次营业执照")
    assert answer.status_code == 302
    assert "已派发现场核查" in text(page.get(answer.headers["Location"]))


def test_overdue_tasks_are_escalated_and_listed_for_the_street_office(app, as_user, shop, desk):  # noqa: F811
    client_id = shop()
    task_id = as_user("street").post(f"/api/v1/review/items/{client_id}/task", json={"note": "逾期测试：请核实"}).json["id"]
    with app.app_context():
        db.session.execute(update(Task).where(Task.id == task_id).values(due_at=utcnow() - timedelta(days=1)))
        db.session.commit()
        counts = tasks.sweep()
        assert counts["escalate"] >= 1
        assert db.session.get(Task, task_id).escalated_at is not None
        assert tasks.sweep()["escalate"] == 0  # once
    page = text(desk("street").get("/tasks/?overdue=1"))
    assert "逾期测试：请核实" in page and "已逾期·已上报" in page
    assert "逾期测试" not in text(desk("street").get("/tasks/?status=done"))
    with app.app_context():
        assert db.session.scalar(select(Task.status).where(Task.id == task_id)) == "open"


def test_an_answer_id_used_for_another_task_is_a_conflict_not_a_500(app, as_user, shop):  # noqa: F811
    import hashlib
    import uuid

    from tests.collect.test_collect import jpeg, put_photo

    street, grid = as_user("street"), as_user("grid")
    first, second = (street.post(f"/api/v1/review/items/{shop()}/task", json={"note": f"编号测试{i}"}).json["id"]
                     for i in range(2))
    photo = jpeg(77)
    put_photo(grid, photo)
    body = {"id": str(uuid.uuid4()), "outcome": "confirmed", "photos": [hashlib.sha256(photo).hexdigest()]}
    assert grid.post(f"/api/v1/tasks/{first}/answer", json=body).status_code == 200
    reused = grid.post(f"/api/v1/tasks/{second}/answer", json=body)
    assert reused.status_code == 409 and reused.json["code"] == "task.conflict"
    with app.app_context():
        assert db.session.get(Task, second).status == "open"


def test_the_street_office_answers_a_task_without_a_place_at_its_desk(app, as_user, desk):  # noqa: F811
    import io
    import re

    from tests.collect.test_collect import jpeg

    from app.accounts.models import User

    with app.app_context():  # a task the street office's own township gets: no door plate is known
        township = db.session.scalar(select(User).where(User.username == "street")).areas[0].area
        task_id = tasks.open_task(None, "register", None, "部门比对：地址在标准地址库中不存在", "桌面答复测试",
                                  area=township, text="襄阳市樊城区没有这条路3号").id
        db.session.commit()
    page = desk("street")
    listing = text(page.get("/tasks/?status=open"))
    assert "桌面答复测试" in listing and "地点不明，由街道/乡镇核查" in listing
    token = re.search(r'name="csrf_token" value="([^"]+)"', listing).group(1)
    missing = page.post(f"/tasks/{task_id}/answer", data={"csrf_token": token, "outcome": "not_found", "note": "经查无此路"})
    assert missing.status_code == 422 and "现场照片" in text(missing) and "请拍一张现场照片" in text(missing)
    done = page.post(f"/tasks/{task_id}/answer", data={"csrf_token": token, "outcome": "not_found", "note": "经查无此路",
                                                       "photo": (io.BytesIO(jpeg(55)), "site.jpg")},
                     content_type="multipart/form-data")
    assert done.status_code == 302
    with app.app_context():
        result = db.session.get(Task, task_id).result
    assert result["outcome"] == "not_found" and len(result["photos"]) == 1
    # Whoever sees the task sees its answer's photo: the department reading its report, say.
    assert as_user("city").get(f"/api/v1/photos/{result['photos'][0]}").status_code == 200
    assert as_user("grid").get(f"/api/v1/photos/{result['photos'][0]}").status_code == 404  # not the grid's task
