"""What a grid worker sends back about a task (the phone makes the id; a replay sends it again)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.api import BaseSchema, UtcDateTime, length, one_of
from app.collect.schemas import SHA256, PositionIn, client_uuid

from .models import OUTCOMES


class AnswerIn(BaseSchema):
    id = fields.String(required=True, validate=client_uuid, metadata={"description": "手机生成的 UUID；重发时不变"})
    outcome = fields.String(required=True, validate=one_of(OUTCOMES))
    note = fields.String(load_default=None, validate=length(1, 500))
    photos = fields.List(fields.String(validate=SHA256), load_default=list,
                         validate=validate.Length(0, 5, error="最多 5 张照片"))
    submission = fields.String(load_default=None, validate=client_uuid,
                               metadata={"description": "已更正时：那份新采集提交的 id"})
    position = fields.Nested(PositionIn, load_default=None, allow_none=True)
    answered_at = UtcDateTime(load_default=None)

    @validates_schema
    def _needs(self, data, **kwargs):
        if data["outcome"] in ("confirmed", "not_found") and not data["photos"]:
            raise ValidationError("请拍一张现场照片（核实无误或未找到都需要照片为证）", "photos")
        if data["outcome"] == "corrected" and not data["submission"]:
            raise ValidationError("已更正时，请先在该地址提交一份新的采集", "submission")
        if data["outcome"] == "not_found" and not data["note"]:
            raise ValidationError("请说明现场情况（如：门店已关闭、地址不存在）", "note")


class TaskSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    kind_label = fields.String()
    status = fields.String()
    status_label = fields.String()
    title = fields.String()
    detail = fields.String(allow_none=True)
    object_code = fields.String(allow_none=True, metadata={"description": "要核查的地址（不明时为空）"})
    address_text = fields.String()
    door_plate_code = fields.Function(lambda t: t.door_plate.object_code if t.door_plate else None,
                                      metadata={"description": "所在门牌（地点不明时为空）"})
    photo_sha256 = fields.String(allow_none=True)
    due_at = UtcDateTime()
    overdue = fields.Boolean()
    reminded_at = UtcDateTime(allow_none=True)
    escalated_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()
    outcome = fields.String(allow_none=True)
    outcome_label = fields.String(allow_none=True)
    result = fields.Dict(allow_none=True)
    closed_at = UtcDateTime(allow_none=True)
