"""A synthetic Xiangyang on the real administrative divisions, for trying Yibiao and for tests.

The areas are real (data/xiangyang/divisions.csv, loaded as they are); everything below them is
made up, deterministically from a seed: roads, door plates, buildings placed around each district's
urban centre or its townships, rooms, housing, residents with checksum-correct but fake ID numbers,
organisations with valid credit codes, bindings, and one user per role.

All people are synthetic. Their ID numbers use sequence numbers 900-999 and their phone numbers the
prefix 1700000 (a virtual-operator block), so no real person is named.

Rows are written in bulk (Core inserts of thousands of rows, explicit ids), never one ORM object at a
time: `seed` (125,000 buildings, 653,000 rooms, 1,621,000 residents) loads in a few minutes.
"""
from __future__ import annotations

import csv
import itertools
from collections import Counter
import math
import random
import secrets
from array import array
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import click
from sqlalchemy import func, insert, select, text

from app import privacy
from app.accounts.models import ApiKey
from app.accounts.services import create_user
from app.actuals.models import Binding, Housing, Organisation, Resident
from app.audit.services import record
from app.extensions import db
from app.places.models import Area, Building, Compound, DoorPlate, Road, Room, Unit
from app.places.services import allocate_object_codes
from app.review.chains import install_defaults
from app.standards import beidou, credit_code, id_number

from .compare import demo_register
from .review import demo_reports, demo_submissions

DATA = Path(__file__).parent / "data" / "xiangyang"
LEVELS = {"city": "city", "county": "district", "township": "township", "village": "community"}
BATCH = 5000


@dataclass(frozen=True)
class Scale:
    buildings: int
    rooms: int
    residents: int
    organisations: int


SCALES = {
    "small": Scale(buildings=800, rooms=4_000, residents=10_000, organisations=1_200),
    "seed": Scale(buildings=125_000, rooms=653_000, residents=1_621_000, organisations=200_000),
}

ROAD_STEMS = ("人民", "解放", "中原", "长虹", "春园", "檀溪", "丹江", "航空", "建设", "胜利", "民主", "新华", "前进",
              "友谊", "和平", "光明", "幸福", "朝阳", "东风", "团结", "振华", "汉江", "襄阳", "樊西", "米公", "诸葛",
              "隆中", "岘山", "鹿门", "卧龙", "习家", "荆州", "南湖", "北街", "西湾", "东津", "清河", "柿铺",
              "七里河", "紫贞", "高新", "航天", "追日", "长征", "邓城", "屏襄", "定中", "炮铺", "大庆", "铁佛")
ROAD_SUFFIXES = ("路", "路", "路", "街", "大道", "巷")
DIRECTIONS = ("", "", "", "东", "西", "南", "北")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅建国志文斌辉鹏飞宇浩然子涵梓轩欣怡雨婷佳琪晨阳思远一诺"
TRADES = ("便利店", "餐馆", "理发店", "五金店", "药店", "服装店", "水果店", "面馆", "茶叶店", "文具店", "维修部", "粮油店")
COMPANY_TRADES = ("商贸", "科技", "建筑工程", "物流", "汽车配件", "食品", "物业服务", "信息技术", "农业开发", "机械制造")
COMPOUND_SUFFIXES = ("小区", "花园", "家园", "苑", "公寓", "新村")


def build(scale_name: str, seed: int, echo=print, if_empty: bool = False) -> dict | None:
    if db.session.scalar(select(func.count(Area.id))):
        if if_empty:
            return None
        raise click.ClickException("数据库里已有区划数据。演示城市只能装入空数据库：删除 instance/yibiao.db（或换一个 "
                                   "DATABASE_URL）后再运行。")
    city = _CityBuilder(SCALES[scale_name], random.Random(seed), echo)
    counts = city.run()
    logins = city.demo_users()
    install_defaults()
    record(None, "demo_city.load", object_type="city", after={"scale": scale_name, "seed": seed, **counts})
    db.session.commit()
    if db.session.get_bind().dialect.name == "postgresql":
        _reset_sequences()
    counts["submissions"] = demo_submissions(seed)
    counts["reports"] = demo_reports(seed)
    counts["registers"] = demo_register()
    _print_logins(logins, echo)
    return {"counts": counts, "logins": logins}


def _print_logins(logins: list[dict], echo) -> None:
    from flask import current_app

    lines = ["演示账号（用户名 / 密码 / 角色 / 辖区）："]
    lines += [f"  {u['username']:<18} {u['password']:<14} {u['role']:<10} {u['scope']}" for u in logins]
    key = next((u["api_key"] for u in logins if u.get("api_key")), None)
    if key:
        lines.append(f"部门接口 API 密钥（请求头 Authorization: Bearer …）：{key}")
    path = Path(current_app.config["INSTANCE_DIR"]) / "demo-logins.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    echo("\n".join(lines))
    echo(f"（已保存到 {path}）")


def _reset_sequences() -> None:
    # Ids were given explicitly; move each PostgreSQL sequence past them.
    for table in ("area", "road", "compound", "door_plate", "building", "unit", "room", "housing", "resident",
                  "organisation", "binding"):
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"))
    # Statistics now, not whenever autovacuum gets round to it: with none, PostgreSQL takes the freshly
    # loaded tables for empty and joins 200,000 organisations to the areas by a nested loop (31 s for
    # what takes 0.3 s once analysed).
    db.session.execute(text("ANALYZE"))
    db.session.commit()


class _Ids:
    """Explicit ids per table, continuing after what is already there."""

    def __init__(self):
        self._next: dict[str, itertools.count] = {}

    def take(self, model) -> int:
        name = model.__tablename__
        if name not in self._next:
            start = (db.session.scalar(select(func.max(model.id))) or 0) + 1
            self._next[name] = itertools.count(start)
        return next(self._next[name])


class _Writer:
    """Buffers rows per model and inserts them in batches, parents before children."""

    ORDER = (Road, DoorPlate, Compound, Building, Unit, Room, Housing, Resident, Organisation, Binding)

    def __init__(self):
        self.rows: dict = {model: [] for model in self.ORDER}
        self.counts: dict[str, int] = {}

    def add(self, model, row: dict) -> None:
        rows = self.rows[model]
        rows.append(row)
        if len(rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        for model in self.ORDER:
            rows = self.rows[model]
            if rows:
                db.session.execute(insert(model), rows)
                self.counts[model.__tablename__] = self.counts.get(model.__tablename__, 0) + len(rows)
                self.rows[model] = []


@dataclass
class _Place:
    """Where a grid's buildings stand: its centre, and whether it is town (社区) or village (村)."""

    area_id: int
    code: str
    lon: float
    lat: float
    urban: bool
    township_code: str


class _CityBuilder:
    def __init__(self, scale: Scale, rng: random.Random, echo):
        self.scale, self.rng, self.echo = scale, rng, echo
        self.ids = _Ids()
        self.division_of_area: dict[int, str] = {}
        self.today = date.today()

    # --- areas ----------------------------------------------------------------------------
    def load_areas(self) -> list[_Place]:
        extents = {row["code"]: row for row in csv.DictReader(open(DATA / "extents.csv", encoding="utf-8"))}
        with open(DATA / "divisions.csv", encoding="utf-8", newline="") as f:
            divisions = list(csv.DictReader(f))
        rng, rows, centres = self.rng, [], {}
        id_by_code: dict[str, int] = {}
        grids: list[_Place] = []
        for d in divisions:
            area_id = self.ids.take(Area)
            id_by_code[d["code"]] = area_id
            level = LEVELS[d["level"]]
            rows.append({"id": area_id, "code": d["code"], "name": d["name"], "level": level,
                         "parent_id": id_by_code.get(d["parent_code"])})
            self.division_of_area[area_id] = d["code"][:6] if len(d["code"]) >= 6 else d["code"]
            if level == "district":
                e = extents[d["code"]]
                centres[d["code"]] = (float(e["centre_lon"]), float(e["centre_lat"]), e)
            elif level == "township":
                lon, lat, e = centres[d["parent_code"]]
                street = d["code"][6] == "0"  # 0xx: street offices, in the urban core
                if street:
                    spot = (lon + rng.gauss(0, 0.03), lat + rng.gauss(0, 0.025))
                else:
                    spot = (rng.uniform(float(e["west"]), float(e["east"])), rng.uniform(float(e["south"]), float(e["north"])))
                centres[d["code"]] = (*spot, street)
            elif level == "community":
                lon, lat, street = centres[d["parent_code"]]
                spread = 0.008 if street else 0.03
                clon, clat = lon + rng.gauss(0, spread), lat + rng.gauss(0, spread)
                urban = "社区" in d["name"]
                weight_grids = 3 if urban and street else 1
                for g in range(1, weight_grids + 1):
                    grid_id = self.ids.take(Area)
                    code = f"{d['code']}{g:03d}"
                    rows.append({"id": grid_id, "code": code, "name": f"第{g}网格", "level": "grid",
                                 "parent_id": area_id})
                    self.division_of_area[grid_id] = code[:6]
                    grids.append(_Place(grid_id, code, clon + rng.gauss(0, 0.002), clat + rng.gauss(0, 0.002),
                                        urban and street, d["parent_code"]))
        db.session.execute(insert(Area), rows)
        self.area_rows = len(rows)
        self.id_by_code = id_by_code
        return grids

    # --- the plan: how many buildings and rooms where ---------------------------------------
    def plan(self, grids: list[_Place]) -> list[tuple[_Place, list[dict]]]:
        """Per grid, its door plates, each a list of building specs (floors, use, rooms)."""
        rng, scale = self.rng, self.scale
        weights = [8.0 if g.urban else (0.05 if "虚拟" in g.code else 1.0) for g in grids]
        per_grid = [0] * len(grids)
        for i in rng.choices(range(len(grids)), weights=weights, k=scale.buildings):
            per_grid[i] += 1
        buildings: list[dict] = []
        plan = []
        for grid, n in zip(grids, per_grid):
            plates = []
            while n > 0:
                size = min(n, rng.choice((1, 2, 4, 6, 8)) if grid.urban else 1)
                plate = []
                for _ in range(size):
                    if grid.urban:
                        floors = rng.choices((2, 6, 7, 11, 18, 26, 33), weights=(2, 6, 5, 3, 2, 1, 1))[0]
                        use = rng.choices(("residential", "mixed", "commercial", "office"), weights=(70, 15, 10, 5))[0]
                    else:
                        floors, use = rng.choice((1, 2, 2, 3)), rng.choices(("residential", "mixed"), weights=(90, 10))[0]
                    spec = {"floors": floors, "use": use, "rooms": 1}
                    plate.append(spec)
                    buildings.append(spec)
                plates.append(plate)
                n -= size
            plan.append((grid, plates))
        # Rooms: one each, the rest spread in proportion to floor count.
        extra = scale.rooms - len(buildings)
        for i in rng.choices(range(len(buildings)), weights=[b["floors"] for b in buildings], k=extra):
            buildings[i]["rooms"] += 1
        return plan

    # --- streets ------------------------------------------------------------------------------
    def roads_for(self, township_code: str, n_plates: int) -> list[dict]:
        """The township's roads, made on first use: about one road per 25 door plates."""
        roads = self.roads.get(township_code)
        if roads is None:
            district = township_code[:6]
            used = self.road_names.setdefault(district, set())
            roads = []
            for _ in range(max(2, min(40, n_plates // 25 + 2))):
                for _attempt in range(50):
                    name = self.rng.choice(ROAD_STEMS) + self.rng.choice(DIRECTIONS) + self.rng.choice(ROAD_SUFFIXES)
                    if name not in used:
                        break
                else:
                    name = f"{self.rng.choice(ROAD_STEMS)}{len(used) + 1}路"
                used.add(name)
                road = {"id": self.ids.take(Road), "name": name, "area_id": self.id_by_code[district],
                        "next_number": 1}
                self.writer.add(Road, {"id": road["id"], "name": name, "area_id": road["area_id"],
                                       "status": "active", "version": 1})
                roads.append(road)
            self.roads[township_code] = roads
        return roads

    # --- the whole city -----------------------------------------------------------------------
    def run(self) -> dict:
        echo, rng, scale = self.echo, self.rng, self.scale
        echo("装入区划…")
        grids = self.load_areas()
        plan = self.plan(grids)
        plates_per_township = Counter()
        rooms_by_use = Counter()
        for grid, plates in plan:
            plates_per_township[grid.township_code] += len(plates)
            rooms_by_use.update(room[3] for plate in plates for spec in plate for room in _layout(spec))
        residential = rooms_by_use["residential"]
        residents_per_room = array("H", bytes(2 * residential))  # spread evenly at random: ~Poisson
        for _ in range(scale.residents):
            residents_per_room[rng.randrange(residential)] += 1
        self.roads, self.road_names = {}, {}
        codes = _CodeBook()
        with click.progressbar(length=scale.buildings, label="生成演示城市（楼栋）", show_percent=True,
                               show_pos=True, show_eta=True) as bar:
            self.writer = writer = _Writer()
            residential_index = 0
            org_budget = _Budget(scale.organisations, sum(rooms_by_use.values()) - residential)
            for grid, plates in plan:
                division = grid.code[:6]
                for plate_specs in plates:
                    roads = self.roads_for(grid.township_code, plates_per_township[grid.township_code])
                    road = rng.choice(roads)
                    number = road["next_number"]
                    road["next_number"] += rng.choice((1, 2, 2))
                    plon, plat = grid.lon + rng.gauss(0, 0.0015), grid.lat + rng.gauss(0, 0.0015)
                    plate_id = self.ids.take(DoorPlate)
                    writer.add(DoorPlate, {"id": plate_id, "object_code": codes.next(division, "door_plate"),
                                           "road_id": road["id"], "number": str(number), "area_id": grid.area_id,
                                           "lon": plon, "lat": plat, "grid_code": beidou.encode(plon, plat),
                                           "status": "active", "version": 1})
                    compound_id = None
                    if len(plate_specs) > 2:
                        compound_id = self.ids.take(Compound)
                        writer.add(Compound, {"id": compound_id, "area_id": grid.area_id, "status": "active",
                                              "version": 1, "developer": f"襄阳{rng.choice(ROAD_STEMS)}置业有限公司",
                                              "name": rng.choice(ROAD_STEMS) + rng.choice(COMPOUND_SUFFIXES)})
                    for b_index, spec in enumerate(plate_specs, start=1):
                        blon, blat = plon + rng.gauss(0, 0.0003), plat + rng.gauss(0, 0.0003)
                        building_id = self.ids.take(Building)
                        writer.add(Building, {
                            "id": building_id, "object_code": codes.next(division, "building"),
                            "door_plate_id": plate_id, "compound_id": compound_id,
                            "number": str(b_index) if len(plate_specs) > 1 else None, "name": None,
                            "area_id": grid.area_id, "floors": spec["floors"], "use": spec["use"],
                            "lon": blon, "lat": blat, "grid_code": beidou.encode(blon, blat),
                            "footprint": _footprint(blon, blat, rng), "status": "active", "version": 1})
                        bar.update(1)
                        unit_ids = {}
                        for unit_no, floor, number_text, use in _layout(spec):
                            if unit_no and unit_no not in unit_ids:
                                unit_ids[unit_no] = self.ids.take(Unit)
                                writer.add(Unit, {"id": unit_ids[unit_no], "object_code": codes.next(division, "unit"),
                                                  "building_id": building_id, "number": str(unit_no),
                                                  "status": "active", "version": 1})
                            room_id = self.ids.take(Room)
                            writer.add(Room, {"id": room_id, "object_code": codes.next(division, "room"),
                                              "building_id": building_id, "unit_id": unit_ids.get(unit_no),
                                              "floor": floor, "number": number_text, "use": use,
                                              "status": "active", "version": 1})
                            self._housing(room_id, use)
                            if use == "residential":
                                for _ in range(residents_per_room[residential_index]):
                                    self._resident(room_id)
                                residential_index += 1
                            elif org_budget.take(rng):
                                self._organisation(room_id, None, grid, codes)
                writer.flush()
            # Businesses registered in the city but not (yet) bound: what the grid workers bind next.
            while org_budget.left > 0:
                self._organisation(None, None, rng.choice(grids), codes)
                org_budget.left -= 1
            writer.flush()
            codes.commit()
        db.session.commit()
        counts = {"areas": self.area_rows, **writer.counts}
        echo("已生成：" + "，".join(f"{k} {v:,}" for k, v in counts.items()))
        return counts

    def _housing(self, room_id: int, use: str) -> None:
        rng = self.rng
        housing_use = "business" if use != "residential" else rng.choices(("own_use", "vacant"), weights=(92, 8))[0]
        self.writer.add(Housing, {"id": self.ids.take(Housing), "room_id": room_id, "use": housing_use,
                                  "ownership": rng.choices(("private", "public", "enterprise"), weights=(85, 10, 5))[0],
                                  "rented": rng.random() < 0.22, "status": "active", "version": 1})

    def _resident(self, room_id: int) -> None:
        rng = self.rng
        number = self._fake_id_number()
        phone = f"1700000{rng.randrange(10_000):04d}" if rng.random() < 0.7 else None
        floating = rng.random() < 0.18
        self.writer.add(Resident, {
            "id": self.ids.take(Resident), "room_id": room_id,
            "name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
            "id_number_enc": privacy.seal(number), "id_number_hash": privacy.blind_index(number),
            "id_number_masked": id_number.masked(number), "phone_enc": privacy.seal(phone) if phone else None,
            "phone_masked": privacy.mask_phone(phone) if phone else None,
            "sex": "male" if int(number[16]) % 2 else "female", "birth_date": _birth(number),
            "kind": "floating" if floating else "registered",
            "moved_in": self.today - timedelta(days=rng.randrange(1, 365 * (3 if floating else 30))),
            "status": "active", "version": 1})

    _id_serial = itertools.count()
    _BIRTH_DAYS = (date(2020, 12, 31) - date(1940, 1, 1)).days + 1
    _DISTRICTS = ("420602", "420606", "420607", "420624", "420625", "420626", "420682", "420683", "420684")

    def _fake_id_number(self) -> str:
        # Unique by construction: serial -> (birth day, district) through a bijection, and 100
        # sequence numbers 900-999 per pair.
        n = next(self._id_serial)
        pair, seq = divmod(n, 100)
        combos = self._BIRTH_DAYS * len(self._DISTRICTS)
        pair = (pair * 7_919) % combos
        day, district = divmod(pair, len(self._DISTRICTS))
        born = date(1940, 1, 1) + timedelta(days=day)
        first17 = f"{self._DISTRICTS[district]}{born:%Y%m%d}{900 + seq}"
        return first17 + id_number.check_char(first17)

    _org_serial = itertools.count(1)

    def _organisation(self, room_id, plate_id, grid: _Place, codes: "_CodeBook") -> None:
        rng = self.rng
        individual = rng.random() < 0.6
        serial = next(self._org_serial)
        code = _credit_code("92" if individual else "91", grid.code[:6], serial)
        stem = rng.choice(ROAD_STEMS)
        name = (f"{stem}{rng.choice(TRADES)}" if individual
                else f"襄阳{stem}{rng.choice(COMPANY_TRADES)}有限公司")
        org_id = self.ids.take(Organisation)
        phone = f"1700000{rng.randrange(10_000):04d}"
        self.writer.add(Organisation, {
            "id": org_id, "object_code": codes.next(grid.code[:6], "organisation"), "name": f"{name}{serial}号店"
            if individual else name.replace("有限公司", f"{serial}有限公司"),
            "kind": "individual" if individual else "enterprise", "credit_code": code, "credit_code_flags": None,
            "legal_representative": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=2)),
            "phone_enc": privacy.seal(phone), "phone_masked": privacy.mask_phone(phone),
            "area_id": grid.area_id, "status": "active", "version": 1})
        if room_id or plate_id:
            self.writer.add(Binding, {"id": self.ids.take(Binding), "organisation_id": org_id, "room_id": room_id,
                                      "door_plate_id": plate_id, "active": True})

    # --- users ---------------------------------------------------------------------------------
    def demo_users(self) -> list[dict]:
        """One user per role, with a random password, inside the busiest township of 樊城区."""
        township = db.session.execute(
            select(Area.code, func.count(Building.id)).join(Building, Building.area_id == Area.id)
            .where(Area.code.startswith("420606")).group_by(Area.code)).all()
        busiest = max(township, key=lambda row: row[1])[0] if township else "420606001001001"
        township_code, grid_code = busiest[:9], busiest
        owned = db.session.scalars(select(Building.object_code).join(Area, Building.area_id == Area.id)
                                   .where(Area.code == grid_code).order_by(Building.id).limit(3)).all()
        plan = [("admin", "admin", ["4206"], []), ("police", "police", [township_code], []),
                ("grid", "grid_worker", [grid_code], []), ("collector", "collector", ["420606"], []),
                ("street", "street_reviewer", [township_code], []), ("owner", "owner_reviewer", [], list(owned)),
                ("district", "district_reviewer", ["420606"], []), ("city", "city_reviewer", ["4206"], []),
                ("dept", "department", ["4206"], [])]
        logins = []
        for username, role, areas, objects in plan:
            password = secrets.token_urlsafe(9)
            user = create_user(None, {"username": username, "role": role, "password": password,
                                      "display_name": f"演示{username}", "area_codes": areas,
                                      "object_codes": objects})
            scope = "、".join(areas) if areas else f"{len(objects)} 栋楼"
            entry = {"username": username, "password": password, "role": role, "scope": scope}
            if role == "department":
                key, secret = ApiKey.issue(user, "演示部门接口")
                db.session.add(key)
                db.session.commit()
                entry["api_key"] = secret
            logins.append(entry)
        return logins


class _Budget:
    """Hands out `total` organisations over `slots` non-residential rooms, evenly at random."""

    def __init__(self, total: int, slots: int):
        self.left = total
        self.p = min(1.0, 0.8 * total / slots) if slots else 0.0

    def take(self, rng: random.Random) -> bool:
        if self.left > 0 and rng.random() < self.p:
            self.left -= 1
            return True
        return False


class _CodeBook:
    """Object codes for the whole load, taken from the serial table in one block per division and
    class when the load ends; in between, codes are counted locally."""

    def __init__(self):
        self.used: dict[tuple[str, str], int] = {}
        self.base: dict[tuple[str, str], int] = {}

    def next(self, division: str, class_name: str) -> str:
        key = (division, class_name)
        if key not in self.base:
            # Reserve a generous block now so codes can be written before the load ends.
            first = allocate_object_codes(division, class_name, 1)[0]
            self.base[key] = int(first[12:])
            self.used[key] = 0
        serial = self.base[key] + self.used[key]
        self.used[key] += 1
        return f"{division}{_CLASS_CODES[class_name]}{serial:09d}"

    def commit(self) -> None:
        # The first code of each block came from allocate_object_codes; move the serials past the rest.
        for (division, class_name), used in self.used.items():
            if used > 1:
                allocate_object_codes(division, class_name, used - 1)


def _class_codes() -> dict[str, str]:
    from app.standards.object_classes import CLASSES

    return {name: c.code for name, c in CLASSES.items()}


_CLASS_CODES = _class_codes()


def _layout(spec: dict) -> list[tuple[int | None, int, str, str]]:
    """(unit number or None, floor, room number, use) for a building spec, deterministic.

    Rooms go floor by floor; buildings of 4 floors or more have units (stairwells). Room numbers are
    floor and index, 301, 1502. Ground floors of mixed and commercial buildings are shops; the
    upper floors of commercial and office buildings are offices.
    """
    floors, count, use = spec["floors"], spec["rooms"], spec["use"]
    units = 1 if floors < 4 else max(1, min(6, math.ceil(count / (floors * 2))))
    per_floor = max(1, math.ceil(count / (units * floors)))
    rooms = []
    for unit in range(1, units + 1):
        for floor in range(1, floors + 1):
            for index in range(1, per_floor + 1):
                if len(rooms) == count:
                    return rooms
                if use in ("commercial", "office"):
                    room_use = "shop" if floor == 1 else "office"
                elif use == "mixed" and floor == 1:
                    room_use = "shop"
                else:
                    room_use = "residential"
                rooms.append((unit if floors >= 4 else None, floor, f"{floor}{index:02d}", room_use))
    # More rooms than floors × units × per_floor can hold does not happen: per_floor is rounded up.
    return rooms


def _footprint(lon: float, lat: float, rng: random.Random) -> dict:
    """A small rectangle around the point, 10-40 m a side."""
    dx = rng.uniform(5, 20) / (111_320 * math.cos(math.radians(lat)))
    dy = rng.uniform(5, 12) / 110_574
    ring = [[lon - dx, lat - dy], [lon + dx, lat - dy], [lon + dx, lat + dy], [lon - dx, lat + dy], [lon - dx, lat - dy]]
    return {"type": "Polygon", "coordinates": [[[round(x, 7), round(y, 7)] for x, y in ring]]}


def _birth(number: str) -> date:
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


_ALPHABET = credit_code.ALPHABET


def _credit_code(prefix: str, division: str, serial: int) -> str:
    """A valid code: registration + type, division, organisation code MA + 6 chars + check, check."""
    body = ""
    for _ in range(6):
        serial, digit = divmod(serial, len(_ALPHABET))
        body = _ALPHABET[digit] + body
    org8 = "MA" + body
    first17 = f"{prefix}{division}{org8}{credit_code.org_check_char(org8)}"
    return first17 + credit_code.check_char(first17)
