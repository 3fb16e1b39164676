"""JSON endpoints of the address base: parse → service → dump."""
from __future__ import annotations

from flask import Response, stream_with_context, url_for
from flask_smorest import Blueprint

from app.accounts.auth import actor
from app.api import PageArgs, page, problems
from app.audit.services import history
from app.jobs.schemas import JobSchema
from app.jobs.services import enqueue
from app.rules import require

from . import exports, services
from .models import Building
from .schemas import (AddressDetailSchema, ChildrenSchema, AddressSchema, AreaDetailSchema, AreaSchema, BuildingIn,
                      BuildingPageSchema, BuildingPatch, BuildingSchema, DoorPlateIn, ExportIn, HistorySchema,
                      NearbyArgs, NearbySchema, RoadIn, RoadSchema, RoomIn, SearchArgs, SearchSchema, StatusIn,
                      UnitIn)

blp = Blueprint("places_api", __name__, url_prefix="/api/v1", description="标准地址（一标）：区划、门牌、楼栋、单元、户室")

WRITE_PROBLEMS = ("auth.forbidden", "validation.failed", "conflict.duplicate")


@blp.get("/areas")
@blp.response(200, AreaSchema(many=True))
@problems(blp)
def list_root_areas():
    """我的辖区：区划树的根"""
    return services.root_areas(actor())


@blp.get("/areas/<code>")
@blp.response(200, AreaDetailSchema)
@problems(blp, "resource.not_found")
def get_area(code):
    """区划及其下级区划"""
    area = services.get_area(actor(), code)
    area.children = services.child_areas(area)
    return area


@blp.get("/areas/<code>/buildings")
@blp.arguments(PageArgs, location="query")
@blp.response(200, BuildingPageSchema)
@problems(blp, "resource.not_found", "validation.failed")
def area_buildings(args, code):
    """区划内的楼栋（按游标分页）"""
    user = actor()
    area = services.get_area(user, code)
    return page(services.buildings_in(user, area), Building.id, args)


@blp.get("/areas/<code>/export.geojson")
@blp.response(200, description="GeoJSON FeatureCollection（流式输出）", content_type="application/geo+json")
@problems(blp, "resource.not_found", "auth.forbidden")
def export_geojson(code):
    """导出区划内全部楼栋为 GeoJSON"""
    user = actor()
    require(user, "export")
    area = services.get_area(user, code)
    body = stream_with_context(exports.geojson_chunks(user, area))
    return Response(body, mimetype="application/geo+json", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{area.code}.geojson"})


@blp.post("/areas/<code>/exports")
@blp.arguments(ExportIn, required=False)  # every field has a default
@blp.response(202, JobSchema)
@problems(blp, "resource.not_found", "auth.forbidden", "validation.failed")
def start_export(data, code):
    """导出区划为 Excel（后台任务，返回任务及进度链接）"""
    user = actor()
    require(user, "export")
    area = services.get_area(user, code)
    job = enqueue(user, "export_xlsx", {"area_code": area.code})
    return job, 202, {"Location": url_for("jobs.get_job", job_id=job.id)}


@blp.get("/addresses/search")
@blp.arguments(SearchArgs, location="query")
@blp.response(200, SearchSchema)
@problems(blp, "validation.failed")
def search(args):
    """按地址文本搜索（规范化、容错、按匹配度排序）"""
    return {"items": services.search_addresses(actor(), args["q"], args["limit"])}


@blp.get("/addresses/<code>")
@blp.response(200, AddressDetailSchema)
@problems(blp, "resource.not_found")
def get_address(code):
    """按 21 位对象编码查询标准地址"""
    return services.get_address(actor(), code)


@blp.get("/addresses/<code>/children")
@blp.response(200, ChildrenSchema)
@problems(blp, "resource.not_found")
def address_children(code):
    """下一级地址：门牌下的楼栋、楼栋下的单元和户室、单元下的户室"""
    return {"items": services.active_children(services.get_address(actor(), code))}


@blp.get("/addresses/<code>/history")
@blp.response(200, HistorySchema(many=True))
@problems(blp, "resource.not_found")
def address_history(code):
    """地址的版本历史（谁、何时、改了什么）"""
    node = services.get_address(actor(), code)
    return history(node.__tablename__, node.id)


@blp.post("/addresses/<code>/status")
@blp.arguments(StatusIn)
@blp.response(200, AddressSchema)
@problems(blp, "resource.not_found", "conflict.version", "state.not_allowed", *WRITE_PROBLEMS)
def change_status(data, code):
    """变更地址状态（注销、拆除、恢复）；不删除任何记录"""
    return services.change_status(actor(), code, data["status"], data["version"], data["reason"])


@blp.get("/buildings/nearby")
@blp.arguments(NearbyArgs, location="query")
@blp.response(200, NearbySchema)
@problems(blp, "validation.failed")
def nearby(args):
    """附近的楼栋（由近及远），坐标可为 WGS-84、GCJ-02 或 BD-09"""
    found = services.nearby_buildings(actor(), args["lon"], args["lat"], args["radius_m"], args["crs"],
                                      args["limit"])
    return {"items": [{"building": b, "distance_m": round(d, 1)} for b, d in found]}


@blp.post("/roads")
@blp.arguments(RoadIn)
@blp.response(201, RoadSchema)
@problems(blp, *WRITE_PROBLEMS)
def create_road(data):
    """新增道路"""
    return services.create_road(actor(), data)


@blp.post("/door-plates")
@blp.arguments(DoorPlateIn)
@blp.response(201, AddressSchema)
@problems(blp, *WRITE_PROBLEMS)
def create_door_plate(data):
    """新增门牌（赋对象编码和北斗网格码）"""
    return services.create_door_plate(actor(), data)


@blp.post("/buildings")
@blp.arguments(BuildingIn)
@blp.response(201, BuildingSchema)
@problems(blp, *WRITE_PROBLEMS)
def create_building(data):
    """新增楼栋"""
    return services.create_building(actor(), data)


@blp.patch("/buildings/<digits:code>")  # not /buildings/nearby
@blp.arguments(BuildingPatch)
@blp.response(200, BuildingSchema)
@problems(blp, "resource.not_found", "conflict.version", *WRITE_PROBLEMS)
def update_building(data, code):
    """修改楼栋属性（须带上所基于的版本号）"""
    return services.update_building(actor(), code, data)


@blp.post("/units")
@blp.arguments(UnitIn)
@blp.response(201, AddressSchema)
@problems(blp, *WRITE_PROBLEMS)
def create_unit(data):
    """新增单元"""
    return services.create_unit(actor(), data)


@blp.post("/rooms")
@blp.arguments(RoomIn)
@blp.response(201, AddressSchema)
@problems(blp, *WRITE_PROBLEMS)
def create_room(data):
    """新增户室（楼层可由房号推出）"""
    return services.create_room(actor(), data)

