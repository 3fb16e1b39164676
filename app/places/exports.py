"""Exports of an area: GeoJSON streamed as it is read, Excel built by a background job.

Both read rows in batches (yield_per), so a district of 60,000 buildings is never held in memory.
"""
from __future__ import annotations

import json

from flask import current_app
from openpyxl import Workbook
from sqlalchemy import func, select

from app.accounts.models import User
from app.actuals.models import ORGANISATION_KINDS, Binding, Organisation
from app.extensions import db
from app.jobs.services import job_kind, result_file
from app.spreadsheets import append

from .addresses import area_index, chain_text, full_text
from .models import BUILDING_USES, ROOM_USES, Area, Building, DoorPlate, Road, Room
from .services import buildings_in

BATCH = 2000
CHUNK = 64 * 1024


def _building_rows(actor, area: Area):
    stmt = (buildings_in(actor, area)
            .join(DoorPlate, Building.door_plate_id == DoorPlate.id).join(Road, DoorPlate.road_id == Road.id)
            .with_only_columns(Building.id, Building.object_code, Building.number, Building.name, Building.area_id,
                               Building.lon, Building.lat, Building.grid_code, Building.floors, Building.use,
                               Building.footprint, Building.version, DoorPlate.number, Road.name)
            .order_by(Building.id).execution_options(yield_per=BATCH))
    return db.session.execute(stmt)


def geojson_chunks(actor, area: Area):
    """The area's active buildings as a GeoJSON FeatureCollection, in text chunks."""
    province = current_app.config["PROVINCE_NAME"]
    yield '{"type":"FeatureCollection","name":' + json.dumps(area.name, ensure_ascii=False) + ',"features":['
    first, chunk, size = True, [], 0
    for (_, code, number, name, area_id, lon, lat, grid_code, floors, use, footprint, version,
         plate_number, road) in _building_rows(actor, area):
        feature = {
            "type": "Feature",
            "id": code,
            "geometry": footprint or {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "object_code": code,
                "address": province + area_index.prefix(area_id)
                + chain_text({"road": road, "number": plate_number, "building": number}),
                "name": name, "floors": floors, "use": use, "grid_code": grid_code,
                "lon": lon, "lat": lat, "version": version,
            },
        }
        chunk.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
        size += len(chunk[-1])
        if size >= CHUNK:  # one socket write per ~64 KiB, not per feature
            yield ("" if first else ",") + ",".join(chunk)
            first, chunk, size = False, [], 0
    if chunk:
        yield ("" if first else ",") + ",".join(chunk)
    yield "]}"


# --- Excel -----------------------------------------------------------------------------------

def _sheet(workbook: Workbook, title: str, header: list[str]):
    sheet = workbook.create_sheet(title)
    append(sheet, header)
    return sheet


@job_kind("export_xlsx", "导出 Excel")
def export_xlsx(job, progress) -> tuple[str, str]:
    """Buildings, rooms and organisations of an area, one sheet each."""
    actor = db.session.get(User, job.created_by_id)
    area = db.session.scalar(select(Area).where(Area.code == job.params["area_code"]))
    buildings = buildings_in(actor, area)
    building_ids = buildings.with_only_columns(Building.id)
    rooms = (select(Room).where(Room.building_id.in_(building_ids), Room.status == "active")
             .order_by(Room.id).execution_options(yield_per=BATCH))
    bound_plate = DoorPlate.__table__.alias("bound_plate")
    orgs = (select(Organisation.object_code, Organisation.name, Organisation.kind, Organisation.credit_code,
                   func.coalesce(Room.object_code, bound_plate.c.object_code))
            .outerjoin(Binding, (Binding.organisation_id == Organisation.id) & Binding.active)
            .outerjoin(Room, Binding.room_id == Room.id)
            .outerjoin(bound_plate, Binding.door_plate_id == bound_plate.c.id)
            .where(actor.jurisdiction.clause(Organisation), Organisation.status == "active",
                                       Organisation.area_id.in_(select(Area.id).where(
                                           Area.code.startswith(area.code, autoescape=True))))
            .order_by(Organisation.id).execution_options(yield_per=BATCH))
    count = lambda stmt: db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))  # noqa: E731
    total = count(buildings) + count(rooms) + count(orgs)
    done = 0
    progress(0, total)

    workbook = Workbook(write_only=True)
    sheet = _sheet(workbook, "楼栋", ["对象编码", "标准地址", "楼层数", "用途", "经度", "纬度", "北斗网格码", "版本"])
    for row in _building_rows(actor, area):
        (_, code, number, _, area_id, lon, lat, grid_code, floors, use, _, version, plate_number, road) = row
        text = full_text(area_id, {"road": road, "number": plate_number, "building": number})
        append(sheet, [code, text, floors, BUILDING_USES.get(use, use), lon, lat, grid_code, version])
        done += 1
        progress(done)

    sheet = _sheet(workbook, "户室", ["对象编码", "标准地址", "楼层", "用途", "所在楼栋编码"])
    for room in db.session.scalars(rooms):
        append(sheet, [room.object_code, full_text(room.building.area_id, room.parts), room.floor,
                       ROOM_USES.get(room.use, room.use), room.building.object_code])
        done += 1
        progress(done)

    sheet = _sheet(workbook, "单位", ["对象编码", "名称", "类型", "统一社会信用代码", "绑定地址编码"])
    for code, name, kind, credit_code, target in db.session.execute(orgs):
        append(sheet, [code, name, ORGANISATION_KINDS.get(kind, kind), credit_code, target or ""])
        done += 1
        progress(done)

    path = result_file(job, ".xlsx")
    workbook.save(path)
    return str(path), f"{area.name}-{area.code}.xlsx"

