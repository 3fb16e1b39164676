"""The demo city: the real divisions as they are, a synthetic city on them that passes our own
standards, and one user per role."""
import csv
from pathlib import Path

from sqlalchemy import func, select

from app import privacy
from app.accounts.models import User
from app.accounts.roles import ROLES
from app.actuals.models import Organisation, Resident
from app.demo.city import DATA, SCALES
from app.extensions import db
from app.places.models import Area, Building, Room
from app.standards import credit_code, id_number

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "xiangyang" / "divisions.csv"


def test_counts_match_the_scale(demo):
    counts, scale = demo["counts"], SCALES["small"]
    assert counts["building"] == scale.buildings
    assert counts["room"] == scale.rooms
    assert counts["resident"] == scale.residents
    assert counts["organisation"] == scale.organisations


def test_every_division_is_loaded_as_it_is_oddities_included(app):
    with open(DATA / "divisions.csv", encoding="utf-8") as f:
        rows = {r["code"]: r["name"] for r in csv.DictReader(f)}
    with app.app_context():
        stored = dict(db.session.execute(select(Area.code, Area.name).where(Area.level != "grid")).all())
    assert stored == rows
    assert stored["420602006207"] == "莫\U00021413村委会"  # outside the BMP
    assert stored["420684103229"][1] == "\ue170"  # private use, as in the source
    if SHARED.exists():
        assert SHARED.read_bytes() == (DATA / "divisions.csv").read_bytes()


def test_every_community_has_a_grid_and_every_building_lies_in_a_grid(app):
    with app.app_context():
        communities = db.session.scalar(select(func.count()).where(Area.level == "community"))
        with_grids = db.session.scalar(select(func.count(func.distinct(Area.parent_id))).where(Area.level == "grid"))
        assert communities == with_grids == 2817
        levels = set(db.session.scalars(select(Area.level).join(Building, Building.area_id == Area.id)))
        assert levels == {"grid"}


def test_people_and_organisations_pass_the_standards(app, demo):
    # The demo's rows come first; other tests add their own later (a Fujian pilot code among them).
    with app.app_context():
        for resident in db.session.scalars(select(Resident).order_by(Resident.id).limit(300)):
            number = privacy.unseal(resident.id_number_enc)
            assert id_number.is_valid(number), number
            assert 900 <= int(number[14:17]) <= 999  # the demo's mark: no real person has these
            assert resident.id_number_masked == id_number.masked(number)
        codes = db.session.scalars(select(Organisation.credit_code).order_by(Organisation.id)
                                   .limit(demo["counts"]["organisation"])).all()
        assert len(codes) == len(set(codes))
        assert all(credit_code.is_valid(c) and credit_code.org_code_ok(c) for c in codes)
        # The residents' reports of the demo carry the same marks.
        from app.reports.models import PublicReport

        demo_reports = db.session.scalars(select(PublicReport).order_by(PublicReport.submission_id).limit(3)).all()
        assert [r.submission.kind for r in demo_reports] == ["residence", "org_change", "plate_problem"]
        number = privacy.unseal(demo_reports[0].id_number_enc)
        assert id_number.is_valid(number) and 900 <= int(number[14:17]) <= 999
        assert all(privacy.unseal(r.phone_enc).startswith("1700000") for r in demo_reports if r.phone_enc)


def test_buildings_stand_inside_their_district_extent(app):
    with open(DATA / "extents.csv", encoding="utf-8") as f:
        extents = {r["code"]: r for r in csv.DictReader(f)}
    with app.app_context():
        rows = db.session.execute(select(Area.code, Building.lon, Building.lat)
                                  .join(Area, Building.area_id == Area.id)).all()
    slack = 0.15  # township centres are spread around the urban centre, buildings around them
    for code, lon, lat in rows:
        e = extents[code[:6]]
        assert float(e["west"]) - slack < lon < float(e["east"]) + slack, (code, lon)
        assert float(e["south"]) - slack < lat < float(e["north"]) + slack, (code, lat)


def test_room_numbers_give_their_floor(app):
    with app.app_context():
        rooms = db.session.execute(select(Room.number, Room.floor).limit(2000)).all()
    assert all(int(number[:-2]) == floor for number, floor in rooms)


def test_one_demo_user_per_role(app, demo):
    assert {u["role"] for u in demo["users"].values()} == set(ROLES)
    with app.app_context():
        for username, login in demo["users"].items():
            user = db.session.scalar(select(User).where(User.username == username))
            assert user.check_password(login["password"])


def test_loading_twice_is_refused_with_a_clear_message(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo-city", "--scale", "small"])
    assert result.exit_code != 0 and "已有区划数据" in result.output
    quiet = runner.invoke(args=["demo-city", "--if-empty"])
    assert quiet.exit_code == 0 and "未重新生成" in quiet.output
