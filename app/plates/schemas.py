"""API shapes of plates: what a scan returns (public, no personal data) and what admins send."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.api import BaseSchema, UtcDateTime, length, one_of
from app.places.addresses import address_text, area_id_of, area_index, location_of

from .models import PLATE_LABELS
from .services import LAYOUTS, plate_url


class PublicAddressSchema(Schema):
    """What anyone who scans a plate may see: where it is, nothing about who lives there."""
    code = fields.String(attribute="object_code")
    text = fields.Function(address_text, metadata={"description": "标准地址"})
    area = fields.Function(lambda n: area_index.info(area_id_of(n))["name"])
    lon = fields.Function(lambda n: location_of(n)[0], metadata={"description": "经度（WGS-84）"})
    lat = fields.Function(lambda n: location_of(n)[1], metadata={"description": "纬度（WGS-84）"})
    beidou = fields.Function(lambda n: location_of(n)[2], metadata={"description": "北斗网格码（10 级）"})
    status = fields.String()


class PlateSchema(Schema):
    token = fields.String()
    url = fields.Function(lambda p: plate_url(p.token))
    kind = fields.String(metadata={"enum": list(PLATE_LABELS)})
    kind_label = fields.String(attribute="label")
    status = fields.String(metadata={"enum": ["active", "replaced", "revoked"]})
    status_label = fields.String()
    issued_at = UtcDateTime()
    ended_at = UtcDateTime(allow_none=True)
    reason = fields.String(allow_none=True)
    prints = fields.Integer(metadata={"description": "已打印次数"})


class ScanSchema(Schema):
    plate = fields.Nested(PlateSchema)
    address = fields.Nested(PublicAddressSchema)


class ReasonIn(BaseSchema):
    reason = fields.String(required=True, validate=length(2, 200), metadata={"description": "原因，如“门牌损坏”"})


class PrintJobIn(BaseSchema):
    area_code = fields.String(validate=length(2, 15), metadata={"description": "打印该区域内的全部门牌"})
    object_codes = fields.List(fields.String(validate=length(21, 21)),
                               validate=validate.Length(1, 10_000, error="应为 1–10000 个编码"),
                               metadata={"description": "或：只打印这些地址的门牌"})
    kinds = fields.List(fields.String(validate=one_of(PLATE_LABELS)), load_default=lambda: ["door"],
                        validate=validate.Length(1, 4, error="至少选一种门牌"))
    layout = fields.String(load_default="A4", validate=one_of(LAYOUTS))

    @validates_schema
    def _one_target(self, data, **_):
        if bool(data.get("area_code")) == bool(data.get("object_codes")):
            raise ValidationError("请给出 area_code（区域）或 object_codes（编码列表）中的一个", "area_code")


class PngArgs(BaseSchema):
    width_px = fields.Integer(load_default=None, validate=validate.Range(100, 8000, error="应在 100 到 8000 之间"))
    download = fields.Boolean(load_default=False)
