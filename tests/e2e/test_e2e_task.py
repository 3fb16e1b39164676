"""A verification task in the grid worker's field app: opened from the inbox, answered on site with
no signal (现场未找到, a note and a photo), kept through a reload, uploaded when the signal returns;
and answered as corrected by binding the business at the task's address, the answer following the
binding through the outbox."""
from __future__ import annotations

import hashlib
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.collect.test_collect import jpeg, put_photo
from tests.e2e.test_e2e_field import photos_on_phone, submissions
from tests.e2e.test_e2e_plates import PHONE, _fits_the_screen
from tests.factories import credit_code_for, unique

pytestmark = pytest.mark.e2e


def open_task(app, places, title: str, detail: str) -> int:
    """A plate-problem task at the door plate in the grid worker's grid, as approving a report opens it."""
    from app.extensions import db
    from app.places.addresses import find_by_code
    from app.tasks.services import open_task as open_one

    with app.app_context():
        task = open_one(None, "plate_problem", find_by_code(places["grid"]["plate"]), title, detail=detail)
        db.session.commit()
        found = task.id
        db.session.remove()
    return found


def task_row(app, task_id: int) -> dict:
    from app.accounts.models import User
    from app.collect.models import Photo, Submission
    from app.extensions import db
    from app.tasks.models import Task

    with app.app_context():
        task = db.session.get(Task, task_id)
        result = task.result or {}
        row = {"status": task.status, "outcome": task.outcome, "note": result.get("note"),
               "photos": [sha for sha in result.get("photos", []) if db.session.get(Photo, sha)],
               "closed_by": task.closed_by.username if task.closed_by else None, "submission": None}
        if result.get("submission"):
            s = db.session.scalar(db.select(Submission).where(Submission.client_id == result["submission"]))
            row["submission"] = {"id": s.client_id, "kind": s.kind, "collector": db.session.get(User, s.collector_id).username,
                                 "credit_code": s.data.get("credit_code")}
        db.session.remove()
    return row


@pytest.fixture()
def grid_phone(new_page):
    """The grid worker's phone with the field app open, its service worker in control (so the app
    opens with no network) and its inbox fetched once."""
    page = new_page("grid", **PHONE)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto("/app/")
    expect(page.locator("#pack-status")).to_contain_text("个门牌")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    return page


def task_opened_on_phone(app, places, grid, title: str, detail: str) -> tuple[int, object]:
    """A new task, its row in the grid worker's inbox (the inbox is then kept on the phone), and 核查
    pressed on it: (task id, the row)."""
    task_id = open_task(app, places, title, detail)
    grid.goto("/app/#/inbox")
    row = grid.locator(f"#tasks li[data-task='{task_id}']")
    row.locator("[data-task-open]").click()
    expect(grid.locator("#task-address")).to_be_visible()
    return task_id, row


def test_a_task_answered_offline_as_not_found_uploads_when_the_signal_returns(app, places, grid_phone, screenshot):
    title, detail = unique("门牌问题：门牌缺失"), unique("居民反映门牌不见了")
    grid = grid_phone
    task_id, row = task_opened_on_phone(app, places, grid, title, detail)
    expect(grid.locator("#task-detail")).to_have_text(detail)
    expect(grid.locator("h1")).to_have_text(title)
    expect(grid.locator("#task-address")).not_to_be_empty()
    expect(grid.locator("#task-scan")).to_have_text("扫码核对")
    _fits_the_screen(grid)
    screenshot(grid, "task-phone", full_page=False)

    grid.context.set_offline(True)  # at the address, no signal
    grid.click("#answer-submit")
    expect(grid.locator("#outcome-error")).to_have_text("请选择核查结果")
    grid.check("input[name=outcome][value=not_found]")
    grid.click("#answer-submit")
    expect(grid.locator("#photos-error")).to_contain_text("请拍一张现场照片")
    expect(grid.locator("#note-error")).to_contain_text("请说明现场情况")
    note = unique("现场无此门牌，邻居说已拆除")
    grid.fill("[name=note]", note)
    expect(grid.locator("#note-error")).to_have_text("")
    grid.set_input_files("#task-photo-input", {"name": "site.jpg", "mimeType": "image/jpeg",
                                               "buffer": jpeg(seed=77, size=(1200, 900))})
    expect(grid.locator("#task-photos img")).to_have_count(1)
    grid.locator("#task-photos").get_by_role("button", name="删除这张").click()  # blurred: taken again
    expect(grid.locator("#task-photos img")).to_have_count(0)
    expect(grid.locator("label.file-button")).to_have_text("拍现场照片")
    grid.set_input_files("#task-photo-input", {"name": "site.jpg", "mimeType": "image/jpeg",
                                               "buffer": jpeg(seed=79, size=(1200, 900))})
    expect(grid.locator("#task-photos img")).to_have_count(1)
    expect(grid.locator("label.file-button")).to_have_text("再拍一张")
    expect(grid.locator("#photos-error")).to_have_text("")
    _fits_the_screen(grid)
    grid.evaluate("window.scrollTo(0, 0)")
    screenshot(grid, "task-answer-phone")
    grid.click("#answer-submit")
    expect(grid.locator("#task-state")).to_have_text("已保存，待上传")
    expect(grid.locator("#task-outcome")).to_have_text("现场未找到")
    screenshot(grid, "task-answer-saved-phone", full_page=False)

    grid.goto("/app/#/inbox")
    expect(row.locator("[data-answer]")).to_have_text("答复待上传")
    expect(row.locator("[data-task-open]")).to_have_count(0)
    row.scroll_into_view_if_needed()
    screenshot(grid, "task-inbox-waiting-phone", full_page=False)
    grid.reload()  # the app was closed before the signal came back
    expect(row.locator("[data-answer]")).to_have_text("答复待上传")
    expect(grid.locator("#badge b")).to_have_text("1")
    grid.goto("/app/#/outbox")
    expect(grid.locator("#outbox li").first).to_contain_text(f"核查答复：{title}")
    assert task_row(app, task_id)["status"] == "open"

    grid.goto(f"/app/#/task/{task_id}")
    expect(grid.locator("#task-state")).to_have_text("已保存，待上传")
    grid.context.set_offline(False)  # the outbox sends it by itself
    expect(grid.locator("#task-state")).to_have_text("已上传")
    done = task_row(app, task_id)
    assert done["status"] == "done" and done["outcome"] == "not_found" and done["note"] == note
    assert len(done["photos"]) == 1 and done["closed_by"] == "grid"
    grid.goto("/app/#/inbox")
    expect(grid.locator("#inbox, #tasks").first).to_be_visible()
    expect(row).to_have_count(0)  # the server lists only open tasks
    assert not grid.errors


def test_a_task_answered_as_corrected_by_binding_the_business_at_its_address(app, places, grid_phone, screenshot):
    title, grid = unique("门牌问题：门店已换"), grid_phone
    task_id, _ = task_opened_on_phone(app, places, grid, title, "门店名称与登记不符")
    grid.check("input[name=outcome][value=corrected]")
    expect(grid.locator("#answer-submit")).to_be_hidden()
    grid.fill("[name=note]", "原门店已关闭，新开一家")
    grid.evaluate("window.scrollTo(0, 0)")
    screenshot(grid, "task-corrected-phone")
    grid.click("#go-correct")
    expect(grid.locator("#task-match")).to_contain_text("就是任务所在的门牌")
    _fits_the_screen(grid)
    screenshot(grid, "task-site-phone", full_page=False)
    grid.click("#bind-other")
    code = credit_code_for("92")
    grid.fill("[name=credit_code]", code)
    grid.fill("[name=name]", unique("襄阳市樊城区新开副食店"))
    grid.context.set_offline(True)  # bound where there is no signal: both wait, the answer after the binding
    grid.click("#bind")
    grid.wait_for_url(re.compile(rf"#/task/{task_id}$"))
    expect(grid.locator("#task-state")).to_have_text("已保存，待上传")
    expect(grid.locator("#task-note")).to_contain_text("在更正的采集上传之后")
    expect(grid.locator("#task-outcome")).to_have_text("已更正（新采集）")
    grid.goto("/app/#/outbox")
    expect(grid.locator("#outbox li")).to_have_count(2)
    expect(grid.locator("#outbox li").first).to_contain_text(f"核查答复：{title}")  # newest first
    grid.context.set_offline(False)
    expect(grid.locator("#outbox li .chip")).to_have_text(["已上传", "已上传"])
    done = task_row(app, task_id)
    assert done["status"] == "done" and done["outcome"] == "corrected" and done["note"] == "原门店已关闭，新开一家"
    assert done["submission"]["kind"] == "binding" and done["submission"]["collector"] == "grid"
    assert done["submission"]["credit_code"] == code
    binding_id = grid.locator("#outbox li").nth(1).get_attribute("data-id")
    assert done["submission"]["id"] == binding_id
    assert not grid.errors


def test_a_shop_changed_before_it_went_takes_its_tasks_answer_back_with_it(app, places, grid_phone, tmp_path):
    """A task answered by collecting a shop, with no signal; 修改 on the shop brings back its answer's
    note too, and what arrives is the changed shop and the answer naming it."""
    title, grid = unique("门牌问题：店名有误"), grid_phone
    task_id, _ = task_opened_on_phone(app, places, grid, title, "店名与招牌不符")
    grid.check("input[name=outcome][value=corrected]")
    grid.fill("[name=note]", "招牌已换")
    grid.click("#go-correct")
    grid.context.set_offline(True)
    grid.click("#collect")
    (photo := tmp_path / "shop.jpg").write_bytes(jpeg(7, (800, 600)))
    grid.set_input_files("#photo-input", str(photo))
    expect(grid.locator("#photos img")).to_have_count(1)
    grid.click("#next")
    grid.locator("#own-buildings [data-building]").first.click()
    wrong, right = unique("旧招牌店"), unique("新招牌店")
    grid.fill("[name=room]", "9")
    grid.fill("[name=shop_name]", wrong)
    grid.select_option("[name=business_kind]", "retail")
    grid.click("#next")
    grid.click("#submit")
    grid.wait_for_url(re.compile(rf"#/task/{task_id}$"))
    grid.goto("/app/#/outbox")
    expect(grid.locator("#outbox li.item")).to_have_count(2)
    expect(grid.locator("#outbox li.item[data-state=queued] .change")).to_have_count(1)  # the shop, not the answer
    expect(grid.locator("#outbox li.item .delete")).to_have_count(1)  # the answer: its shop is waited on
    expect(grid.locator("#outbox li.item").first.locator(".delete")).to_be_visible()  # newest first: the answer
    expect(grid.locator("#outbox li.item").nth(1).locator(".awaited")).to_have_text(
        "核查答复在等这条上传：要删除这条，请先删除那条答复。")  # why the shop has none
    grid.locator("#outbox .change").click()
    expect(grid.locator("[name=shop_name]")).to_have_value(wrong)
    grid.fill("[name=shop_name]", right)
    grid.click("#next")
    grid.click("#submit")
    grid.wait_for_url(re.compile(rf"#/task/{task_id}$"))  # still the task's correction
    grid.goto("/app/#/outbox")
    expect(grid.locator("#outbox li.item")).to_have_count(2)
    grid.context.set_offline(False)
    expect(grid.locator("#outbox li .chip")).to_have_text(["已上传", "已上传"])
    done = task_row(app, task_id)
    assert done["status"] == "done" and done["outcome"] == "corrected" and done["note"] == "招牌已换"
    shop_id = grid.locator("#outbox li").nth(1).get_attribute("data-id")
    assert done["submission"]["id"] == shop_id and done["submission"]["kind"] == "shop"
    [row] = submissions(app, shop_id)
    assert row["data"]["shop_name"] == right and len(row["photos"]) == 1
    assert not grid.errors


def test_a_binding_changed_before_it_went_keeps_its_tasks_answer_following_it(app, places, grid_phone):
    """A task answered by binding a business, with no signal; 修改 on the binding (the name mistyped):
    the answer waits on the changed binding and names it on the server."""
    title, grid = unique("门牌问题：单位名称"), grid_phone
    task_id, _ = task_opened_on_phone(app, places, grid, title, "单位名称有误")
    grid.check("input[name=outcome][value=corrected]")
    grid.fill("[name=note]", "按执照更正")
    grid.click("#go-correct")
    grid.click("#bind-other")
    code, wrong, right = credit_code_for("92"), unique("襄阳市樊城区错名店"), unique("襄阳市樊城区正名店")
    grid.fill("[name=credit_code]", code)
    grid.fill("[name=name]", wrong)
    grid.context.set_offline(True)
    grid.click("#bind")
    grid.wait_for_url(re.compile(rf"#/task/{task_id}$"))
    grid.goto("/app/#/outbox")
    expect(grid.locator("#outbox li.item")).to_have_count(2)
    expect(grid.locator("#outbox li.item .change")).to_have_count(1)  # the binding, not the answer
    grid.locator("#outbox .change").click()
    expect(grid.locator("[name=name]")).to_have_value(wrong)
    grid.fill("[name=name]", right)
    grid.click("#bind")
    grid.wait_for_url(re.compile(rf"#/task/{task_id}$"))  # still the task's correction
    expect(grid.locator("#task-state")).to_have_text("已保存，待上传")
    grid.goto("/app/#/outbox")
    expect(grid.locator("#outbox li.item")).to_have_count(2)
    expect(grid.locator("#outbox li").first).to_contain_text(f"核查答复：{title}")  # still after its binding
    grid.context.set_offline(False)
    expect(grid.locator("#outbox li .chip")).to_have_text(["已上传", "已上传"])
    binding_id = grid.locator("#outbox li").nth(1).get_attribute("data-id")
    done = task_row(app, task_id)
    assert done["status"] == "done" and done["outcome"] == "corrected" and done["note"] == "按执照更正"
    assert done["submission"]["id"] == binding_id and done["submission"]["kind"] == "binding"
    [row] = submissions(app, binding_id)
    assert row["data"]["name"] == right
    assert not grid.errors


def test_a_task_someone_else_answered_meanwhile_is_refused_with_the_servers_reason(app, places, grid_phone, as_user):
    grid = grid_phone
    task_id, _ = task_opened_on_phone(app, places, grid, unique("门牌问题：门牌歪斜"), "门牌歪了")
    grid.check("input[name=outcome][value=confirmed]")
    grid.set_input_files("#task-photo-input", {"name": "site.jpg", "mimeType": "image/jpeg", "buffer": jpeg(seed=78)})
    expect(grid.locator("#task-photos img")).to_have_count(1)
    office = as_user("grid")  # answered from another phone of the grid a moment before
    photo = jpeg(seed=79, size=(50, 40))
    assert put_photo(office, photo).status_code in (200, 201)
    first = office.post(f"/api/v1/tasks/{task_id}/answer", json={
        "id": str(uuid.uuid4()), "outcome": "confirmed", "photos": [hashlib.sha256(photo).hexdigest()]})
    assert first.status_code == 200, first.json
    grid.click("#answer-submit")
    expect(grid.locator("#task-state")).to_have_text("未被接收，需要处理")
    expect(grid.locator("#task-error")).to_contain_text("无需再答复")
    grid.goto("/app/#/outbox")
    expect(grid.locator("#outbox li").first).to_have_attribute("data-state", "failed")
    assert task_row(app, task_id)["outcome"] == "confirmed"
    assert not grid.errors


def test_a_photo_chosen_for_two_tasks_stays_for_one_when_taken_out_of_the_other(app, places, grid_phone):
    """Two tasks at one address, the same picture of the plate chosen for both answers: taking it out
    of one answer must not take it from the other, which uploads with it; once neither needs it, it
    leaves the phone."""
    grid, picture = grid_phone, {"name": "plate.jpg", "mimeType": "image/jpeg", "buffer": jpeg(seed=83, size=(1200, 900))}
    first, _ = task_opened_on_phone(app, places, grid, unique("门牌问题：门牌歪斜"), "门牌歪了")
    grid.check("input[name=outcome][value=confirmed]")
    grid.set_input_files("#task-photo-input", picture)
    expect(grid.locator("#task-photos img")).to_have_count(1)
    second, _ = task_opened_on_phone(app, places, grid, unique("门牌问题：门牌褪色"), "门牌字迹不清")
    grid.check("input[name=outcome][value=confirmed]")
    grid.set_input_files("#task-photo-input", picture)
    expect(grid.locator("#task-photos img")).to_have_count(1)
    assert photos_on_phone(grid) == 1  # one picture, kept once

    grid.goto(f"/app/#/task/{first}")
    grid.locator("#task-photos").get_by_role("button", name="删除这张").click()  # the first answer gets another
    expect(grid.locator("#task-photos img")).to_have_count(0)
    grid.goto(f"/app/#/task/{second}")
    expect(grid.locator("#task-photos img")).to_have_count(1)
    assert photos_on_phone(grid) == 1
    grid.click("#answer-submit")
    expect(grid.locator("#task-state")).to_have_text("已上传")
    done = task_row(app, second)
    assert done["outcome"] == "confirmed" and len(done["photos"]) == 1
    assert photos_on_phone(grid) == 0  # sent, and no answer waits for it
    assert not grid.errors


def test_the_start_screen_reminds_of_tasks_due_soon(app, places, grid_phone):
    from datetime import timedelta

    from app.extensions import db
    from app.lifecycle import utcnow
    from app.tasks.models import Task

    task_id = open_task(app, places, unique("门牌问题：门牌褪色"), "提醒测试")
    with app.app_context():
        db.session.get(Task, task_id).due_at = utcnow() + timedelta(hours=3)
        db.session.commit()
        db.session.remove()
    grid = grid_phone
    grid.goto("/app/")
    reminder = grid.locator("#task-reminder")
    expect(reminder).to_contain_text("即将到期或已逾期")
    expect(reminder).to_have_class(re.compile(r"\bwarn\b"))
    grid.context.set_offline(True)  # kept for when there is no signal
    grid.reload()
    expect(grid.locator("#task-reminder")).to_contain_text("核查任务")
    grid.locator("#task-reminder").click()
    expect(grid.locator(f"#tasks li[data-task='{task_id}']")).to_contain_text("即将到期")
