"""Comparing a department's register with the actual organisations and the standard addresses.

Each row ends in one class (app.compare.models.CLASSES) with its reasons:
- the organisation is found by its credit code first, else by its normalised name (exactly, or
  fuzzily among the organisations at the address the row names);
- the row's address is parsed with the standards library (prefixes, numerals, 栋/号楼…), its road
  looked up among the roads of the district (or township) the text names, fuzzily with rapidfuzz
  so that a typo (人明路) still finds 人民路, and its door plate by road and number;
- matched: the organisation's active binding lies under that door plate; suspicious: the code fails
  its check or belongs to another name, the address does not exist, the organisation is bound
  elsewhere, or the address exists and has organisations recorded but not this one; new: nothing known
  (an unknown organisation at an address where no organisation is recorded yet).

Everything is read once into memory (`Matcher`), so a row costs no query: 18,000 rows against a city
of 200,000 organisations take seconds, not minutes.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from flask import current_app
from rapidfuzz import fuzz, process
from sqlalchemy import func, select

from app.actuals.models import Binding, Organisation
from app.extensions import db
from app.places.addresses import area_index
from app.places.models import Area, Building, DoorPlate, Road, Room
from app.standards import address_text, credit_code

from .models import REASONS

NAME_SAME = 80  # two names this similar (rapidfuzz ratio, 0-100, after name_key) are one organisation
ROAD_CUTOFF = 60  # a road name less similar than this is not the road the text means

_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】")
_NOT_NAME = re.compile(r"[\s\W_]+")
_LEGAL_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "公司")


def name_key(name: str) -> str:
    """An organisation name as compared: width folded, remarks in brackets, spaces and punctuation
    gone, the legal form (有限公司, 有限责任公司…) dropped: 襄阳 人民商贸（普通合伙）有限责任公司 → 襄阳人民商贸."""
    text = _BRACKETS.sub("", unicodedata.normalize("NFKC", name)).upper()
    text = _NOT_NAME.sub("", text)
    for form in _LEGAL_FORMS:
        if text.endswith(form) and len(text) > len(form):
            return text[:-len(form)]
    return text


@dataclass
class Place:
    """Where a row's address text leads: the door plates it may mean (usually one), or why none."""
    plates: list[int] = field(default_factory=list)
    district_id: int | None = None
    area_id: int | None = None  # the township (else district) the text names: whose street office checks
    problem: str | None = None  # why no plate: Chinese, for the department


@dataclass
class Verdict:
    klass: str
    reasons: list[str]
    explanation: str
    name_score: float | None = None
    organisation_id: int | None = None
    plate_id: int | None = None  # the door plate the row names
    found_plate_id: int | None = None  # where the organisation is bound
    district_id: int | None = None
    area_id: int | None = None


class Matcher:
    """The organisations, bindings, roads and door plates inside one jurisdiction, in memory."""

    def __init__(self, jurisdiction):
        in_scope = jurisdiction.clause(Area)
        areas = db.session.execute(select(Area.id, Area.code, Area.name, Area.level)
                                   .where(Area.level.in_(("city", "district", "township")))).all()
        district_by_code = {code: area_id for area_id, code, _, level in areas if level == "district"}
        self.district_of_area = {}  # any area id -> its district's id
        self.districts_named: dict[str, list[int]] = defaultdict(list)
        self.townships_named: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for area_id, code, name, level in areas:
            if level == "district":
                self.districts_named[name].append(area_id)
            elif level == "township" and code[:6] in district_by_code:
                self.townships_named[name].append((area_id, district_by_code[code[:6]]))
        names = {name for *_, name, _ in areas} | {current_app.config["PROVINCE_NAME"]}
        self.prefixes = tuple(sorted(names, key=len, reverse=True))

        plates = db.session.execute(
            select(DoorPlate.id, DoorPlate.road_id, DoorPlate.number, DoorPlate.object_code, DoorPlate.area_id, Area.code)
            .join(Area, DoorPlate.area_id == Area.id).where(DoorPlate.status == "active", in_scope)).all()
        self.plate_by: dict[tuple[int, str], int] = {}
        self.plate_info: dict[int, tuple] = {}  # id -> (object code, grid area id, road id, number)
        for plate_id, road_id, number, code, area_id, area_code in plates:
            self.plate_by[(road_id, number)] = plate_id
            self.plate_info[plate_id] = (code, area_id, road_id, number)
            self.district_of_area.setdefault(area_id, district_by_code.get(area_code[:6]))
        road_ids = {info[2] for info in self.plate_info.values()}
        self.road_name: dict[int, str] = {}
        self.roads_in: dict[int, dict[str, int]] = defaultdict(dict)  # district id -> {name: road id}
        for road_id, name, district_id in db.session.execute(select(Road.id, Road.name, Road.area_id)
                                                             .where(Road.status == "active")):
            if road_id in road_ids:
                self.road_name[road_id] = name
                self.roads_in[district_id][name] = road_id

        orgs = db.session.execute(select(Organisation.id, Organisation.name, Organisation.credit_code)
                                  .join(Area, Organisation.area_id == Area.id)
                                  .where(Organisation.status == "active", in_scope)).all()
        self.org_name: dict[int, str] = {}
        self.org_code: dict[int, str | None] = {}
        self.by_code: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = defaultdict(list)
        for org_id, name, code in orgs:
            self.org_name[org_id], self.org_code[org_id] = name, code
            if code:
                self.by_code[code] = org_id
            self.by_name[name_key(name)].append(org_id)
        self.plate_of_org: dict[int, int] = {}
        self.orgs_at: dict[int, list[int]] = defaultdict(list)
        bound = (select(Binding.organisation_id, func.coalesce(Binding.door_plate_id, Building.door_plate_id))
                 .outerjoin(Room, Binding.room_id == Room.id).outerjoin(Building, Room.building_id == Building.id)
                 .where(Binding.active))
        for org_id, plate_id in db.session.execute(bound):
            if org_id in self.org_name and plate_id in self.plate_info:
                self.plate_of_org[org_id] = plate_id
                self.orgs_at[plate_id].append(org_id)

    # --- addresses ---------------------------------------------------------------------------
    def plate_text(self, plate_id: int) -> str:
        code, area_id, road_id, number = self.plate_info[plate_id]
        return f"{area_index.prefix(area_id)}{self.road_name[road_id]}{number}号"

    def place(self, text: str) -> Place:
        place = Place()
        districts = [d for name, ids in self.districts_named.items() if name in text for d in ids]
        townships = [t for name, ts in self.townships_named.items() if name in text for t in ts
                     if not districts or t[1] in districts]
        if not districts:
            districts = sorted({d for _, d in townships}) or list(self.roads_in)
        if len(districts) == 1:
            place.district_id = districts[0]
        place.area_id = townships[0][0] if len(townships) == 1 else place.district_id
        try:
            parts = address_text.parse(text, self.prefixes)
        except ValueError as e:
            parts = self._door_plate_part(text)
            if parts is None:
                place.problem = f"地址无法识别：{e}"
                return place
        road, number = parts["road"], parts["number"]
        if not road or not number:
            place.problem = "地址不完整：缺少路（街、巷）名或门牌号"
            return place
        roads = [(self.roads_in[d][road], 100.0) for d in districts if road in self.roads_in[d]]
        if not roads:
            for d in districts:
                names = self.roads_in[d]
                roads += [(names[name], score) for name, score, _ in
                          process.extract(road, list(names), scorer=fuzz.ratio, score_cutoff=ROAD_CUTOFF, limit=5)]
        if not roads:
            where = "该区县" if place.district_id else "本辖区"
            place.problem = f"{where}没有“{road}”这条路（街、巷）"
            return place
        # The closest road that has this door number: a typo may sit as near to a second road.
        for score in sorted({s for _, s in roads}, reverse=True):
            place.plates = [self.plate_by[(r, number)] for r, s in roads if s == score and (r, number) in self.plate_by]
            if place.plates:
                break
        if not place.plates:
            place.problem = f"“{self.road_name[roads[0][0]]}”没有 {number} 号门牌"
        elif place.district_id is None:
            found = {self.district_of_area.get(self.plate_info[p][1]) for p in place.plates}
            place.district_id = found.pop() if len(found) == 1 else None
        return place

    def _door_plate_part(self, text: str) -> dict | None:
        """The parts of the text up to its door number, when what follows is a clerk's remark the
        standard form has no place for (人民路12号附近, 12号临街门面, 12号东50米)."""
        for at in (i for i, c in enumerate(text) if c == "号"):
            try:
                parts = address_text.parse(text[:at + 1], self.prefixes)
            except ValueError:
                continue
            if parts["road"] and parts["number"]:
                return parts
        return None

    # --- rows --------------------------------------------------------------------------------
    def classify(self, row: dict) -> Verdict:
        """The verdict for one checked row {name, credit_code, address, …} (see the module's docstring)."""
        place = self.place(row["address"])
        code = row.get("credit_code") or ""
        verdict = Verdict("new", [], "", plate_id=place.plates[0] if place.plates else None,
                          district_id=place.district_id, area_id=place.area_id)
        org_id = self.by_code.get(code) if code else None
        if code and not credit_code.acceptable(code):
            org_id = self._by_name_at(row["name"], place)[0]
            problem = row.get("code_problem") or credit_code.problems(code)[0].message
            return self._suspicious(verdict, "code_invalid", problem, org_id)
        if org_id is not None:
            score = fuzz.ratio(name_key(row["name"]), name_key(self.org_name[org_id]))
            verdict.name_score = score
            if score < NAME_SAME:
                return self._suspicious(verdict, "code_other_name",
                                        f"该信用代码登记的单位是“{self.org_name[org_id]}”", org_id)
        else:
            org_id, score = self._by_name_at(row["name"], place)
            verdict.name_score = score
            if org_id is not None and code and self.org_code[org_id] and self.org_code[org_id] != code:
                return self._suspicious(verdict, "code_differs",
                                        f"“{self.org_name[org_id]}”的信用代码是 {self.org_code[org_id]}", org_id)
        return self._at_address(verdict, place, org_id)

    def _by_name_at(self, name: str, place: Place) -> tuple[int | None, float | None]:
        """The organisation of this name: at the row's address (the closest name there), else the one
        organisation of exactly this name anywhere."""
        here = {org_id: self.org_name[org_id] for p in place.plates for org_id in self.orgs_at.get(p, ())}
        if here:
            best = process.extractOne(name, here, scorer=fuzz.ratio, processor=name_key, score_cutoff=NAME_SAME)
            if best:
                return best[2], best[1]
        same = self.by_name.get(name_key(name), [])
        return (same[0], 100.0) if len(same) == 1 else (None, None)

    def _at_address(self, verdict: Verdict, place: Place, org_id: int | None) -> Verdict:
        found = self.plate_of_org.get(org_id) if org_id is not None else None
        verdict.organisation_id, verdict.found_plate_id = org_id, found
        if not place.plates:
            return self._suspicious(verdict, "address_unknown", place.problem, org_id)
        if org_id is not None and found in place.plates:
            verdict.plate_id = found
            verdict.klass, verdict.explanation = "matched", f"与实有单位“{self.org_name[org_id]}”一致"
            return verdict
        if org_id is not None and found is not None:
            return self._suspicious(verdict, "moved", f"“{self.org_name[org_id]}”登记在{self.plate_text(found)}", org_id)
        others = [o for p in place.plates for o in self.orgs_at.get(p, ())]
        if org_id is not None or others:
            what = f"该处登记的单位有：{'、'.join(self.org_name[o] for o in others[:3])}" if others else "该单位未绑定地址"
            return self._suspicious(verdict, "not_there", f"{self.plate_text(place.plates[0])}存在，但{what}", org_id)
        verdict.explanation = f"地址存在（{self.plate_text(place.plates[0])}），尚无该处单位的记录"
        return verdict

    def _suspicious(self, verdict: Verdict, reason: str, detail: str | None, org_id: int | None) -> Verdict:
        verdict.klass, verdict.reasons = "suspicious", [reason]
        verdict.explanation = f"{REASONS[reason]}：{detail}" if detail else REASONS[reason]
        verdict.organisation_id = org_id
        verdict.found_plate_id = self.plate_of_org.get(org_id) if org_id is not None else None
        return verdict

    def code_of(self, plate_id: int | None) -> str | None:
        return self.plate_info[plate_id][0] if plate_id is not None else None
