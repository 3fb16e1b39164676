"""Rules of the address base: reading inside a jurisdiction, finding addresses, and changing the base.

Every function takes the acting user first. Writes check permission and jurisdiction, write the
change and its audit row, and commit once.
"""
from __future__ import annotations

import math

from rapidfuzz import fuzz, process
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import lazyload

from app.audit.services import record, snapshot
from app.errors import Problem
from app.extensions import db
from app.rules import check_version, insert_or_ignore, require, save_new, visible
from app.standards import address_text as address_parser
from app.standards import beidou, coords, object_code
from app.standards.object_classes import CLASSES

from .addresses import KIND_LABELS, MODEL_KINDS, area_id_of, area_index, find_by_code, kind_of
from .models import Area, Building, DoorPlate, ObjectCodeSerial, Road, Room, Unit

NEARBY_MAX_RADIUS_M = 2000
SERIAL_MAX = 10**9 - 1


# --- object codes ----------------------------------------------------------------------------

def allocate_object_codes(division: str, class_name: str, count: int = 1) -> list[str]:
    """`count` new 21-digit codes for objects of `class_name` in county-level `division`.

    The serial row is created if missing and then incremented in one UPDATE … RETURNING, which takes
    a row lock: concurrent transactions queue on it, so no serial is ever handed out twice. Runs in
    the caller's transaction (the codes are only used if it commits).
    """
    classification = CLASSES[class_name].code
    db.session.execute(insert_or_ignore(ObjectCodeSerial).values(division=division, classification=classification,
                                                                 last=0))
    last = db.session.execute(
        update(ObjectCodeSerial)
        .where(ObjectCodeSerial.division == division, ObjectCodeSerial.classification == classification)
        .values(last=ObjectCodeSerial.last + count)
        .returning(ObjectCodeSerial.last)
    ).scalar_one()
    if last > SERIAL_MAX:
        raise Problem("state.not_allowed", f"区划 {division} 的“{CLASSES[class_name].label}”编码序号已用尽")
    return [object_code.compose(division, classification, serial) for serial in range(last - count + 1, last + 1)]


# --- reading ---------------------------------------------------------------------------------

def get_area(actor, code: str) -> Area:
    require(actor, "places.read")
    return actor.jurisdiction.require(db.session.scalar(select(Area).where(Area.code == code)))


def get_address(actor, code: str):
    """The door plate, building, unit or room with this object code, if inside the jurisdiction."""
    require(actor, "places.read")
    return actor.jurisdiction.require(find_by_code(code))


def root_areas(actor) -> list[Area]:
    """The top areas of the actor's jurisdiction (the roots of their area tree)."""
    codes = actor.jurisdiction.area_codes
    if not codes:
        return []
    return list(db.session.scalars(select(Area).where(Area.code.in_(codes)).order_by(Area.code)))


def child_areas(area: Area) -> list[Area]:
    return list(db.session.scalars(select(Area).where(Area.parent_id == area.id).order_by(Area.code)))


def _distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine on a 6,371 km sphere): exact enough within a city."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def _prefix_range(column, prefix: str):
    # A range, not LIKE: SQLite only uses an index for LIKE under case-sensitive settings, and a
    # range on a byte-ordered column (see code_column) uses the index on both databases.
    return and_(column >= prefix, column < prefix + "~")


def nearby_buildings(actor, lon: float, lat: float, radius_m: float, crs: str = "wgs84",
                     limit: int = 20) -> list[tuple[Building, float]]:
    """Active buildings within `radius_m` of the point, nearest first, with their distance in metres.

    The point may be given in WGS-84, GCJ-02 or BD-09; candidates come from the BeiDou code
    prefixes of the point's cell and its neighbours, then the exact distance decides.
    """
    require(actor, "places.read")
    lon, lat = coords.to_wgs84(lon, lat, crs)
    prefixes = beidou.covering_prefixes(lon, lat, radius_m)
    # The grid-code ranges alone pick the candidates, through their index, as bare points; only the
    # nearest are loaded and checked against the jurisdiction (Jurisdiction.covers, the same rule as
    # its SQL clause, which a query planner would otherwise start from: it can be the whole city).
    points = db.session.execute(select(Building.id, Building.lon, Building.lat).where(
        Building.status == "active", or_(*(_prefix_range(Building.grid_code, p) for p in prefixes))))
    near = sorted((d, building_id) for building_id, x, y in points if (d := _distance_m(lon, lat, x, y)) <= radius_m)
    found = []
    for start in range(0, len(near), limit):
        chunk = near[start:start + limit]
        loaded = {b.id: b for b in db.session.scalars(select(Building).where(Building.id.in_([i for _, i in chunk])))}
        found += [(loaded[i], d) for d, i in chunk if actor.jurisdiction.covers(loaded[i])]
        if len(found) >= limit:
            break
    return found[:limit]


def search_addresses(actor, text: str, limit: int = 20) -> list[dict]:
    """Addresses matching free text, best first: {object: node, score: 0-100}.

    The text is normalised and parsed (Chinese numerals, 栋/幢/座, 1-2-301 shorthand, area prefixes
    stripped); the road is matched fuzzily so that a typo (人明路) still finds 人民路; then the most
    specific node the text names (room, unit, building or door plate) is looked up on each road.
    """
    require(actor, "places.read")
    try:
        parts = address_parser.parse(text)
    except ValueError as e:
        raise Problem("validation.failed", field="q", detail=f"无法识别的地址：{e}") from None
    road_query = parts.get("road") or address_parser.normalise(text)
    roads = _matching_roads(actor, road_query)
    # A district or township named in the text ranks addresses there above same-named roads elsewhere.
    places = area_index.mentioned(text)
    results: list[dict] = []
    for road_id, road_score in roads:
        for node, specificity in _nodes_on_road(actor, road_id, parts):
            prefix = area_index.prefix(area_id_of(node))
            elsewhere = 0.9 if any(name not in prefix for name in places) else 1.0
            results.append({"object": node, "score": round(road_score * specificity * elsewhere, 1)})
            if len(results) >= limit * 3:
                break
    results.sort(key=lambda r: (-r["score"], r["object"].object_code))
    return results[:limit]


def _matching_roads(actor, query: str, limit: int = 20) -> list[tuple[int, float]]:
    """Roads whose name is close to `query`: the best score and every road within 10 points of it
    (road names repeat across districts: all six 振华路 are candidates, not the first five)."""
    rows = db.session.execute(
        select(Road.id, Road.name).where(Road.status == "active", actor.jurisdiction.clause(Road))).all()
    if not rows:
        return []
    names = {road_id: name for road_id, name in rows}
    matches = process.extract(query, names, scorer=fuzz.WRatio, limit=limit, score_cutoff=60)
    best = matches[0][1] if matches else 0
    return [(road_id, score) for _, score, road_id in matches if score >= best - 10]


def _nodes_on_road(actor, road_id: int, parts: dict):
    """(node, specificity 0-1) for the deepest address node the parsed parts name on this road."""
    plates = select(DoorPlate).where(DoorPlate.road_id == road_id, DoorPlate.status == "active",
                                     actor.jurisdiction.clause(DoorPlate))
    if not parts.get("number"):
        for plate in db.session.scalars(plates.order_by(DoorPlate.id).limit(10)):
            yield plate, 0.6
        return
    plate = db.session.scalar(plates.where(DoorPlate.number == parts["number"]))
    if plate is None:
        return
    if not parts.get("building") and not (parts.get("unit") or parts.get("room")):
        yield plate, 1.0
        return
    # No building number but a unit or room: the plate's one unnumbered building (春园路26号301室).
    number = Building.number == parts["building"] if parts.get("building") else Building.number.is_(None)
    building = db.session.scalar(select(Building).where(
        Building.door_plate_id == plate.id, number, Building.status == "active"))
    if building is None:
        yield plate, 0.8
        return
    if not parts.get("room"):
        if parts.get("unit"):
            unit = db.session.scalar(select(Unit).where(Unit.building_id == building.id,
                                                        Unit.number == parts["unit"]))
            if unit is not None:
                yield unit, 1.0
                return
        yield building, 1.0 if not parts.get("unit") else 0.9
        return
    rooms = select(Room).where(Room.building_id == building.id, Room.number == parts["room"],
                               Room.status == "active")
    if parts.get("unit"):
        rooms = rooms.join(Unit, Room.unit_id == Unit.id).where(Unit.number == parts["unit"])
    room = db.session.scalar(rooms.limit(1))
    yield (room, 1.0) if room is not None else (building, 0.9)


# --- writing ---------------------------------------------------------------------------------

def _area_for_new_object(actor, code: str, levels: tuple[str, ...], field: str) -> Area:
    area = db.session.scalar(select(Area).where(Area.code == code))
    if area is None or not actor.jurisdiction.covers(area):
        raise Problem("validation.failed", field=field, detail=f"区划 {code} 不存在或不在您的辖区内")
    if area.level not in levels:
        names = "、".join({"district": "区县", "township": "街道", "community": "社区", "grid": "网格"}[lv]
                         for lv in levels)
        raise Problem("validation.failed", field=field, detail=f"应为{names}级区划，{code} 是{area.level_label}")
    return area


def address_in(actor, code: str, models, field: str):
    """The active address node `code` of class `models` (one or a tuple) inside the jurisdiction,
    for a write that refers to it; otherwise a 422 on `field` (a reference in a body is input)."""
    return checked_address(actor, find_by_code(code), code, models, field)


def checked_address(actor, node, code: str, models, field: str):
    """`node` (found by `code`, or None) if it is as `address_in` requires; otherwise its 422."""
    models = models if isinstance(models, tuple) else (models,)
    if node is None or not isinstance(node, models) or not actor.jurisdiction.covers(node):
        wanted = "或".join(KIND_LABELS[MODEL_KINDS[m]] for m in models)
        raise Problem("validation.failed", field=field, detail=f"编码 {code} 不是您辖区内的{wanted}")
    if node.status != "active":
        raise Problem("validation.failed", field=field, detail=f"编码 {code} 的对象已{node.STATUSES[node.status]}")
    return node


def create_road(actor, data: dict) -> Road:
    require(actor, "places.write")
    area = _area_for_new_object(actor, data["area_code"], ("district",), "area_code")
    return save_new(actor, Road(name=data["name"], area_id=area.id), "road.create")


def create_door_plate(actor, data: dict) -> DoorPlate:
    require(actor, "places.write")
    road = db.session.get(Road, data["road_id"])
    if road is None or not actor.jurisdiction.covers(road):
        raise Problem("validation.failed", field="road_id", detail=f"道路 {data['road_id']} 不存在或不在您的辖区内")
    area = _area_for_new_object(actor, data["area_code"], ("grid", "community"), "area_code")
    plate = DoorPlate(road_id=road.id, number=data["number"], area_id=area.id,
                      object_code=allocate_object_codes(area.division_code, "door_plate")[0])
    plate.place_at(*coords.to_wgs84(data["lon"], data["lat"], data.get("crs", "wgs84")))
    return save_new(actor, plate, "door_plate.create")


def create_building(actor, data: dict) -> Building:
    require(actor, "places.write")
    plate = address_in(actor, data["door_plate_code"], DoorPlate, "door_plate_code")
    lon, lat = coords.to_wgs84(data.get("lon", plate.lon), data.get("lat", plate.lat), data.get("crs", "wgs84"))
    building = Building(
        door_plate_id=plate.id, number=data.get("number"), name=data.get("name"), area_id=plate.area_id,
        floors=data["floors"], use=data.get("use", "residential"), footprint=data.get("footprint"),
        object_code=allocate_object_codes(plate.area.division_code, "building")[0])
    building.door_plate = plate
    building.place_at(lon, lat)
    return save_new(actor, building, "building.create")


def create_unit(actor, data: dict) -> Unit:
    require(actor, "places.write")
    building = address_in(actor, data["building_code"], Building, "building_code")
    unit = Unit(building_id=building.id, number=data["number"],
                object_code=allocate_object_codes(building.area.division_code, "unit")[0])
    return save_new(actor, unit, "unit.create")


def create_room(actor, data: dict) -> Room:
    require(actor, "places.write")
    building = address_in(actor, data["building_code"], Building, "building_code")
    unit = None
    if data.get("unit_code"):
        unit = address_in(actor, data["unit_code"], Unit, "unit_code")
        if unit.building_id != building.id:
            raise Problem("validation.failed", field="unit_code", detail="该单元不属于所选楼栋")
    floor = data.get("floor")
    if floor is None:
        floor = address_parser.floor_of_room(data["number"])
    if floor is None:
        raise Problem("validation.failed", field="floor", detail=f"无法从房号 {data['number']} 推出楼层，请填写楼层")
    if not (-5 <= floor <= building.floors) or floor == 0:
        raise Problem("validation.failed", field="floor",
                      detail=f"楼层应在 -5 到 {building.floors}（该楼总层数）之间，且不为 0，现为 {floor}")
    room = Room(building_id=building.id, unit_id=unit.id if unit else None, floor=floor,
                number=data["number"], use=data.get("use", "residential"),
                object_code=allocate_object_codes(building.area.division_code, "room")[0])
    return save_new(actor, room, "room.create")


def update_building(actor, code: str, data: dict) -> Building:
    require(actor, "places.write")
    building = get_address(actor, code)
    if not isinstance(building, Building):
        raise Problem("resource.not_found")
    check_version(building, data["version"])
    before = snapshot(building)
    for key in ("floors", "use", "name", "footprint"):
        if key in data:
            setattr(building, key, data[key])
    if "lon" in data or "lat" in data:
        building.place_at(*coords.to_wgs84(data.get("lon", building.lon), data.get("lat", building.lat),
                                           data.get("crs", "wgs84")))
    building.bump()
    record(actor, "building.update", building, before=before, after=snapshot(building),
           reason=data.get("reason"))
    db.session.commit()
    return building


def change_status(actor, code: str, status: str, version: int, reason: str) -> object:
    """Retire a plate, demolish a building… Nothing is deleted; the old state stays in the audit log."""
    require(actor, "places.write")
    node = get_address(actor, code)
    check_version(node, version)
    before = snapshot(node)
    node.set_status(status)
    record(actor, f"{kind_of(node)}.status", node, before=before, after=snapshot(node), reason=reason)
    db.session.commit()
    return node



def active_children(node) -> list:
    """The next level down the address chain: a plate's buildings, a building's units and rooms,
    a unit's rooms."""
    def active(model, *where, order):
        # The parents are the node itself, already loaded: do not join them again for every child.
        stmt = select(model).where(*where, model.status == "active").order_by(*order).options(lazyload("*"))
        return db.session.scalars(stmt).all()

    if isinstance(node, DoorPlate):
        return active(Building, Building.door_plate_id == node.id, order=[Building.id])
    if isinstance(node, Building):
        return [*active(Unit, Unit.building_id == node.id, order=[Unit.id]),
                *active(Room, Room.building_id == node.id, order=[Room.floor, Room.number])]
    if isinstance(node, Unit):
        return active(Room, Room.unit_id == node.id, order=[Room.floor, Room.number])
    return []


def buildings_in(actor, area: Area):
    """select(Building) for the active buildings in an area (already checked to be visible)."""
    require(actor, "places.read")
    inside = select(Area.id).where(Area.code.startswith(area.code, autoescape=True))
    return visible(actor, Building).where(Building.area_id.in_(inside), Building.status == "active")
