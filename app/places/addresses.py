"""Standard addresses: any node of the address chain, found by its object code, with its text.

The text is always assembled from the chain (province, city, district, township, road, number,
building, unit, room), never stored: `湖北省襄阳市樊城区中原街道人民路12号1栋2单元301室`.
"""
from __future__ import annotations

import threading
import time

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.standards import object_code

from .models import AREA_LEVELS, Area, Building, DoorPlate, Room, Unit

# Object classification (from the object code) -> model of the address chain.
ADDRESS_MODELS = {"door_plate": DoorPlate, "building": Building, "unit": Unit, "room": Room}
KIND_LABELS = {"door_plate": "门牌", "building": "楼栋", "unit": "单元", "room": "户室"}
MODEL_KINDS = {model: kind for kind, model in ADDRESS_MODELS.items()}


class _AreaIndex:
    """Every area by id, cached per process: its code, name, level and the address prefix
    "襄阳市樊城区中原街道" (city, district and township names) that every address text needs.

    An area's code never changes, so a code read here is always right; names change a few times a
    year (division reforms), so the index is reloaded when older than `ttl` seconds and whenever an
    unknown id is asked for.
    """

    def __init__(self, ttl: float = 60.0):
        self.ttl, self._loaded_at = ttl, 0.0
        self._by_id: dict[int, dict] = {}
        self._place_names: list[str] = []
        self._lock = threading.Lock()

    def info(self, area_id: int) -> dict:
        """{code, name, level, level_label, prefix} of an area."""
        if area_id not in self._by_id or time.monotonic() - self._loaded_at > self.ttl:
            self._load()
        return self._by_id[area_id]

    def code(self, area_id: int) -> str:
        if area_id not in self._by_id:
            self._load()
        return self._by_id[area_id]["code"]

    def prefix(self, area_id: int) -> str:
        return self.info(area_id)["prefix"]

    def mentioned(self, text: str) -> list[str]:
        """Names of districts and townships that a free text mentions (樊城区, 中原街道)."""
        if time.monotonic() - self._loaded_at > self.ttl:
            self._load()
        return [name for name in self._place_names if name in text]

    def _load(self) -> None:
        with self._lock:
            rows = db.session.execute(select(Area.id, Area.code, Area.name, Area.level)).all()
            name_by_code = {code: name for _, code, name, _ in rows}
            level_by_code = {code: level for _, code, _, level in rows}
            self._by_id = {
                area_id: {"code": code, "name": name, "level": level, "level_label": AREA_LEVELS[level],
                          "prefix": "".join(name_by_code.get(code[:n], "") for n in (4, 6, 9) if len(code) >= n),
                          # {"district": "樊城区", "township": …} of the area and the areas above it
                          "names": {level_by_code[code[:n]]: name_by_code[code[:n]]
                                    for n in (4, 6, 9, 12, 15) if len(code) >= n and code[:n] in name_by_code}}
                for area_id, code, name, level in rows}
            self._place_names = sorted({name for _, _, name, level in rows if level in ("district", "township")})
            self._loaded_at = time.monotonic()


area_index = _AreaIndex()


def chain_text(parts: dict) -> str:
    """road/number/building/unit/room parts -> "人民路12号1栋2单元301室" (absent parts left out)."""
    text = f"{parts['road']}{parts['number']}号"
    if parts.get("building"):
        text += f"{parts['building']}栋"
    if parts.get("unit"):
        text += f"{parts['unit']}单元"
    if parts.get("room"):
        text += f"{parts['room']}室"
    return text


def full_text(area_id: int, parts: dict) -> str:
    return current_app.config["PROVINCE_NAME"] + area_index.prefix(area_id) + chain_text(parts)


def area_id_of(obj) -> int:
    """The grid area an address node lies in (a unit or room lies in its building's)."""
    if isinstance(obj, (Unit, Room)):
        return obj.building.area_id
    return obj.area_id


def address_text(obj) -> str:
    return full_text(area_id_of(obj), obj.parts)


def door_plate_of(obj) -> DoorPlate:
    """The door plate an address node hangs under (a door plate is its own)."""
    if isinstance(obj, DoorPlate):
        return obj
    return (obj.building if isinstance(obj, (Unit, Room)) else obj).door_plate


def kind_of(obj) -> str:
    return MODEL_KINDS[type(obj)]


def find_by_code(code: str):
    """The address node with this object code, or None (also for codes of other object classes)."""
    try:
        parsed = object_code.parse(code)
    except ValueError:
        return None
    model = ADDRESS_MODELS.get(parsed.class_name)
    if model is None:
        return None
    stmt = select(model).where(model.object_code == code)
    if model is Unit:
        stmt = stmt.options(joinedload(Unit.building))
    return db.session.scalar(stmt)


def location_of(obj) -> tuple[float, float, str]:
    """(lon, lat, grid code): a unit or room has its building's."""
    located = obj.building if isinstance(obj, (Unit, Room)) else obj
    return located.lon, located.lat, located.grid_code
