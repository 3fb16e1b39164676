"""API shapes of field submissions. A submission's `id` is the phone's UUID (idempotency key)."""
from __future__ import annotations

import uuid

from marshmallow import Schema, ValidationError, fields, validate, validates

from app.actuals.schemas import standard_errors
from app.api import BaseSchema, UtcDateTime, lat_field, length, lon_field, one_of
from app.errors import flatten_messages, invalid
from app.standards import credit_code

from .models import BUSINESS_KINDS, SUBMISSION_KINDS, SUBMISSION_STATUSES

SHA256 = validate.Regexp(r"^[0-9a-f]{64}$", error="应为 64 位小写十六进制的 SHA-256")


def client_uuid(value: str) -> None:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise ValidationError("应为客户端生成的 UUID，如 0f8fad5b-d9cb-469f-a165-70867728950e") from None


class PositionIn(BaseSchema):
    lon = lon_field(required=True)
    lat = lat_field(required=True)
    accuracy_m = fields.Float(load_default=None, allow_nan=False, validate=validate.Range(0, 100000, error="应在 0 到 100000 米之间"))


class _SubmissionIn(BaseSchema):
    id = fields.String(required=True, validate=client_uuid, metadata={"description": "手机生成的 UUID；同一提交重发时不变"})
    kind = fields.String(required=True, validate=one_of(SUBMISSION_KINDS))
    captured_at = UtcDateTime(load_default=None, metadata={"description": "拍摄时间（带时区）"})
    position = fields.Nested(PositionIn, load_default=None, allow_none=True)
    plate_token = fields.String(load_default=None, validate=length(16, 32), metadata={"description": "扫到的门牌令牌"})
    note = fields.String(load_default=None, validate=length(1, 200))
    revision = fields.Integer(load_default=None, strict=True, validate=validate.Range(1, error="应为正整数"),
                              metadata={"description": "更正被退回的提交时：被退回时的版本号（version），id 不变"})


class ShopIn(_SubmissionIn):
    """民警第一次扫码：门店的照片、楼栋与地址。"""
    building_code = fields.String(required=True, validate=length(21, 21))
    unit = fields.String(load_default=None, validate=length(1, 16), metadata={"description": "单元号（楼栋有单元时）"})
    floor = fields.Integer(required=True, validate=validate.Range(-5, 200, error="楼层应在 -5 到 200 之间"))
    room = fields.String(required=True, validate=validate.Regexp(r"^[0-9A-Za-z\-]{1,16}$",
                         error="室号只能是 1-16 位数字、字母或“-”，如 101、A-3"))
    shop_name = fields.String(required=True, validate=length(2, 64))
    business_kind = fields.String(required=True, validate=one_of(BUSINESS_KINDS))
    photos = fields.List(fields.String(validate=SHA256), required=True,
                         validate=validate.Length(1, 5, error="应有 1–5 张照片（至少一张门头照）"))


class BindingIn(_SubmissionIn):
    """网格员第二次扫码：按统一社会信用代码把单位绑定到地址。"""
    address_code = fields.String(required=True, validate=length(21, 21), metadata={"description": "户室或门牌的对象编码"})
    credit_code = fields.String(required=True, metadata={"description": "营业执照上的统一社会信用代码"})
    name = fields.String(load_default=None, validate=length(2, 128), metadata={"description": "单位名称（新单位必填）"})
    shop = fields.String(load_default=None, validate=client_uuid, metadata={"description": "对应的门店采集提交的 id"})
    confirm_move = fields.Boolean(load_default=False, metadata={"description": "已绑定在别处时，确认迁移"})
    photos = fields.List(fields.String(validate=SHA256), load_default=list, validate=validate.Length(0, 5, error="最多 5 张照片"))

    @validates("credit_code")
    def _credit_code(self, value, **kwargs):
        standard_errors(credit_code.problems(value))


SCHEMAS = {"shop": ShopIn(), "binding": BindingIn()}  # made once: making a schema copies all its fields


def load_submission(raw) -> dict:
    """The validated body, by its kind; a 422 naming every bad field otherwise."""
    if not isinstance(raw, dict):
        raise invalid({"_body": "应为 JSON 对象"})
    kind = raw.get("kind")
    schema = SCHEMAS.get(kind) if isinstance(kind, str) else None
    if schema is None:
        raise invalid({"kind": "只能是：" + "、".join(f"{k}（{v}）" for k, v in SUBMISSION_KINDS.items())})
    try:
        return schema.load(raw)
    except ValidationError as e:
        raise invalid(flatten_messages(e.messages)) from None


class SubmissionSchema(Schema):
    id = fields.String(attribute="client_id")
    kind = fields.String()
    kind_label = fields.String()
    status = fields.String()
    status_label = fields.String()
    address_text = fields.String()
    address_code = fields.Function(lambda s: s.door_plate.object_code)
    data = fields.Dict()
    photos = fields.List(fields.String(), attribute="photo_hashes")
    # In UTC with its zone, whether just written or read back, so that a replay's answer is the first
    # answer to the byte.
    received_at = UtcDateTime()
    organisation_code = fields.Function(lambda s: s.organisation.object_code if s.organisation else None)
    version = fields.Integer(metadata={"description": "更正时作为 revision 发回"})
    step_label = fields.String(allow_none=True, metadata={"description": "正在等待的审核环节"})
    reason = fields.String(allow_none=True, metadata={"description": "不通过或退回的理由"})
    comments = fields.Dict(allow_none=True, metadata={"description": "退回时审核人对各字段的意见"})


class InboxArgs(BaseSchema):
    status = fields.String(load_default=None, validate=one_of(SUBMISSION_STATUSES))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500, error="应在 1 到 500 之间"))


class PackArgs(BaseSchema):
    area = fields.String(load_default=None, validate=length(4, 15), metadata={"description": "只取辖区内这个区划"})
