"""A department register with planted problems, generated against a demo city, for issue 9.

    .venv/bin/python bench/register_gen.py --db /tmp/yb-seed/yibiao.db --rows 18000 --seed 9 \\
        --out bench/out/register-18000.xlsx

A department (transport, say) uploads its register of companies (单位名称, 统一社会信用代码, 地址,
联系人, 联系电话); the comparison classifies each row against the actual organisations and the
standard addresses as matched, suspicious (with reasons) or new. The acceptance test of issue 9 is
a register of 18,000 rows with known planted problems, classified with at least 95 % precision and
95 % recall for "suspicious", each kind of problem measured on its own. This script makes that
register from a demo city's SQLite database (built by `bench/seed_load.py`), read with `sqlite3`
directly (no Flask app, read-only), and writes it as .xlsx with the truth next to it as JSON
(`register-18000-truth.json`).

Planted types (share of the rows; the rest are clean):

| type            | share | the row                                                         | expected   | reason          |
|-----------------|------:|-----------------------------------------------------------------|------------|-----------------|
| clean           |  rest | a bound organisation: its name, code and address                | matched    |                 |
| no_code         |  4 %  | as clean, credit code left blank                                | matched    |                 |
| typo_name       |  8 %  | one character of the name replaced or deleted, 有限责任公司,      | matched    |                 |
|                 |       | 有限公司 dropped, 襄阳X有限公司 as X公司, spaces, full-width       |            |                 |
|                 |       | brackets （襄阳） or （个体）                                     |            |                 |
| typo_address    |  8 %  | one road character replaced (never another real road nearby),   | matched    |                 |
|                 |       | 十二号, full-width digits, 号楼 for 栋, no township, spaces,      |            |                 |
|                 |       | a remark after the number (附近, 临街门面, 东50米, （…对面）)       |            |                 |
| wrong_address   |  2 %  | a door number the road does not have, or a road no district has | suspicious | address_unknown |
| moved           |  2 %  | another real door plate of the same district                    | suspicious | moved           |
| invalid_code    |  2 %  | the code's check character altered (still 18 characters)        | suspicious | code_invalid    |
| code_other_name |  1 %  | one organisation's code with a made-up company's name and       | suspicious | code_other_name |
|                 |       | address (a door plate where nobody is bound)                    |            |                 |
| phantom         | 1.5 % | a made-up company at a door plate where others are bound        | suspicious | not_there       |
| unknown         |  3 %  | a made-up company at a door plate where nobody is bound         | new        |                 |

Addresses are written the way a clerk types them: sometimes with 湖北省, usually with 襄阳市, always
with the district (road names repeat across districts) except, now and then, for a road whose name
no other district has; sometimes with the township; the building, unit and room of a business bound
to a room most of the time. Each organisation appears at most once. Made-up names collide with no
organisation's (spaces removed); made-up codes are valid and in nobody's use.

In Python:

    from register_gen import generate, report, write_truth, write_xlsx
    rows, truth = generate("/tmp/yb-seed/yibiao.db", 18000, 9)
    ...  # classify; classified = {row index: (klass, [reason, …])}
    report(truth, classified)   # prints the table, returns the figures

Each truth entry: type, expected, reason, organisation_id (the organisation whose name or code the
row carries; None for made-up companies), plus plate_id (the door plate the address denotes, None
for wrong_address) and variant (which typo or which kind of wrong address).
"""
from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.standards import credit_code  # noqa: E402

HEADER = ["单位名称", "统一社会信用代码", "地址", "联系人", "联系电话"]
PROVINCE = "湖北省"  # config.PROVINCE_NAME's default
TARGET = 0.95

# type: (share of the rows, expected class, expected reason); clean takes the rest.
TYPES: dict[str, tuple[float | None, str, str | None]] = {
    "clean": (None, "matched", None),
    "no_code": (0.04, "matched", None),
    "typo_name": (0.08, "matched", None),
    "typo_address": (0.08, "matched", None),
    "wrong_address": (0.02, "suspicious", "address_unknown"),
    "moved": (0.02, "suspicious", "moved"),
    "invalid_code": (0.02, "suspicious", "code_invalid"),
    "code_other_name": (0.01, "suspicious", "code_other_name"),
    "phantom": (0.015, "suspicious", "not_there"),
    "unknown": (0.03, "new", None),
}
USES_ORG = {"clean", "no_code", "typo_name", "typo_address", "wrong_address", "moved", "invalid_code",
            "code_other_name"}

# How a clerk writes an address.
P_PROVINCE = 0.2
P_CITY = 0.85  # without the province
P_TOWNSHIP = 0.35
P_NO_DISTRICT = 0.05  # only for a road name no other district has
ROOM_TAIL = {"room": 0.75, "building": 0.10, "plate": 0.15}  # a business bound to a room
OTHER_TAIL = {"plate": 0.55, "building": 0.15, "room": 0.30}  # addresses at other plates

# Characters a clerk confuses (similar in sound or shape), for names and road names.
CONFUSABLE = dict(zip(
    "人民解放中原长虹春园檀溪丹江航空建设胜利主新华前进友谊和平光明幸福朝阳东风团结振汉襄樊西米公诸葛隆岘山"
    "鹿门卧龙习家荆州南湖湾津清河柿铺里紫贞高天追日征邓城屏定炮大庆铁佛便店餐馆理发五金药服装果面茶叶文具维修部"
    "粮油贸科技筑程物流汽配件食品信息术农业开机械制造",
    "入明介方忠源常红椿圆坛西单将杭控健社盛力住心化钱近有义合坪广名兴富潮杨冬峰图洁震汗镶凡希迷工朱格龙现三"
    "路们握隆西佳京洲男胡弯金青何市浦理子真搞添锥曰正登成平订泡太青帖弗边点参官里法伍今要福妆菓麪荼页纹俱唯休步"
    "良由茂棵枝竹城务留气佩建实晶言熄木侬叶升几戒製遭"))
ROAD_SUFFIXES = ("大道", "路", "街", "巷")
FAKE_ROAD_STEMS = ("梧桐", "玉兰", "枫林", "金桂", "翠柳", "银杏", "桃源", "芙蓉", "杏林", "锦绣", "书香", "青松",
                   "白云", "碧波", "凤凰", "麒麟", "石榴", "樱花", "海棠", "牡丹", "菊香", "竹林", "松鹤", "丰收",
                   "富康", "康宁", "育才", "学府", "文昌", "如意", "吉祥", "瑞景", "雅苑", "凌霄")
NEW_STEMS = ("鑫盛", "恒达", "宏远", "博源", "金鼎", "瑞丰", "嘉禾", "永兴", "顺达", "天成", "盛世", "兴隆", "福满",
             "广源", "汇丰", "九州", "万家", "百顺", "大成", "同心", "合众", "众诚", "德润", "泰和", "安康", "久安",
             "通达", "远航", "蓝天", "绿源", "佳美", "红星", "金星", "银河", "星光", "腾飞", "卓越", "宏图", "锦程",
             "昌盛", "荣辉", "俊杰", "海纳", "鼎新", "祥瑞")
NEW_TRADES = ("运输", "物流", "货运", "客运", "汽车服务", "汽车租赁", "商贸", "建材", "装饰工程", "餐饮管理", "劳务",
              "电子", "环保科技", "广告", "文化传媒", "仓储", "冷链物流", "驾驶员培训")
NEW_SHOPS = ("汽修店", "洗车行", "快餐店", "超市", "烟酒店", "建材店", "家电维修部", "手机店", "花店", "早餐店",
             "烧烤店", "轮胎店", "货运部", "搬家服务部")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅建国志文斌辉鹏飞宇浩然子涵梓轩欣怡雨婷佳琪晨阳思远一诺"
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
                   "156", "157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "185", "186", "187",
                   "188", "189", "191", "198", "199")
_CN_DIGITS = "零一二三四五六七八九"
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
REMARKS = ("附近", "旁", "临街门面", "东50米", "一楼门面", "101铺", "（农贸市场对面）", "（小区东门）", "北侧", "一楼")


# --- small helpers ---------------------------------------------------------------------------

def chinese_number(n: int) -> str:
    """12 -> 十二, 105 -> 一百零五, 110 -> 一百一十 (1-9999)."""
    s, out, zero = str(n), "", False
    for i, ch in enumerate(s):
        d, pos = int(ch), len(s) - 1 - i
        if d == 0:
            zero = True
            continue
        if zero and out:
            out += "零"
        zero = False
        out += _CN_DIGITS[d] + ("", "十", "百", "千")[pos]
    return out[1:] if out.startswith("一十") else out


def within_one_edit(a: str, b: str) -> bool:
    """Levenshtein distance of a and b at most 1."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) <= 1
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


def road_stem(name: str) -> tuple[str, str]:
    for suffix in ROAD_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[:-len(suffix)], suffix
    return name, ""


def _weighted(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


# --- the city, loaded once ---------------------------------------------------------------------

class City:
    """What the generator needs of a demo city database, in a handful of queries."""

    def __init__(self, con: sqlite3.Connection):
        q = con.execute
        self.con = con
        self.area_name: dict[str, str] = {}
        area_code: dict[int, str] = {}
        self.city = "襄阳市"
        for area_id, code, name, level in q("SELECT id, code, name, level FROM area"):
            self.area_name[code] = name
            area_code[area_id] = code
            if level == "city":
                self.city = name
        # Roads of every status: a retired name is still a real one, never planted as a typo or a fake.
        self.roads: dict[int, tuple[str, str]] = {}
        self.road_names: dict[str, set[str]] = defaultdict(set)  # district code -> names
        self.districts_of: dict[str, set[str]] = defaultdict(set)  # name -> district codes
        for road_id, name, area_id in q("SELECT id, name, area_id FROM road"):
            district = area_code[area_id][:6]
            self.roads[road_id] = (name, district)
            self.road_names[district].add(name)
            self.districts_of[name].add(district)
        self.road_chars = {c for name in self.districts_of for c in road_stem(name)[0]}
        # Door plates: active ones to write; every number ever given per road, never planted as wrong.
        self.plates: dict[int, tuple[int, str, str]] = {}  # id -> (road id, number, grid code)
        self.numbers: dict[int, set[str]] = defaultdict(set)
        for plate_id, road_id, number, area_id, status in q(
                "SELECT id, road_id, number, area_id, status FROM door_plate ORDER BY id"):
            self.numbers[road_id].add(number)
            if status == "active":
                self.plates[plate_id] = (road_id, number, area_code[area_id])
        self.plates_by_district: dict[str, list[int]] = defaultdict(list)
        for plate_id, (_, _, grid) in self.plates.items():
            self.plates_by_district[grid[:6]].append(plate_id)
        self.plate_of_building: dict[int, int] = {}
        self.numbered_buildings: dict[int, list[str]] = defaultdict(list)  # plate -> building numbers
        building_number: dict[int, str | None] = {}
        active_buildings = set()
        for building_id, plate_id, number, status in q(
                "SELECT id, door_plate_id, number, status FROM building ORDER BY id"):
            self.plate_of_building[building_id] = plate_id
            building_number[building_id] = number
            if status == "active":
                active_buildings.add(building_id)
                if number and plate_id in self.plates:
                    self.numbered_buildings[plate_id].append(number)
        # Bound organisations, and the plates anybody is bound to (directly or through a room).
        self.bound_plates: set[int] = set()
        self.orgs: list[tuple[int, str, str, int, tuple | None]] = []  # (id, name, code, plate, tail)
        for (org_id, name, code, org_status, room_id, plate_id, room_number, building_id, unit_number,
             room_status) in q(
                "SELECT o.id, o.name, o.credit_code, o.status, b.room_id, b.door_plate_id, r.number, "
                "r.building_id, u.number, r.status FROM binding b JOIN organisation o ON o.id = b.organisation_id "
                "LEFT JOIN room r ON r.id = b.room_id LEFT JOIN unit u ON u.id = r.unit_id "
                "WHERE b.active = 1 ORDER BY o.id"):
            if room_id is not None:
                if building_id not in self.plate_of_building:
                    continue
                plate_id = self.plate_of_building[building_id]
            self.bound_plates.add(plate_id)
            if org_status != "active" or plate_id not in self.plates:
                continue
            if room_id is not None:
                if room_status != "active" or building_id not in active_buildings:
                    continue
                tail = (building_number[building_id], unit_number, room_number)
            else:
                tail = None
            self.orgs.append((org_id, name, code or "", plate_id, tail))
        self.org_names = {name.replace(" ", "") for (name,) in q("SELECT name FROM organisation")}
        self.org_codes = {code for (code,) in q("SELECT credit_code FROM organisation") if code}

    def rooms_of(self, plate_ids) -> dict[int, list[tuple]]:
        """plate -> [(building number, unit number, room number)] of its active rooms, in id order."""
        out: dict[int, list[tuple]] = defaultdict(list)
        plate_ids = sorted(set(plate_ids))
        for i in range(0, len(plate_ids), 500):
            chunk = plate_ids[i:i + 500]
            marks = ",".join("?" * len(chunk))
            for plate_id, b_number, u_number, r_number in self.con.execute(
                    "SELECT bu.door_plate_id, bu.number, u.number, r.number FROM room r "
                    "JOIN building bu ON bu.id = r.building_id LEFT JOIN unit u ON u.id = r.unit_id "
                    f"WHERE bu.door_plate_id IN ({marks}) AND r.status = 'active' AND bu.status = 'active' "
                    "ORDER BY r.id", chunk):
                out[plate_id].append((b_number, u_number, r_number))
        return out


# --- the generator -----------------------------------------------------------------------------

class _Generator:
    def __init__(self, city: City, rng: random.Random):
        self.city, self.rng = city, rng
        self.names_used: set[str] = set()
        self.codes_used: set[str] = set()
        self.fake_stems = [s for s in FAKE_ROAD_STEMS if not set(s) & city.road_chars]

    # --- people ---
    def contact(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choices(GIVEN, k=self.rng.choice((1, 2, 2))))

    def phone(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10 ** 8):08d}"

    # --- made-up companies ---
    def new_name(self, district: str) -> tuple[str, str]:
        """(name, kind) of a company that does not exist: no organisation's name, not used before."""
        rng = self.rng
        short = self.city.area_name.get(district, "")[:-1] or "襄阳"
        for _ in range(1000):
            stem = rng.choice(NEW_STEMS)
            if rng.random() < 0.55:
                kind, trade = "enterprise", rng.choice(NEW_TRADES)
                name = rng.choice((f"襄阳{stem}{trade}有限公司", f"襄阳市{stem}{trade}有限公司",
                                   f"湖北{stem}{trade}有限公司", f"襄阳{stem}{trade}有限责任公司",
                                   f"{short}{stem}{trade}有限公司"))
            else:
                kind, shop = "individual", rng.choice(NEW_SHOPS)
                name = rng.choice((f"{stem}{shop}", f"{short}{stem}{shop}",
                                   f"{rng.choice(SURNAMES)}记{shop}", f"{short}{rng.choice(SURNAMES)}记{shop}"))
            key = name.replace(" ", "")
            if key not in self.city.org_names and key not in self.names_used:
                self.names_used.add(key)
                return name, kind
        raise RuntimeError("ran out of made-up company names")

    def new_code(self, kind: str, district: str) -> str:
        """A valid credit code nobody has."""
        alphabet = credit_code.ALPHABET
        while True:
            org8 = "MA" + "".join(self.rng.choices(alphabet, k=6))
            first17 = f"{'92' if kind == 'individual' else '91'}{district}{org8}{credit_code.org_check_char(org8)}"
            code = first17 + credit_code.check_char(first17)
            if code not in self.city.org_codes and code not in self.codes_used:
                self.codes_used.add(code)
                return code

    def invalid_code(self, code: str) -> str:
        wrong = self.rng.choice([c for c in credit_code.ALPHABET if c != code[17]])
        return code[:17] + wrong

    # --- names with typos ---
    def typo_name(self, name: str) -> tuple[str, str]:
        rng, city = self.rng, self.city
        serial_at = next((i for i, c in enumerate(name) if c.isdigit()), len(name))
        replaceable = [i for i in range(serial_at) if name[i] in CONFUSABLE]
        options = {"spaces": 2}
        if replaceable:
            options["replace"] = 4
        if serial_at >= 4:
            options["delete"] = 2
        if name.endswith("有限公司"):
            options["liability"] = 2
            options["drop_company"] = 1
            if name.startswith("襄阳"):
                options["short_name"] = 1
        options["brackets"] = 1
        for _ in range(50):
            variant = _weighted(rng, options)
            if variant == "replace":
                i = rng.choice(replaceable)
                new = name[:i] + CONFUSABLE[name[i]] + name[i + 1:]
            elif variant == "delete":
                i = rng.randrange(serial_at)
                new = name[:i] + name[i + 1:]
            elif variant == "liability":
                new = name[:-4] + "有限责任公司"
            elif variant == "drop_company":
                new = name[:-4]
            elif variant == "short_name":  # 襄阳人民商贸12有限公司 -> 人民商贸12公司: no city, a shorter legal form
                new = name[2:-4] + "公司"
            elif variant == "brackets":  # 襄阳X有限公司 -> X（襄阳）有限公司 / （襄阳）X有限公司; X号店（个体）
                if name.endswith("有限公司") and name.startswith("襄阳"):
                    new = (f"{name[2:-4]}（襄阳）有限公司" if rng.random() < 0.5 else f"（襄阳）{name[2:]}")
                else:
                    new = name + rng.choice(("（个体）", "（个体工商户）"))
            else:
                chars = list(name)
                gaps = [i for i in range(1, len(name)) if not (name[i - 1].isdigit() and name[i].isdigit())]
                for i in sorted(rng.sample(gaps, k=min(len(gaps), rng.choice((1, 1, 2)))), reverse=True):
                    chars.insert(i, "　" if rng.random() < 0.15 else " ")
                new = "".join(chars)
            key = new.replace(" ", "").replace("　", "")
            if new != name and (key == name or key not in city.org_names) and len(key) >= 3:
                return new, variant
        return name + " ", "spaces"

    # --- addresses ---
    def segments(self, plate_id: int, tail, *, road: str | None = None, number: str | None = None,
                 township: bool | None = None, district_optional: bool = True) -> list[list[str]]:
        """[[kind, text], …] of the address of a plate (and a tail: building, unit, room numbers) as a
        clerk writes it. `road`/`number` override the plate's."""
        rng, city = self.rng, self.city
        road_id, plate_number, grid = city.plates[plate_id]
        road = road if road is not None else city.roads[road_id][0]
        number = number if number is not None else plate_number
        province = rng.random() < P_PROVINCE
        with_city = province or rng.random() < P_CITY
        with_district = not (district_optional and len(city.districts_of.get(road, ())) == 1
                             and rng.random() < P_NO_DISTRICT)
        if township is None:
            township = with_district and rng.random() < P_TOWNSHIP
        segs = []
        if province:
            segs.append(["province", PROVINCE])
        if with_city:
            segs.append(["city", city.city])
        if with_district:
            segs.append(["district", city.area_name[grid[:6]]])
        if township and grid[:9] in city.area_name:
            segs.append(["township", city.area_name[grid[:9]]])
        segs.append(["road", road])
        segs.append(["number", f"{number}号"])
        if tail:
            building, unit, room = tail
            if building:
                segs.append(["building", f"{building}栋"])
            if unit:
                segs.append(["unit", f"{unit}单元"])
            if room:
                segs.append(["room", f"{room}室"])
        return segs

    def own_tail(self, tail):
        """The tail of a room-bound organisation's address, as the clerk writes it: mostly all of it."""
        if not tail:
            return None
        how = _weighted(self.rng, ROOM_TAIL)
        if how == "room":
            return tail
        if how == "building" and tail[0]:
            return (tail[0], None, None)
        return None

    def typo_address(self, plate_id: int, tail) -> tuple[list[list[str]], str]:
        rng, city = self.rng, self.city
        road_id, number, grid = city.plates[plate_id]
        road = city.roads[road_id][0]
        options = {"spaces": 2, "fullwidth": 2, "no_township": 1}
        if number.isdigit() and 0 < int(number) < 10000:
            options["chinese_number"] = 2
        if tail and tail[0]:
            options["haolou"] = 2
        typo_road = self._road_typo(road, grid[:6])
        if typo_road:
            options["road_char"] = 3
        options["remark"] = 2
        variant = _weighted(rng, options)
        if variant == "remark":  # the door plate, then what a clerk adds: 附近, 临街门面, （…对面）
            return self.segments(plate_id, None) + [["remark", rng.choice(REMARKS)]], variant
        if variant == "road_char":
            return self.segments(plate_id, tail, road=typo_road, district_optional=False), variant
        if variant == "no_township":
            return self.segments(plate_id, tail, township=False), variant
        segs = self.segments(plate_id, tail)
        if variant == "chinese_number":
            for seg in segs:
                if seg[0] == "number":
                    seg[1] = chinese_number(int(number)) + "号"
        elif variant == "fullwidth":
            for seg in segs:
                if seg[0] in ("number", "building", "unit", "room"):
                    seg[1] = seg[1].translate(_FULL_WIDTH)
        elif variant == "haolou":
            for seg in segs:
                if seg[0] == "building":
                    seg[1] = seg[1][:-1] + "号楼"
        else:  # spaces: between parts, or inside the number
            gaps = list(range(1, len(segs)))
            for i in sorted(rng.sample(gaps, k=min(len(gaps), rng.choice((1, 2, 3)))), reverse=True):
                segs.insert(i, ["space", " "])
            if rng.random() < 0.3:
                for seg in segs:
                    if seg[0] == "number":
                        seg[1] = seg[1][:-1] + " 号"
        return segs, variant

    def _road_typo(self, road: str, district: str) -> str | None:
        """One stem character of the road replaced by a confusable one, if that makes a name no road
        has anywhere and within one edit of no other road of the district; else None."""
        stem, suffix = road_stem(road)
        # Not into a road-type character (鹿门 -> 路门): that changes where the road name ends.
        positions = [i for i, c in enumerate(stem) if c in CONFUSABLE and CONFUSABLE[c] not in "路街道巷"]
        self.rng.shuffle(positions)
        others = [r for r in self.city.road_names[district] if r != road]
        for i in positions:
            new = stem[:i] + CONFUSABLE[stem[i]] + stem[i + 1:] + suffix
            if new in self.city.districts_of or any(within_one_edit(new, other) for other in others):
                continue
            return new
        return None

    def wrong_address(self, plate_id: int, tail) -> tuple[list[list[str]], str]:
        rng, city = self.rng, self.city
        road_id, _, grid = city.plates[plate_id]
        numbers = city.numbers[road_id]
        keep_tail = tail if rng.random() < 0.3 else None
        if rng.random() < 0.6 or not self.fake_stems:
            top = max((int(n) for n in numbers if n.isdigit()), default=0)
            new = top + rng.randint(50, 500)
            while str(new) in numbers:
                new += 1
            return self.segments(plate_id, keep_tail, number=str(new), district_optional=False), "number"
        district_roads = city.road_names[grid[:6]]
        for _ in range(200):
            fake = rng.choice(self.fake_stems) + rng.choice(("路", "路", "街", "大道"))
            if fake not in city.districts_of and not any(within_one_edit(fake, r) for r in district_roads):
                break
        else:
            raise RuntimeError("no fake road name left")
        return (self.segments(plate_id, keep_tail, road=fake, number=str(rng.randint(1, 160)),
                              district_optional=False), "road")


def _join(segs) -> str:
    return "".join(text for _, text in segs)


def _counts(rows: int) -> dict[str, int]:
    counts = {t: round(rows * share) for t, (share, _, _) in TYPES.items() if share is not None}
    counts = {"clean": rows - sum(counts.values()), **counts}
    if counts["clean"] < 0:
        raise ValueError(f"{rows} rows are too few")
    return counts


def generate(db_path: str, rows: int, seed: int) -> tuple[list[dict], list[dict]]:
    """(register rows, truth), `rows` of each, in the same order; see the module docstring."""
    con = sqlite3.connect(f"file:{Path(db_path).resolve()}?mode=ro", uri=True)
    try:
        city = City(con)
        return _generate(city, rows, seed)
    finally:
        con.close()


def _generate(city: City, rows: int, seed: int) -> tuple[list[dict], list[dict]]:
    rng = random.Random(seed)
    gen = _Generator(city, rng)
    counts = _counts(rows)
    types = [t for t, n in counts.items() for _ in range(n)]
    rng.shuffle(types)

    orgs = list(city.orgs)
    rng.shuffle(orgs)
    need_orgs = sum(n for t, n in counts.items() if t in USES_ORG)
    if need_orgs > len(orgs):
        raise ValueError(f"{rows} rows need {need_orgs} bound organisations; the database has {len(orgs)}")
    with_code = [i for i, org in enumerate(orgs) if org[2]]
    if len([t for t in types if t in ("invalid_code", "code_other_name")]) > len(with_code):
        raise ValueError("too few organisations with a credit code")
    bound = sorted(p for p in city.bound_plates if p in city.plates)
    unbound = sorted(set(city.plates) - city.bound_plates)
    if not bound or not unbound:
        raise ValueError("the city needs door plates with and without organisations bound")
    rng.shuffle(bound)
    rng.shuffle(unbound)
    pools = {"bound": bound, "unbound": unbound}

    taken = [False] * len(orgs)
    cursor = {"any": 0, "code": 0}

    def take_org(need_code: bool):
        if need_code:
            while taken[with_code[cursor["code"]]]:
                cursor["code"] += 1
            i = with_code[cursor["code"]]
        else:
            while taken[cursor["any"]]:
                cursor["any"] += 1
            i = cursor["any"]
        taken[i] = True
        return orgs[i]

    def take_plate(pool: str) -> int:
        plates = pools[pool]
        return plates.pop() if plates else rng.choice(sorted(city.bound_plates if pool == "bound" else
                                                             set(city.plates) - city.bound_plates))

    def other_tail(plate_id: int) -> str:
        how = _weighted(rng, OTHER_TAIL)
        if how == "building" and not city.numbered_buildings.get(plate_id):
            how = "plate"
        return how

    # 1. who and where
    plans = []
    for t in types:
        plan = {"type": t, "org": None, "plate": None, "tail": None}
        if t in USES_ORG:
            plan["org"] = take_org(t in ("invalid_code", "code_other_name"))
        if t == "moved":
            own = plan["org"][3]
            district = city.plates[own][2][:6]
            candidates = city.plates_by_district[district]
            if len(candidates) < 2:
                candidates = list(city.plates)
            target = own
            while target == own:
                target = rng.choice(candidates)
            plan["plate"], plan["tail"] = target, other_tail(target)
        elif t == "phantom":
            plan["plate"] = take_plate("bound")
            plan["tail"] = other_tail(plan["plate"])
        elif t in ("unknown", "code_other_name"):
            plan["plate"] = take_plate("unbound")
            plan["tail"] = other_tail(plan["plate"])
        plans.append(plan)

    # 2. rooms of the plates written down to the room
    rooms = city.rooms_of(p["plate"] for p in plans if p["tail"] == "room")

    def tail_at(plate_id: int, how: str):
        if how == "room" and rooms.get(plate_id):
            return rng.choice(rooms[plate_id])
        if how in ("room", "building") and city.numbered_buildings.get(plate_id):
            return (rng.choice(city.numbered_buildings[plate_id]), None, None)
        return None

    # 3. the rows
    register, truth = [], []
    for plan in plans:
        t = plan["type"]
        _, expected, reason = TYPES[t]
        variant = None
        if plan["org"]:
            org_id, name, code, own_plate, own_tail = plan["org"]
            plate_id = own_plate
        else:
            org_id = None
        if t == "moved":
            plate_id = plan["plate"]
            address = _join(gen.segments(plate_id, tail_at(plate_id, plan["tail"])))
        elif t in ("phantom", "unknown", "code_other_name"):
            plate_id = plan["plate"]
            district = city.plates[plate_id][2][:6]
            new_name, kind = gen.new_name(district)
            address = _join(gen.segments(plate_id, tail_at(plate_id, plan["tail"])))
            code = code if t == "code_other_name" else gen.new_code(kind, district)
            name = new_name
        elif t == "typo_address":
            segs, variant = gen.typo_address(plate_id, gen.own_tail(own_tail))
            address = _join(segs)
        elif t == "wrong_address":
            segs, variant = gen.wrong_address(plate_id, gen.own_tail(own_tail))
            address, plate_id = _join(segs), None
        else:
            address = _join(gen.segments(plate_id, gen.own_tail(own_tail)))
        if t == "no_code":
            code = ""
        elif t == "invalid_code":
            code = gen.invalid_code(code)
        elif t == "typo_name":
            name, variant = gen.typo_name(name)
        register.append({"name": name, "credit_code": code, "address": address, "contact": gen.contact(),
                         "phone": gen.phone()})
        truth.append({"type": t, "expected": expected, "reason": reason, "organisation_id": org_id,
                      "plate_id": plate_id, "variant": variant})
    return register, truth


# --- files ---------------------------------------------------------------------------------------

def truth_path(xlsx_path) -> Path:
    """register-18000.xlsx -> register-18000-truth.json, next to it."""
    path = Path(xlsx_path)
    return path.with_name(f"{path.stem}-truth.json")


def write_xlsx(rows: list[dict], path) -> None:
    """The register as a department's .xlsx: one header row, the code and phone columns as text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("登记表")
    for letter, width in zip("ABCDE", (36, 24, 60, 10, 16)):
        sheet.column_dimensions[letter].width = width
    sheet.append(HEADER)

    def text(value):
        cell = WriteOnlyCell(sheet, value=value or None)
        cell.number_format = "@"
        return cell

    for row in rows:
        sheet.append([row["name"], text(row["credit_code"]), row["address"], row["contact"], text(row["phone"])])
    book.save(path)


def write_csv(rows: list[dict], path) -> None:
    """The register as a department's CSV (UTF-8 with a BOM, as Excel saves it)."""
    import csv

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        out.writerows([r["name"], r["credit_code"], r["address"], r["contact"], r["phone"]] for r in rows)


def write_truth(truth: list[dict], path) -> Path:
    """The truth as JSON, one row per line; `path` is the JSON file or the register's .xlsx."""
    path = truth_path(path) if str(path).endswith((".xlsx", ".csv")) else Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("[\n" + ",\n".join(json.dumps(t, ensure_ascii=False) for t in truth) + "\n]\n")
    return path


def read_truth(path) -> list[dict]:
    path = truth_path(path) if str(path).endswith((".xlsx", ".csv")) else Path(path)
    return json.loads(Path(path).read_text(encoding="utf-8"))


# --- the report ----------------------------------------------------------------------------------

def _mark(value: float | None, target: float = TARGET) -> str:
    return "✗" if value is None or value < target else "✓"


def _pct(value: float | None) -> str:
    return "   n/a" if value is None else f"{value:6.1%}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(r):
        last = len(r) - 1
        return "  ".join(str(v).ljust(w) if i in (0, last) else str(v).rjust(w)
                         for i, (v, w) in enumerate(zip(r, widths))).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def report(truth: list[dict], classified: dict, out=print) -> dict:
    """Figures of a classification against the truth, printed as a table and returned.

    `classified` maps a row's 0-based index to (klass, reasons); a row not in it counts as
    unclassified. Per planted type: rows, expected class, share in it. For "suspicious": overall
    precision and recall; per suspicious type, recall (share of the type classified suspicious) and
    precision (of the rows whose reasons hold the type's reason code, the share of that type); per
    other type, how many were called suspicious. Each share is marked against the 95 % target.
    """
    def result(i):
        got = classified.get(i, classified.get(str(i)))
        return (got[0], list(got[1] or [])) if got else (None, [])

    by_type: dict[str, list[int]] = defaultdict(list)
    for i, t in enumerate(truth):
        by_type[t["type"]].append(i)
    order = [t for t in TYPES if t in by_type] + sorted(t for t in by_type if t not in TYPES)
    expected_of = {t: truth[by_type[t][0]]["expected"] for t in order}
    reason_of = {t: truth[by_type[t][0]]["reason"] for t in order}
    results = [result(i) for i in range(len(truth))]
    figures: dict = {"types": {}, "target": TARGET}
    lines = [f"register of {len(truth):,} rows, {sum(1 for r in results if r[0]):,} classified; target {TARGET:.0%}", ""]

    rows = []
    for t in order:
        idx = by_type[t]
        hit = sum(1 for i in idx if results[i][0] == expected_of[t])
        share = hit / len(idx)
        figures["types"][t] = {"rows": len(idx), "expected": expected_of[t], "reason": reason_of[t],
                               "in_expected": hit, "share": share}
        got = Counter(results[i][0] or "-" for i in idx)
        rows.append([t, f"{len(idx):,}", expected_of[t], f"{hit:,}", _pct(share), _mark(share),
                     ", ".join(f"{k} {v}" for k, v in got.most_common() if k != expected_of[t]) or ""])
    lines += _table(["type", "rows", "expected", "in expected", "share", "", "elsewhere"], rows)

    suspicious = [i for i, r in enumerate(results) if r[0] == "suspicious"]
    truly = [i for i, t in enumerate(truth) if t["expected"] == "suspicious"]
    tp = sum(1 for i in suspicious if truth[i]["expected"] == "suspicious")
    precision = tp / len(suspicious) if suspicious else None
    recall = tp / len(truly) if truly else None
    figures["suspicious"] = {"classified": len(suspicious), "planted": len(truly), "true_positives": tp,
                             "precision": precision, "recall": recall}
    lines += ["", f"suspicious overall: {len(suspicious):,} classified, {len(truly):,} planted, {tp:,} right; "
                  f"precision {_pct(precision).strip()} {_mark(precision)}, recall {_pct(recall).strip()} {_mark(recall)}",
              ""]

    rows = []
    for t in order:
        if expected_of[t] != "suspicious":
            continue
        idx, reason = by_type[t], reason_of[t]
        flagged = sum(1 for i in idx if results[i][0] == "suspicious")
        with_reason = sum(1 for i in idx if reason in results[i][1])
        carrying = [i for i, r in enumerate(results) if reason in r[1]]
        right = sum(1 for i in carrying if truth[i]["type"] == t)
        t_recall = flagged / len(idx)
        t_precision = right / len(carrying) if carrying else None
        figures["types"][t].update({"recall": t_recall, "precision": t_precision, "with_reason": with_reason,
                                    "reason_rows": len(carrying), "reason_right": right})
        wrong = Counter(truth[i]["type"] for i in carrying if truth[i]["type"] != t)
        rows.append([t, reason, f"{len(idx):,}", f"{flagged:,}", _pct(t_recall), _mark(t_recall),
                     f"{with_reason:,}", f"{len(carrying):,}", _pct(t_precision), _mark(t_precision),
                     ", ".join(f"{k} {v}" for k, v in wrong.most_common(3))])
    lines += _table(["suspicious type", "reason", "rows", "suspicious", "recall", "", "w/ reason",
                     "rows w/ reason", "precision", "", "reason also on"], rows)

    rows = []
    for t in order:
        if expected_of[t] == "suspicious":
            continue
        idx = by_type[t]
        false = [i for i in idx if results[i][0] == "suspicious"]
        figures["types"][t]["false_suspicious"] = len(false)
        reasons = Counter(r for i in false for r in results[i][1])
        rows.append([t, f"{len(idx):,}", f"{len(false):,}", _pct(len(false) / len(idx)),
                     ", ".join(f"{k} {v}" for k, v in reasons.most_common(4))])
    lines += ["", *_table(["other type", "rows", "false suspicious", "share", "their reasons"], rows)]

    marks = [figures["suspicious"]["precision"], figures["suspicious"]["recall"]]
    marks += [figures["types"][t]["share"] for t in order]
    marks += [figures["types"][t][k] for t in order if expected_of[t] == "suspicious" for k in ("recall", "precision")]
    figures["passed"] = all(m is not None and m >= TARGET for m in marks)
    lines += ["", f"all figures at or above {TARGET:.0%}: {'yes ✓' if figures['passed'] else 'no ✗'}"]
    figures["text"] = "\n".join(lines)
    if out:
        out(figures["text"])
    return figures


# --- the script ----------------------------------------------------------------------------------

def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="the demo city's SQLite database (yibiao.db)")
    parser.add_argument("--rows", type=int, default=18000)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--out", help="the .xlsx (or .csv) to write (default bench/out/register-ROWS.xlsx); the "
                                      "truth goes next to it as …-truth.json")
    args = parser.parse_args(argv)
    out = Path(args.out) if args.out else ROOT / "bench" / "out" / f"register-{args.rows}.xlsx"
    if not Path(args.db).exists():
        sys.exit(f"no database at {args.db}")
    start = time.perf_counter()
    rows, truth = generate(args.db, args.rows, args.seed)
    generated = time.perf_counter() - start
    (write_csv if out.suffix == ".csv" else write_xlsx)(rows, out)
    json_path = write_truth(truth, out)
    counts = Counter(t["type"] for t in truth)
    print(f"{len(rows):,} rows (" + ", ".join(f"{t} {counts[t]:,}" for t in TYPES if counts[t])
          + f") generated in {generated:.1f} s, written in {time.perf_counter() - start - generated:.1f} s: "
          f"{out}, {json_path.name}")


if __name__ == "__main__":
    main()
