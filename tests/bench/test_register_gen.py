"""bench/register_gen.py: the planted problems are what they say, on the tests' small demo city."""
from __future__ import annotations

import importlib.util
import io
import sqlite3
import sys
from collections import Counter
from pathlib import Path

import pytest

from app.standards import credit_code

# Loaded from its file: bench/ on sys.path would shadow test packages (bench/plates.py, bench/standards.py).
_spec = importlib.util.spec_from_file_location(
    "register_gen", Path(__file__).resolve().parents[2] / "bench" / "register_gen.py")
register_gen = importlib.util.module_from_spec(_spec)
sys.modules["register_gen"] = register_gen
_spec.loader.exec_module(register_gen)

ROWS = 400


def city_facts(db_path: str) -> dict:
    """Door plates as "road+number号" per district, each organisation's plate, names and codes."""
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    q = con.execute
    try:
        area = {i: (code, name) for i, code, name in q("SELECT id, code, name FROM area")}
        road = {i: (name, area[a][0][:6]) for i, name, a in q("SELECT id, name, area_id FROM road")}
        plates = {}
        for i, road_id, number, area_id in q("SELECT id, road_id, number, area_id FROM door_plate"):
            plates[i] = (area[area_id][0][:6], f"{road[road_id][0]}{number}号", road[road_id][0])
        plate_of_building = dict(q("SELECT id, door_plate_id FROM building"))
        building_of_room = dict(q("SELECT id, building_id FROM room"))
        org_plate, bound = {}, set()
        for org_id, room_id, plate_id in q("SELECT organisation_id, room_id, door_plate_id FROM binding WHERE active = 1"):
            plate = plate_id or plate_of_building[building_of_room[room_id]]
            org_plate[org_id] = plate
            bound.add(plate)
        names = {n.replace(" ", "") for (n,) in q("SELECT name FROM organisation")}
        codes = {c for (c,) in q("SELECT credit_code FROM organisation") if c}
        org_codes = dict(q("SELECT id, credit_code FROM organisation"))
        district_names = {code: name for code, name in area.values() if len(code) == 6}
        place_names = sorted((name for code, name in area.values() if len(code) <= 9), key=len, reverse=True)
        road_names = Counter(name for name, _ in road.values())  # name -> districts with it
    finally:
        con.close()
    by_district = {}
    for plate_id, (district, text, _) in plates.items():
        by_district.setdefault(district, {})[text] = plate_id
    return {"plates": plates, "by_district": by_district, "org_plate": org_plate, "bound": bound, "names": names,
            "codes": codes, "org_codes": org_codes, "district_names": district_names, "road_names": road_names,
            "place_names": ["湖北省", *place_names]}


def check(db_path: str, rows: list[dict], truth: list[dict]) -> None:
    facts = city_facts(db_path)
    assert len(rows) == len(truth)
    assert Counter(t["type"] for t in truth) == Counter(register_gen._counts(len(rows)))
    orgs = [t["organisation_id"] for t in truth if t["organisation_id"]]
    assert len(orgs) == len(set(orgs)), "an organisation is used twice"
    for row, t in zip(rows, truth):
        kind, address = t["type"], row["address"]
        assert set(row) == {"name", "credit_code", "address", "contact", "phone"}
        assert row["phone"].isdigit() and len(row["phone"]) == 11 and row["contact"]
        assert (t["expected"], t["reason"]) == register_gen.TYPES[kind][1:]
        plate = t["plate_id"]
        if kind == "wrong_address":
            district = facts["org_plate"][t["organisation_id"]]
            district = facts["plates"][district][0]
            assert facts["district_names"][district] in address
            assert not any(text in address for text in facts["by_district"][district]), address
            if t["variant"] == "road":
                rest = address
                for name in facts["place_names"]:
                    rest = rest.replace(name, "")
                road = rest[:next(i for i, c in enumerate(rest) if c.isdigit())]
                assert road and road not in facts["road_names"], address
            continue
        district, text, road = facts["plates"][plate]
        assert text in address.replace(" ", "") or kind == "typo_address", (kind, address, text)
        if kind == "moved":
            own = facts["org_plate"][t["organisation_id"]]
            assert plate != own and facts["plates"][own][0] == district
            assert facts["plates"][own][1] not in address
        elif kind in ("phantom", "unknown", "code_other_name"):
            assert (plate in facts["bound"]) == (kind == "phantom")
            assert row["name"].replace(" ", "") not in facts["names"]
            if kind == "code_other_name":
                assert row["credit_code"] == facts["org_codes"][t["organisation_id"]]
            else:
                assert credit_code.is_valid(row["credit_code"]) and row["credit_code"] not in facts["codes"]
        else:
            assert plate == facts["org_plate"][t["organisation_id"]]
            code = facts["org_codes"][t["organisation_id"]]
            if kind == "no_code":
                assert row["credit_code"] == ""
            elif kind == "invalid_code":
                assert len(row["credit_code"]) == 18 and row["credit_code"][:17] == code[:17]
                assert not credit_code.is_valid(row["credit_code"])
            else:
                assert row["credit_code"] == code
        if facts["district_names"][district] not in address:  # only for a road no other district has
            assert facts["road_names"][road] == 1, address


@pytest.fixture(scope="module")
def db_path(app) -> str:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite:///"):
        pytest.skip("the generator reads a SQLite database")
    return url.removeprefix("sqlite:///")


def test_planted_problems_are_what_they_say(db_path):
    rows, truth = register_gen.generate(db_path, ROWS, 9)
    check(db_path, rows, truth)
    assert register_gen.generate(db_path, ROWS, 9) == (rows, truth)  # deterministic


def test_register_file_reads_back(app, db_path, tmp_path):
    from app.compare.registers import RegisterFile, inspect, map_columns, records

    rows, truth = register_gen.generate(db_path, ROWS, 3)
    path = tmp_path / "register.xlsx"
    register_gen.write_xlsx(rows, path)
    assert register_gen.read_truth(register_gen.write_truth(truth, path)) == truth
    with app.app_context():
        upload = inspect(path.read_bytes(), path.name)  # as at upload, then as the job reads it
        with RegisterFile(path, upload.format) as source:
            read = list(records(source, map_columns(upload.headers)))
    good = [r for r in read if "errors" not in r]
    bad = [r for r in read if "errors" in r]
    assert upload.headers == register_gen.HEADER
    # Every row comes back as written; only an altered code may be refused or flagged by the reader.
    assert len(good) + len(bad) == len(rows)
    assert all(truth[b["row"] - 2]["type"] == "invalid_code" and set(b["errors"]) == {"credit_code"} for b in bad)
    for g in good:
        i = g["row"] - 2
        assert {k: g[k] for k in rows[i]} == rows[i]
        assert ("code_problem" in g) == (truth[i]["type"] == "invalid_code")


def test_report_figures():
    truth = [{"type": t, "expected": e, "reason": r, "organisation_id": None}
             for t, (_, e, r) in register_gen.TYPES.items() for _ in range(20)]
    perfect = {i: (t["expected"], [t["reason"]] if t["reason"] else []) for i, t in enumerate(truth)}
    figures = register_gen.report(truth, perfect, out=None)
    assert figures["passed"] and figures["suspicious"]["precision"] == figures["suspicious"]["recall"] == 1.0
    # Every moved row also said to be not there: not_there's precision halves; a clean row called suspicious.
    worse = dict(perfect)
    for i, t in enumerate(truth):
        if t["type"] == "moved":
            worse[i] = ("suspicious", ["moved", "not_there"])
    clean = next(i for i, t in enumerate(truth) if t["type"] == "clean")
    worse[clean] = ("suspicious", ["moved"])
    del worse[next(i for i, t in enumerate(truth) if t["type"] == "unknown")]
    out = io.StringIO()
    figures = register_gen.report(truth, worse, out=out.write)
    assert not figures["passed"]
    assert figures["types"]["phantom"]["precision"] == 0.5
    assert figures["types"]["moved"]["precision"] == 20 / 21
    assert figures["types"]["clean"]["false_suspicious"] == 1
    assert figures["types"]["unknown"]["share"] == 19 / 20
    assert "phantom" in out.getvalue() and "✗" in out.getvalue()
