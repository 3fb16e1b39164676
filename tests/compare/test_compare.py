"""Comparing a department's register with the demo city: each planted problem ends in its class with
its reason, suspicious rows become tasks for the right people, and the department gets the outcome
back (JSON with an API key, and Excel). Bad files store nothing."""
from __future__ import annotations

import hashlib
import io
import re
import threading
import time
import uuid
from pathlib import Path

import cn2an
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.accounts.models import User
from app.actuals.models import Binding, Organisation
from app.audit.models import AuditLog
from app.compare.models import Register, RegisterKind, RegisterRow
from app.extensions import db
from app.places.addresses import address_text, area_index
from app.places.models import Area, DoorPlate
from app.tasks.models import Task
from tests.collect.test_collect import jpeg, put_photo
from tests.compare.test_registers import xlsx
from tests.factories import credit_code_for
from tests.jobs.test_jobs import run_job
from tests.review.test_pages import desk, send, text  # noqa: F401  (fixture)

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
HEADER = ["单位名称", "统一社会信用代码", "地址", "联系人", "联系电话"]


def plate_text(plate: DoorPlate) -> str:
    """How a clerk writes a door plate's address: city, district, road and number."""
    info = area_index.info(plate.area_id)
    return f"襄阳市{info['names']['district']}{plate.road.name}{plate.number}号"


@pytest.fixture(scope="module")
def city(app):
    """Organisations and door plates of the demo city to plant problems with, in the grid worker's grid
    where a task should reach that worker."""
    with app.app_context():
        grid_user = db.session.scalar(select(User).where(User.username == "grid"))
        grid_code = grid_user.areas[0].area.code
        bound = db.session.scalars(select(Organisation).join(Binding, Binding.organisation_id == Organisation.id)
                                   .where(Binding.active, Binding.door_plate_id.is_not(None)).order_by(Organisation.id)).all()
        bound += db.session.scalars(select(Organisation).join(Binding, Binding.organisation_id == Organisation.id)
                                    .where(Binding.active, Binding.room_id.is_not(None)).order_by(Organisation.id)).all()
        plates_with_orgs = set()
        for org in bound:
            b = org.active_binding
            plates_with_orgs.add((b.door_plate or b.room.building.door_plate).id)
        others = bound
        grid_plates = db.session.scalars(select(DoorPlate).join(Area, DoorPlate.area_id == Area.id)
                                         .where(Area.code == grid_code, DoorPlate.status == "active").order_by(DoorPlate.id)).all()
        # The demo city's own (tests that ran before may have made plates on roads of their own)
        empty = db.session.scalar(select(DoorPlate).where(DoorPlate.status == "active", DoorPlate.id.not_in(plates_with_orgs))
                                  .order_by(DoorPlate.id).limit(1))
        occupied = db.session.get(DoorPlate, min(plates_with_orgs))

        def where(org):
            b = org.active_binding
            return b.door_plate or b.room.building.door_plate

        def row(org, **changes):
            values = {"name": org.name, "credit_code": org.credit_code, "address": plate_text(where(org)),
                      "contact": "王伟", "phone": "13800001234"}
            values.update(changes)
            return [values[k] for k in ("name", "credit_code", "address", "contact", "phone")]

        o = others
        moved = o[9]
        moved_to = grid_plates[0] if where(moved).id != grid_plates[0].id else grid_plates[1]
        wrong = credit_code_for("91")
        wrong = wrong[:17] + ("0" if wrong[17] != "0" else "1")
        planted = {
            "clean": (row(o[0]), "matched", []),
            "room_level": (row(o[1], address=address_text(o[1].active_binding.room or o[1].active_binding.door_plate)), "matched", []),
            "no_code": (row(o[2], credit_code=""), "matched", []),
            "typo_name": (row(o[3], name=o[3].name[:-1] + "　"), "matched", []),
            # a typo in the road name (人民路 → 人囧路), the number in Chinese numerals and full-width
            "typo_road": (row(o[4], address=plate_text(where(o[4])).replace(
                where(o[4]).road.name, where(o[4]).road.name[0] + "囧" + where(o[4]).road.name[2:]).replace(
                f"{where(o[4]).number}号", f"{cn2an.an2cn(where(o[4]).number)}号")), "matched", []),
            "full_width": (row(o[8], address=" ".join(plate_text(where(o[8]))).translate(FULL_WIDTH)), "matched", []),
            "remark": (row(o[10], address=plate_text(where(o[10])) + "临街门面东50米"), "matched", []),
            "wrong_number": (row(o[5], address=plate_text(where(o[5])).replace(f"{where(o[5]).number}号", "9999号")),
                             "suspicious", ["address_unknown"]),
            "moved": (row(moved, address=plate_text(moved_to)), "suspicious", ["moved"]),
            "invalid_code": (row(o[6], credit_code=wrong), "suspicious", ["code_invalid"]),
            "code_other_name": (row(o[7], name="襄阳完全不同物流有限公司"), "suspicious", ["code_other_name"]),
            "phantom": (["襄阳幽灵贸易有限公司", credit_code_for("91"), plate_text(occupied), "", ""], "suspicious", ["not_there"]),
            "unknown": (["襄阳崭新科技有限公司", credit_code_for("91"), plate_text(empty), "", ""], "new", []),
        }
        return {"planted": planted, "grid_code": grid_code, "moved_to": moved_to.object_code}


def upload(client, rows, kind=None, department="市交通运输局", mapping=None, header=HEADER, filename="register.xlsx"):
    data = {"file": (io.BytesIO(xlsx([header, *rows])), filename), "kind": kind or f"运输企业-{uuid.uuid4().hex[:6]}",
            "department": department}
    if mapping is not None:
        data["mapping"] = mapping
    return client.post("/api/v1/registers", data=data, content_type="multipart/form-data")


def compared(app, client, rows, **kw) -> dict:
    answer = upload(client, rows, **kw)
    assert answer.status_code == 202, answer.json
    job = run_job(app, client, answer.json["job_id"])
    assert job["status"] == "done", job
    assert "疑似问题" in job["message"]
    return client.get(f"/api/v1/registers/{answer.json['id']}").json


def by_row(client, register_id) -> dict:
    return {r["row"]: r for r in client.get(f"/api/v1/registers/{register_id}/rows?limit=1000").json}


def excel_report(app, client, register_id):
    """The Excel report, as its job writes it."""
    started = client.post(f"/api/v1/registers/{register_id}/exports")
    assert started.status_code == 202, started.json
    job = run_job(app, client, started.json["id"])
    assert job["status"] == "done", job
    return load_workbook(io.BytesIO(client.get(job["download"]).data))


def test_each_planted_problem_ends_in_its_class_with_its_reason(app, as_user, city):
    client = as_user("dept")
    names = list(city["planted"])
    bad_row = ["", "", "樊城区某路1号", "", "12"]
    report = compared(app, client, [city["planted"][n][0] for n in names] + [bad_row])
    rows = by_row(client, report["id"])
    for i, name in enumerate(names):
        _, klass, reasons = city["planted"][name]
        got = rows[i + 2]
        assert (got["class"], got["reasons"] or []) == (klass, reasons), (name, got)
        assert got["explanation"]
    bad = rows[len(names) + 2]
    assert bad["class"] == "invalid" and bad["errors"] == {"name": "请填写单位名称",
                                                            "phone": "联系电话只能有数字、短横线和空格，共 7–20 位，如 0710-3456789 或 13800000000"}
    moved = rows[names.index("moved") + 2]
    assert moved["address_code"] == city["moved_to"] and moved["found_code"] != city["moved_to"]
    assert "登记在" in moved["explanation"]
    assert rows[2]["phone"] == "138****1234"  # personal data masked
    classes = {c["class"]: c["rows"] for c in report["report"]["classes"]}
    assert classes == {"matched": 7, "suspicious": 5, "new": 1, "invalid": 1}
    assert report["counts"] == {k: v for k, v in classes.items() if v}
    assert sum(d["rows"] for d in report["report"]["districts"]) == len(names) + 1
    assert report["report"]["tasks"]["total"] == 5 and report["report"]["tasks"]["open"] == 5


def test_a_suspicious_row_becomes_a_task_for_the_grid_and_its_answer_goes_back(app, as_user, city):
    dept = as_user("dept")
    planted = city["planted"]
    nowhere = ["襄阳无址商贸有限公司", "", "襄阳市樊城区没有这条路1号", "", ""]
    report = compared(app, dept, [planted["moved"][0], planted["wrong_number"][0], nowhere])
    grid = as_user("grid")
    mine = [t for t in grid.get("/api/v1/tasks").json if t["kind"] == "register" and "市交通运输局" in t["detail"]
            and t["object_code"] == city["moved_to"]]
    assert len(mine) >= 1 and mine[-1]["title"] == "部门比对：单位登记在其他地址"
    task = mine[-1]
    everywhere = as_user("city").get(f"/api/v1/tasks/all?register={report['id']}").json
    assert len(everywhere) == 3
    # A known organisation at an address that does not exist: checked where it is on record. An unknown one:
    # no place is known, so the district the text names gets it (no grid does).
    unknown_place = [t for t in everywhere if t["door_plate_code"] is None]
    assert len(unknown_place) == 1 and "没有这条路" in unknown_place[0]["detail"]
    assert unknown_place[0]["id"] in {t["id"] for t in as_user("district").get("/api/v1/tasks/all").json}
    photo = jpeg(31)
    assert put_photo(grid, photo).status_code in (200, 201)
    sha = hashlib.sha256(photo).hexdigest()
    answer = grid.post(f"/api/v1/tasks/{task['id']}/answer", json={
        "id": str(uuid.uuid4()), "outcome": "confirmed", "note": "确已搬到此处经营", "photos": [sha]})
    assert answer.status_code == 200, answer.json
    after = dept.get(f"/api/v1/registers/{report['id']}").json["report"]["tasks"]
    assert after["open"] == 2 and {o["outcome"]: o["tasks"] for o in after["outcomes"]}["confirmed"] == 1
    rows = by_row(dept, report["id"])
    assert rows[2]["outcome"] == "confirmed" and rows[2]["outcome_note"] == "确已搬到此处经营"
    book = excel_report(app, dept, report["id"])
    detail = list(book["明细"].values)
    assert detail[0][11:14] == ("派发", "核查任务", "核查结果")
    assert detail[1][6] == "疑似问题" and detail[1][11] in ("已推送", "并入已有任务") and detail[1][13] == "核实无误"
    assert detail[1][14] == "确已搬到此处经营"
    assert ("疑似问题", 3) in [r[:2] for r in book["汇总"].values]


def test_the_department_system_reads_the_report_with_its_api_key(app, as_user, anonymous, demo, city):
    report = compared(app, as_user("dept"), [city["planted"]["clean"][0]])
    keyed = anonymous.c.get(f"/api/v1/registers/{report['id']}",
                            headers={"Authorization": f"Bearer {demo['users']['dept']['api_key']}"})
    assert keyed.status_code == 200 and keyed.json["report"]["classes"][0]["rows"] == 1
    assert anonymous.get(f"/api/v1/registers/{report['id']}").status_code == 401
    assert as_user("grid").get(f"/api/v1/registers/{report['id']}").status_code == 403  # no compare permission
    assert as_user("district").get(f"/api/v1/registers/{report['id']}").status_code == 404  # a city-wide upload


def test_the_column_mapping_is_kept_per_register_kind(app, as_user, city):
    client = as_user("dept")
    header = ["企业全称", "代码", "经营场所", "负责人", "手机"]
    rows = [city["planted"]["clean"][0]]
    first = upload(client, rows, kind="危险品运输", header=header)
    assert first.status_code == 422
    assert {e["field"] for e in first.json["errors"]} == {"name", "address"}
    assert first.json["headers"] == header and "经营场所" in first.json["detail"]
    mapped = upload(client, rows, kind="危险品运输", header=header,
                    mapping='{"name": "企业全称", "credit_code": "代码", "address": "经营场所"}')
    assert mapped.status_code == 202
    again = upload(client, rows, kind="危险品运输", header=header)  # no mapping: the saved one
    assert again.status_code == 202
    report = run_job(app, client, again.json["job_id"])
    assert report["status"] == "done"
    assert by_row(client, again.json["id"])[2]["class"] == "matched"


def counted(app) -> tuple[int, int]:
    with app.app_context():
        return db.session.scalar(select(func.count(Register.id))), db.session.scalar(select(func.count(RegisterRow.id)))


@pytest.mark.parametrize("name, data, filename, message", [
    ("gbk misread", "单位名称,地址\n甲,乙\n".encode("utf-16"), "r.csv", "编码"),
    ("xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100, "r.xls", ".xlsx"),
    ("no address column", xlsx([["单位名称", "电话"], ["甲", "1"]]), "r.xlsx", "找不到“地址”列"),
    ("formula in the header", xlsx([["单位名称", "=B1"], ["甲", "1"]]), "r.xlsx", "公式"),
    ("empty", xlsx([HEADER]), "r.xlsx", "没有数据行"),
])
def test_bad_files_say_what_to_fix_and_store_nothing(app, as_user, name, data, filename, message):
    client = as_user("dept")
    before = counted(app)
    answer = client.post("/api/v1/registers", data={"file": (io.BytesIO(data), filename), "kind": "测试", "department": "测试"},
                         content_type="multipart/form-data")
    assert answer.status_code in (413, 422) and answer.mimetype == "application/problem+json", answer.data
    assert message in answer.json["detail"], answer.json
    assert counted(app) == before


@pytest.mark.parametrize("name, data, filename, message", [
    ("formula", xlsx([HEADER, ["甲", "", "樊城区人民路1号", "", ""], ["乙", "", "=A1", "", ""]]), "r.xlsx",
     "第 3 行 C 列是公式"),
    ("merged", xlsx([HEADER, ["甲", "", "樊城区人民路1号", "", ""], ["乙", "", "樊城区人民路2号", "", ""]],
                    lambda _, sheet: sheet.merge_cells("C2:C3")), "r.xlsx", "C2:C3 是合并单元格"),
    ("formula deep in a csv", ("\r\n".join(["单位名称,地址"] + [f"甲{i},樊城区人民路{i}号" for i in range(3000)]
                                           + ["乙,=HYPERLINK(\"http://evil\")"])).encode(), "r.csv", "第 3002 行 B 列是公式"),
])
def test_a_file_refused_while_the_job_reads_it_leaves_the_register_failed_with_no_row(app, as_user, name, data,
                                                                                       filename, message):
    client = as_user("dept")
    before = counted(app)
    answer = client.post("/api/v1/registers", data={"file": (io.BytesIO(data), filename), "kind": f"测试-{uuid.uuid4().hex[:6]}",
                                                    "department": "测试"}, content_type="multipart/form-data")
    assert answer.status_code == 202 and answer.json["status"] == "reading", answer.json
    job = run_job(app, client, answer.json["job_id"])
    assert job["status"] == "failed" and message in job["message"]
    register = client.get(f"/api/v1/registers/{answer.json['id']}").json
    assert (register["status"], register["report"]) == ("failed", None) and message in register["problem"]
    assert register["progress"]["status"] == "failed" and message in register["progress"]["message"]
    assert counted(app) == (before[0] + 1, before[1])  # the register, with why; not one of its rows
    assert not list((Path(app.config["INSTANCE_DIR"]) / "registers").glob(f"{answer.json['id']}.*"))


def test_a_50_mb_file_is_refused_naming_the_limit(app, as_user):
    client = as_user("dept")
    answer = client.post("/api/v1/registers", data={"file": (io.BytesIO(b"a" * (50 * 1024 * 1024)), "big.csv"),
                                                    "kind": "测试", "department": "测试"}, content_type="multipart/form-data")
    assert answer.status_code == 413 and "20 MB" in answer.json["detail"]


def test_missing_fields_are_named(app, as_user, city):
    answer = upload(as_user("dept"), [city["planted"]["clean"][0]], kind=" ", department="")
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json["errors"]} >= {"kind"}


def test_the_upload_page_maps_columns_without_choosing_the_file_again(app, as_user, city):
    client = as_user("dept")
    header = ["企业全称", "经营场所"]
    page = client.post("/compare/", data={"file": (io.BytesIO(xlsx([header, city["planted"]["clean"][0][0:3:2]])), "r.xlsx"),
                                          "kind": f"网页-{uuid.uuid4().hex[:4]}", "department": "市交通运输局"},
                       content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and "设置列的对应关系" in html and "<option>经营场所</option>" in html
    stash = html.split('name="stash" value="')[1].split('"')[0]
    kind = html.split('name="kind" list="kinds" required maxlength="64" value="')[1].split('"')[0]
    done = client.post("/compare/", data={"stash": stash, "mapping": "1", "kind": kind, "department": "市交通运输局",
                                          "map_name": "企业全称", "map_address": "经营场所"})
    assert done.status_code == 302
    assert not list((Path(app.config["INSTANCE_DIR"]) / "uploads").glob(f"{stash}*"))  # the kept file is gone
    register_id = int(done.headers["Location"].rstrip("/").split("/")[-1])
    with app.app_context():
        reg = db.session.get(Register, register_id)
        assert db.session.scalar(select(RegisterKind.mapping).where(RegisterKind.name == kind)) == {
            "name": "企业全称", "address": "经营场所"}
        run_job(app, client, reg.job_id)
        db.session.refresh(reg)
        assert reg.rows_total == 1
    report_page = client.get(f"/compare/{register_id}").get_data(as_text=True)
    assert "生成 Excel 报告" in report_page and 'data-class="matched"' in report_page
    assert client.get("/compare/").status_code == 200


def test_every_task_lies_where_its_place_is(app, as_user, city):
    with app.app_context():
        for task in db.session.scalars(select(Task).where(Task.kind == "register")):
            if task.door_plate_id:
                assert task.area_id == task.door_plate.area_id
            else:
                assert task.area.level in ("township", "district", "city")


def test_the_same_finding_uploaded_again_joins_the_open_task(app, as_user, city):
    dept = as_user("dept")
    row = ["襄阳重复上传测试商贸有限公司", credit_code_for("91"), "襄阳市樊城区没有这条路2号", "", ""]
    first = compared(app, dept, [row])
    again = upload(dept, [row])
    job = run_job(app, dept, again.json["job_id"])
    assert "另有 1 行与此前推送、尚未完成的任务相同，未重复推送" in job["message"]
    task_first = by_row(dept, first["id"])[2]["task_id"]
    assert task_first and by_row(dept, again.json["id"])[2]["task_id"] == task_first
    # Both reports follow the one task.
    assert dept.get(f"/api/v1/registers/{again.json['id']}").json["report"]["tasks"]["open"] == 1


def test_empty_rows_are_skipped_and_rows_keep_their_excel_numbers(app, as_user, city):
    client = as_user("dept")
    clean = city["planted"]["clean"][0]
    answer = upload(client, [clean, ["", "", "", "", ""], [], clean])
    assert answer.status_code == 202
    run_job(app, client, answer.json["job_id"])
    rows = by_row(client, answer.json["id"])
    assert sorted(rows) == [2, 5] and client.get(f"/api/v1/registers/{answer.json['id']}").json["rows_total"] == 2


def test_the_upload_page_says_what_is_wrong_with_a_file(app, as_user, desk):  # noqa: F811
    page = desk("dept")
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(page.get("/compare/"))).group(1)
    answer = page.post("/compare/", data={"csrf_token": token, "kind": "测试", "department": "测试",
                                          "file": (io.BytesIO(xlsx([["单位名称", "=B1"], ["甲", "1"]])), "r.xlsx")},
                       content_type="multipart/form-data")
    assert answer.status_code == 422 and "第 1 行 B 列是公式" in text(answer)
    # Found only by reading the whole file: the register's page says it once the job has read it.
    rows = [HEADER, ["甲", "", "樊城区人民路1号", "", ""], ["乙", "", "=1+1", "", ""]]
    answer = page.post("/compare/", data={"csrf_token": token, "kind": "测试", "department": "测试",
                                          "file": (io.BytesIO(xlsx(rows)), "r.xlsx")}, content_type="multipart/form-data")
    assert answer.status_code == 302
    register_id = int(answer.headers["Location"].rstrip("/").split("/")[-1])
    with app.app_context():
        run_job(app, as_user("dept"), db.session.get(Register, register_id).job_id)
    shown = text(page.get(f"/compare/{register_id}"))
    assert "未能比对" in shown and "第 3 行 C 列是公式" in shown


# --- bounded work: a register's rows, its tasks, its report ----------------------------------

def nowhere_rows(n: int, tag: str) -> list[list[str]]:
    """Suspicious rows whose task goes to 樊城区's street office: an unknown road in the district."""
    return [[f"襄阳{tag}第{i}商贸有限公司", "", f"襄阳市樊城区没有{tag}这条路{i + 1}号", "", ""] for i in range(n)]


@pytest.fixture()
def caps(app):
    saved = dict(app.config)
    yield app.config
    app.config.clear()
    app.config.update(saved)


def test_a_register_over_the_row_limit_fails_with_the_limit_and_how_to_split_and_stores_no_row(app, as_user, caps):
    caps["REGISTER_MAX_ROWS"] = 100
    client = as_user("dept")
    before = counted(app)
    data = "\r\n".join(["单位名称,地址"] + [f"甲{i},樊城区人民路{i}号" for i in range(150)]).encode()
    answer = client.post("/api/v1/registers", data={"file": (io.BytesIO(data), "大名录.csv"),
                                                    "kind": f"测试-{uuid.uuid4().hex[:6]}", "department": "测试"},
                         content_type="multipart/form-data")
    assert answer.status_code == 202
    job = run_job(app, client, answer.json["job_id"])
    register = client.get(f"/api/v1/registers/{answer.json['id']}").json
    assert job["status"] == "failed" and register["status"] == "failed"
    assert register["problem"] == ("登记表超过 100 行，超出一次比对的上限（100 行）。请按区县、街道或类别拆分成几个文件，"
                                   "每个不超过 100 行（另加一行表头），分批上传")
    assert counted(app) == (before[0] + 1, before[1])
    assert "超出一次比对的上限" in client.get(f"/compare/{answer.json['id']}").get_data(as_text=True)


def test_an_xlsx_bomb_is_refused_at_upload_in_a_moment(app, as_user):
    from tests.compare.test_registers import repacked, sheet

    padding = (b" " * (1024 * 1024) for _ in range(150))
    bomb = repacked(xlsx([HEADER, ["甲", "", "地址", "", ""]]), {"xl/worksheets/sheet1.xml": sheet(*padding)})
    before = counted(app)
    started = time.perf_counter()
    answer = as_user("dept").post("/api/v1/registers", data={"file": (io.BytesIO(bomb), "名录.xlsx"), "kind": "测试",
                                                             "department": "测试"}, content_type="multipart/form-data")
    assert time.perf_counter() - started < 2
    assert answer.status_code == 422 and answer.json["errors"][0]["field"] == "file"
    assert "压缩了" in answer.json["detail"] and counted(app) == before


def test_a_csv_register_with_a_formula_is_refused_as_an_xlsx_one_is(app, as_user):
    data = '单位名称,地址\r\n"=HYPERLINK(""http://evil"",""点此"")",樊城区人民路1号\r\n'.encode()
    answer = as_user("dept").post("/api/v1/registers", data={"file": (io.BytesIO(data), "名录.csv"), "kind": "测试",
                                                             "department": "测试"}, content_type="multipart/form-data")
    assert answer.status_code == 422 and answer.json["detail"].startswith("第 2 行 A 列是公式，系统不读取公式")


def test_tasks_beyond_the_register_cap_wait_for_a_person_who_sends_or_dismisses_them(app, as_user, desk, caps):  # noqa: F811
    caps["REGISTER_MAX_TASKS"] = 2
    dept = as_user("dept")
    report = compared(app, dept, nowhere_rows(5, uuid.uuid4().hex[:4]))
    assert report["report"]["tasks"]["total"] == 2
    held = report["report"]["held"]
    assert (held["total"], held["waiting"]) == (3, 3)
    assert {c["cause"]: c["rows"] for c in held["causes"]} == {"register": 3, "street": 0}
    rows = dept.get(f"/api/v1/registers/{report['id']}/rows?dispatch=held").json
    assert [r["row"] for r in rows] == [4, 5, 6] and {r["held_reason"] for r in rows} == {"register"}
    assert all(r.get("task_id") is None for r in rows)
    with app.app_context():
        message = db.session.get(Register, report["id"]).job.message
    assert "3 行暂未推送（3 行超出每份登记表 2 个任务的上限），列在“待派发”中" in message

    # The district's street office (the rows name no known road) decides; the township's does not see them.
    page = desk("district")
    listed = text(page.get("/tasks/"))
    ids = [int(i) for i in re.findall(r'data-held-row="(\d+)"', listed)]
    with app.app_context():
        mine = db.session.scalars(select(RegisterRow.id).where(RegisterRow.register_id == report["id"],
                                                               RegisterRow.dispatch == "held")
                                  .order_by(RegisterRow.row_number)).all()
    assert set(mine) <= set(ids) and "待派发：部门比对发现的疑似问题" in listed
    assert not set(mine) & set(re.findall(r'data-held-row="(\d+)"', text(desk("street").get("/tasks/"))))
    assert send(page, "/tasks/held", row=[str(mine[0])], action="send").status_code == 302
    assert send(page, "/tasks/held", row=[str(mine[1])], action="dismiss").status_code == 302
    assert send(page, "/tasks/held", row=[str(mine[0])], action="dismiss").status_code == 302  # decided already

    after = dept.get(f"/api/v1/registers/{report['id']}").json["report"]
    assert (after["held"]["waiting"], after["held"]["sent"], after["held"]["dismissed"]) == (1, 1, 1)
    assert after["tasks"]["total"] == 3
    rows = by_row(dept, report["id"])
    assert (rows[4]["dispatch"], rows[5]["dispatch"], rows[6]["dispatch"]) == ("sent", "dismissed", "held")
    task = as_user("district").get(f"/api/v1/tasks/all?register={report['id']}").json
    assert rows[4]["task_id"] in {t["id"] for t in task} and "第 4 行" in next(t for t in task if t["id"] == rows[4]["task_id"])["detail"]
    with app.app_context():
        actions = db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "register_row",
                                                                   AuditLog.object_id.in_(mine[:2]))).all()
    assert sorted(actions) == ["register_row.dismiss", "register_row.send"]
    shown = text(desk("dept").get(f"/compare/{report['id']}"))
    assert 'id="held"' in shown and "仍待派发" in shown


def test_a_street_gets_no_more_register_tasks_in_a_day_than_its_cap(app, as_user, caps):
    from app.compare.dispatch import register_tasks_today

    with app.app_context():
        today = register_tasks_today().get("420606", 0)
    caps["REGISTER_STREET_TASKS_PER_DAY"] = today + 2
    dept = as_user("dept")
    report = compared(app, dept, nowhere_rows(4, uuid.uuid4().hex[:4]))
    held = report["report"]["held"]
    assert report["report"]["tasks"]["total"] == 2
    assert {c["cause"]: c["rows"] for c in held["causes"]} == {"register": 0, "street": 2}
    again = compared(app, dept, nowhere_rows(1, uuid.uuid4().hex[:4]))  # the same day: held at once
    assert again["report"]["tasks"]["total"] == 0 and again["report"]["held"]["waiting"] == 1
    with app.app_context():
        assert register_tasks_today()["420606"] == today + 2


def test_the_page_and_the_api_show_the_progress_while_the_job_runs(app, as_user, desk, monkeypatch):  # noqa: F811
    from app.compare import matching, services
    from app.jobs.services import execute

    client = as_user("dept")
    answer = upload(client, nowhere_rows(30, uuid.uuid4().hex[:4]))
    queued = client.get(f"/api/v1/registers/{answer.json['id']}").json
    assert (queued["status"], queued["progress"]["status"], queued["progress"]["status_label"]) == ("reading", "queued", "读取中")
    page = text(desk("dept").get(f"/compare/{answer.json['id']}"))
    assert "正在读取文件" in page and 'role="progressbar"' in page and 'data-progress="progress"' in page

    # Held once the rows are read, before they are compared.
    read, go_on = threading.Event(), threading.Event()
    load = matching.Matcher.__init__

    def held_up(self, *args):
        read.set()
        assert go_on.wait(30)
        load(self, *args)

    monkeypatch.setattr(matching.Matcher, "__init__", held_up)

    def job():
        with app.app_context():
            execute(answer.json["job_id"])
            services.db.session.remove()

    worker = threading.Thread(target=job)
    worker.start()
    try:
        assert read.wait(30)
        running = client.get(f"/api/v1/registers/{answer.json['id']}").json
        page = text(desk("dept").get(f"/compare/{answer.json['id']}"))
    finally:
        go_on.set()
        worker.join(60)
    assert running["status"] == "matching" and running["rows_total"] == 30 and running["report"] is None
    assert running["progress"] == {"status": "running", "status_label": "比对中", "done": 0, "total": 30,
                                   "percent": 50, "message": None}
    assert "正在比对" in page and 'aria-valuenow="50"' in page
    done = client.get(f"/api/v1/registers/{answer.json['id']}").json
    assert done["status"] == "done" and done["progress"]["percent"] == 100 and done["report"]["rows"] == 30


def test_the_register_page_reads_a_page_of_rows_and_filters_them_in_the_database(app, as_user, city):
    dept = as_user("dept")
    planted = city["planted"]
    report = compared(app, dept, [planted["clean"][0], planted["moved"][0], planted["wrong_number"][0]] * 2)
    moved = dept.get(f"/api/v1/registers/{report['id']}/rows?reason=moved").json
    assert [r["row"] for r in moved] == [3, 6]
    page = dept.get(f"/api/v1/registers/{report['id']}/rows?limit=2&after=3").json
    assert [r["row"] for r in page] == [4, 5]


def test_the_excel_report_writes_what_departments_and_grid_workers_typed_as_text(app, as_user, city):
    from tests.test_spreadsheets import FORMULAS, assert_inert

    dept = as_user("dept")
    report = compared(app, dept, [city["planted"]["clean"][0]] * len(FORMULAS))
    with app.app_context():  # what a department's cells and a grid worker's notes may hold
        rows = db.session.scalars(select(RegisterRow).where(RegisterRow.register_id == report["id"])
                                  .order_by(RegisterRow.row_number)).all()
        for row, value in zip(rows, FORMULAS):
            row.name, row.contact, row.address, row.explanation = value, value, value, value
        db.session.commit()

    started = dept.post(f"/api/v1/registers/{report['id']}/exports")
    assert_inert(dept.get(run_job(app, dept, started.json["id"])["download"]).data)
