"""API shapes of the review desk."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api import BaseSchema, UtcDateTime, length, one_of
from app.collect.models import SUBMISSION_KINDS
from app.collect.schemas import SubmissionSchema

from .apply import FLAGS
from .models import REVIEWERS


class FilterIn(BaseSchema):
    area = fields.String(load_default=None, validate=length(4, 15), metadata={"description": "区划代码（含下级）"})
    kind = fields.String(load_default=None, validate=one_of(SUBMISSION_KINDS))
    collector = fields.String(load_default=None, validate=length(1, 64), metadata={"description": "采集人用户名"})
    age_days = fields.Integer(load_default=None, validate=validate.Range(1, 3650, error="应在 1 到 3650 天之间"),
                              metadata={"description": "至少等待了这么多天"})
    has_photo = fields.Boolean(load_default=None)
    flag = fields.String(load_default=None, validate=one_of(FLAGS))
    sort = fields.String(load_default="oldest", validate=one_of({"oldest": "最早的在前", "newest": "最新的在前"}))
    as_of = UtcDateTime(load_default=None, metadata={"description": "批量通过：预演时的时间（预演结果的 filter 中给出）"})
    last_id = fields.Integer(load_default=None, validate=validate.Range(0, error="应为非负整数"),
                             metadata={"description": "批量通过：预演时选中的最后一条（预演结果的 filter 中给出）"})


class QueueArgs(FilterIn):
    cursor = fields.String(load_default=None, validate=length(1, 64))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200, error="应在 1 到 200 之间"))


class ReviewItemSchema(SubmissionSchema):
    step = fields.Integer()
    step_role = fields.String(allow_none=True)
    flags = fields.Function(lambda s: [{"code": c, "label": FLAGS.get(c, c)} for c in s.flags or []])
    claimed_by_id = fields.Integer(allow_none=True)
    claimed_until = UtcDateTime(allow_none=True)
    collector_id = fields.Integer(allow_none=True)
    public = fields.Boolean(metadata={"description": "居民扫码申报（没有采集人）"})
    lon = fields.Float(allow_none=True)
    lat = fields.Float(allow_none=True)


class QueuePageSchema(Schema):
    items = fields.List(fields.Nested(ReviewItemSchema))
    next = fields.String(allow_none=True, metadata={"description": "下一页的 cursor；没有下一页时为 null"})
    counts = fields.Dict()


class DecisionIn(BaseSchema):
    reason = fields.String(load_default=None, validate=length(1, 500))
    comments = fields.Dict(keys=fields.String(validate=length(1, 32)), values=fields.String(validate=length(0, 200)),
                           load_default=None, metadata={"description": "退回时：字段 → 需要更正的内容"})
    version = fields.Integer(load_default=None, metadata={"description": "审核人看到的版本；已更正则 409"})


class BulkIn(BaseSchema):
    filter = fields.Nested(FilterIn, load_default=dict)
    dry_run = fields.Boolean(load_default=True, metadata={"description": "只预演：统计条数和会失败的条目，不写入"})


class QueueExportIn(BaseSchema):
    filter = fields.Nested(FilterIn, load_default=dict)


class StepIn(BaseSchema):
    label = fields.String(load_default=None, validate=length(0, 32))
    reviewer = fields.String(required=True, validate=one_of(REVIEWERS))


class ChainIn(BaseSchema):
    kind = fields.String(required=True, validate=one_of(SUBMISSION_KINDS))
    area_code = fields.String(load_default=None, validate=length(4, 15), metadata={"description": "空：全市默认"})
    steps = fields.List(fields.Nested(StepIn), required=True, validate=validate.Length(0, 6, error="最多 6 个环节"),
                        metadata={"description": "1 到 6 个环节；区划专用流程给空列表即取消（回到上级流程）"})


class ChainSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    area_code = fields.String(allow_none=True)
    version = fields.Integer()
    steps = fields.List(fields.Dict())
    active = fields.Boolean()
