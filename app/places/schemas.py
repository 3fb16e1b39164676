"""API shapes of the address base: what comes in (validated) and what goes out."""
from __future__ import annotations

import geojson
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.api import BaseSchema, PageSchema, UtcDateTime, between, lat_field, length, lon_field, one_of
from app.lifecycle import Lifecycle
from app.standards import coords

from .addresses import KIND_LABELS, address_text, area_id_of, area_index, kind_of, location_of
from .models import AREA_LEVELS, BUILDING_USES, ROOM_USES, Building, Room

CRS = {"wgs84": "WGS-84（GPS）", "gcj02": "GCJ-02（国内地图）", "bd09": "BD-09（百度地图）"}
NUMBER = validate.Regexp(r"^[0-9A-Za-z][0-9A-Za-z\-]{0,15}$",
                         error="只能是数字、字母和“-”，如 12、12-1、A，最多 16 位")


class AreaSchema(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String(metadata={"enum": list(AREA_LEVELS)})
    level_label = fields.String()


class AreaDetailSchema(AreaSchema):
    parent_code = fields.Function(lambda a: a.parent.code if a.parent else None)
    children = fields.List(fields.Nested(AreaSchema))


class LocationSchema(Schema):
    lon = fields.Float()
    lat = fields.Float()
    grid_code = fields.String(metadata={"description": "北斗网格位置码（10 级）"})
    gcj02 = fields.List(fields.Float(), metadata={"description": "GCJ-02 坐标 [经度, 纬度]，供国内地图使用"})


def location(node) -> dict:
    lon, lat, grid_code = location_of(node)
    return {"lon": lon, "lat": lat, "grid_code": grid_code, "gcj02": list(coords.wgs84_to_gcj02(lon, lat))}


class AddressSchema(Schema):
    """Any standard address: a door plate, building, unit or room."""

    object_code = fields.String(metadata={"description": "21 位城市管理对象统一编码"})
    kind = fields.Function(kind_of, metadata={"enum": list(KIND_LABELS)})
    kind_label = fields.Function(lambda n: KIND_LABELS[kind_of(n)])
    address = fields.Function(address_text, metadata={"description": "标准地址全文，由地址链生成"})
    status = fields.String()
    version = fields.Integer()
    parts = fields.Dict()
    location = fields.Function(location, metadata={"description": "位置（户室、单元取所在楼栋）"})


class BuildingSchema(AddressSchema):
    floors = fields.Integer()
    use = fields.String()
    name = fields.String(allow_none=True)
    footprint = fields.Dict(allow_none=True)


class RoomSchema(AddressSchema):
    floor = fields.Integer()
    use = fields.String()


_AREA = AreaSchema()


class AddressDetailSchema(AddressSchema):
    area = fields.Function(lambda n: _AREA.dump(area_index.info(area_id_of(n))))
    floors = fields.Function(lambda n: n.floors if isinstance(n, Building) else None)
    floor = fields.Function(lambda n: n.floor if isinstance(n, Room) else None)
    use = fields.Function(lambda n: getattr(n, "use", None))


class ChildrenSchema(Schema):
    items = fields.List(fields.Nested(AddressSchema))


class NearbyArgs(BaseSchema):
    lon = lon_field(required=True)
    lat = lat_field(required=True)
    radius_m = fields.Float(load_default=100, allow_nan=False, validate=between(1, 2000),
                            metadata={"description": "半径（米），1–2000"})
    crs = fields.String(load_default="wgs84", validate=one_of(CRS))
    limit = fields.Integer(load_default=20, validate=between(1, 200), metadata={"description": "最多返回几栋（默认 20）"})


class NearbyItemSchema(Schema):
    building = fields.Nested(BuildingSchema)
    distance_m = fields.Float(metadata={"description": "距离（米）"})


class NearbySchema(Schema):
    items = fields.List(fields.Nested(NearbyItemSchema))


class SearchArgs(BaseSchema):
    q = fields.String(required=True, validate=length(1, 200), metadata={"description": "地址文本，可含错别字、中文数字"})
    limit = fields.Integer(load_default=20, validate=between(1, 100))


class SearchItemSchema(Schema):
    match = fields.Nested(AddressSchema, attribute="object")
    score = fields.Float(metadata={"description": "匹配度 0–100"})


class SearchSchema(Schema):
    items = fields.List(fields.Nested(SearchItemSchema))


class BuildingPageSchema(PageSchema):
    items = fields.List(fields.Nested(BuildingSchema))


class RoadIn(BaseSchema):
    name = fields.String(required=True, validate=[length(2, 32), validate.Regexp(
        r".*(路|街|道|巷|大道|胡同|里|弄|坊|村|组|线|环)$", error="道路名应以路、街、巷、道等结尾")])
    area_code = fields.String(required=True, validate=length(6, 6), metadata={"description": "所在区县代码"})


class RoadSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    status = fields.String()
    version = fields.Integer()


class _Located(BaseSchema):
    lon = lon_field(required=True)
    lat = lat_field(required=True)
    crs = fields.String(load_default="wgs84", validate=one_of(CRS))


class DoorPlateIn(_Located):
    road_id = fields.Integer(required=True, strict=True)
    number = fields.String(required=True, validate=NUMBER, metadata={"description": "门牌号，如 12、12-1"})
    area_code = fields.String(required=True, validate=length(12, 15), metadata={"description": "所在社区或网格代码"})


class BuildingIn(BaseSchema):
    door_plate_code = fields.String(required=True, validate=length(21, 21))
    number = fields.String(load_default=None, validate=NUMBER, metadata={"description": "楼栋号，如 1、A"})
    name = fields.String(load_default=None, validate=length(1, 64))
    floors = fields.Integer(required=True, strict=True, validate=between(1, 200))
    use = fields.String(load_default="residential", validate=one_of(BUILDING_USES))
    lon = lon_field()
    lat = lat_field()
    crs = fields.String(load_default="wgs84", validate=one_of(CRS))
    footprint = fields.Dict(load_default=None, metadata={"description": "GeoJSON Polygon（WGS-84）"})

    @validates_schema
    def _check(self, data, **kwargs):
        _check_point_and_footprint(data)


def _check_point_and_footprint(data: dict) -> None:
    if ("lon" in data) != ("lat" in data):
        raise ValidationError("经度和纬度须同时填写", field_name="lat" if "lon" in data else "lon")
    if data.get("footprint") is not None:
        _check_polygon(data["footprint"])


def _check_polygon(value: dict) -> None:
    try:
        shape = geojson.loads(geojson.dumps(value))
        ok = isinstance(shape, geojson.Polygon) and shape.is_valid
    except (ValueError, TypeError, AttributeError):
        ok = False
    if not ok:
        raise ValidationError("应为有效的 GeoJSON Polygon（闭合的经纬度环）", field_name="footprint")


class BuildingPatch(BaseSchema):
    version = fields.Integer(required=True, strict=True, metadata={"description": "您修改所基于的版本"})
    floors = fields.Integer(strict=True, validate=between(1, 200))
    use = fields.String(validate=one_of(BUILDING_USES))
    name = fields.String(allow_none=True, validate=length(1, 64))
    lon = lon_field()
    lat = lat_field()
    crs = fields.String(load_default="wgs84", validate=one_of(CRS))
    footprint = fields.Dict(allow_none=True)
    reason = fields.String(validate=length(1, 200))

    @validates_schema
    def _check(self, data, **kwargs):
        _check_point_and_footprint(data)


class UnitIn(BaseSchema):
    building_code = fields.String(required=True, validate=length(21, 21))
    number = fields.String(required=True, validate=NUMBER)


class RoomIn(BaseSchema):
    building_code = fields.String(required=True, validate=length(21, 21))
    unit_code = fields.String(load_default=None, validate=length(21, 21))
    number = fields.String(required=True, validate=NUMBER, metadata={"description": "房号，如 301、1502"})
    floor = fields.Integer(load_default=None, strict=True, metadata={"description": "楼层；不填则由房号推出"})
    use = fields.String(load_default="residential", validate=one_of(ROOM_USES))


class StatusIn(BaseSchema):
    status = fields.String(required=True, validate=one_of(Lifecycle.STATUSES))
    version = fields.Integer(required=True, strict=True)
    reason = fields.String(required=True, validate=length(2, 200), metadata={"description": "变更原因"})


class HistorySchema(Schema):
    at = UtcDateTime()
    actor = fields.String(attribute="actor_name")
    action = fields.String()
    version = fields.Integer(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    reason = fields.String(allow_none=True)


class ExportIn(BaseSchema):
    format = fields.String(load_default="xlsx", validate=one_of({"xlsx": "Excel"}))

