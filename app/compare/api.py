"""Department registers as an API, for a department's own system (an API key of a `department`
user): upload, follow, read the report and the rows, download the Excel report."""
from __future__ import annotations

import json

from flask import request, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.accounts.auth import actor
from app.api import BaseSchema, UtcDateTime, problems, raw_body, upload_limit
from app.errors import invalid

from . import services
from .models import CLASSES, REASONS
from .views import XLSX, upload_parts, xlsx_response

blp = Blueprint("registers_api", __name__, url_prefix="/api/v1", description="部门登记表比对与结果回传")


class RegisterSchema(Schema):
    id = fields.Integer()
    kind = fields.String(attribute="kind.name", metadata={"description": "登记表类别"})
    department = fields.String()
    filename = fields.String()
    status = fields.String(metadata={"description": "matching 比对中 / done 已完成"})
    status_label = fields.String()
    rows_total = fields.Integer()
    counts = fields.Dict(allow_none=True, metadata={"description": "各比对结果的行数"})
    uploaded_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)
    job_id = fields.String(allow_none=True)
    job_url = fields.Method("_job_url")
    report_url = fields.Method("_report_url")

    def _job_url(self, reg):
        return url_for("jobs.get_job", job_id=reg.job_id) if reg.job_id else None

    def _report_url(self, reg):
        return url_for("compare.register", register_id=reg.id, _external=True)


class ReportSchema(RegisterSchema):
    report = fields.Function(services.report, metadata={"description": "classes 各结果行数；reasons 疑似原因；districts 分区县；tasks 现场核查（outcomes 各核查结果）"})


class RowSchema(Schema):
    row = fields.Integer(attribute="row.row_number", metadata={"description": "文件中的行号"})
    name = fields.String(attribute="row.name")
    credit_code = fields.String(attribute="row.credit_code")
    address = fields.String(attribute="row.address")
    contact = fields.String(attribute="row.contact")
    phone = fields.String(attribute="row.phone_masked", allow_none=True, metadata={"description": "已脱敏"})
    klass = fields.String(attribute="row.klass", data_key="class", allow_none=True)
    class_label = fields.String(attribute="row.klass_label")
    reasons = fields.List(fields.String(), attribute="row.reasons", allow_none=True)
    explanation = fields.String(attribute="row.explanation", allow_none=True)
    errors = fields.Dict(attribute="row.errors", allow_none=True, metadata={"description": "无法比对的行：字段 → 问题"})
    name_score = fields.Float(attribute="row.name_score", allow_none=True)
    address_code = fields.String(attribute="row.address_code", allow_none=True, metadata={"description": "所指标准地址（门牌）编码"})
    found_code = fields.String(attribute="row.found_code", allow_none=True, metadata={"description": "实有单位所在门牌编码"})
    task_id = fields.Integer(attribute="task.id", allow_none=True)
    task_status = fields.String(attribute="task.status", allow_none=True)
    outcome = fields.String(attribute="task.outcome", allow_none=True, metadata={"description": "confirmed / corrected / not_found"})
    outcome_note = fields.Method("_note")

    def _note(self, item):
        task = item["task"]
        return (task.result or {}).get("note") if task else None


class RowArgs(BaseSchema):
    klass = fields.String(data_key="class", load_default=None, validate=validate.OneOf(list(CLASSES)))
    reason = fields.String(load_default=None, validate=validate.OneOf(list(REASONS)))
    after = fields.Integer(load_default=0, metadata={"description": "翻页：上一页最后一行的行号"})
    limit = fields.Integer(load_default=services.PAGE, validate=validate.Range(1, 1000))


@blp.post("/registers")
@upload_limit("REGISTER_MAX_BYTES")
@raw_body
@blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file", "kind", "department"],
    "properties": {"file": {"type": "string", "format": "binary", "description": ".xlsx 或 .csv（UTF-8/GB18030）"},
                   "kind": {"type": "string", "description": "登记表类别，如 道路运输企业"},
                   "department": {"type": "string", "description": "报送部门"},
                   "mapping": {"type": "string", "description": '列对应（JSON），如 {"name": "企业名称", "address": "经营地址"}；'
                                                            "不填时用该类别上次的对应或按表头猜"}}}}}})
@blp.response(202, RegisterSchema)
@problems(blp, "validation.failed", "request.too_large", "auth.forbidden")
def upload():
    """上传登记表并开始比对（后台任务，job_url 可查进度）"""
    data, filename = upload_parts()
    if not data:
        raise invalid({"file": "请上传登记表文件（表单字段 file）"})
    mapping = request.form.get("mapping")
    if mapping:
        try:
            mapping = json.loads(mapping)
        except ValueError:
            mapping = None
        if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            raise invalid({"mapping": '应为 JSON 对象，字段 → 表头，如 {"name": "企业名称"}'})
    return services.upload(actor(), data, filename, request.form.get("kind", ""), request.form.get("department", ""),
                           mapping or None)


@blp.get("/registers")
@blp.response(200, RegisterSchema(many=True))
@problems(blp, "auth.forbidden")
def listing():
    """我能看到的历次比对（新的在前）"""
    return services.listing(actor())


@blp.get("/registers/<int:register_id>")
@blp.response(200, ReportSchema)
@problems(blp, "resource.not_found", "auth.forbidden")
def report(register_id):
    """比对报告：各结果、疑似原因、分区县的行数，以及现场核查的结果"""
    return services.get(actor(), register_id)


@blp.get("/registers/<int:register_id>/rows")
@blp.arguments(RowArgs, location="query")
@blp.response(200, RowSchema(many=True))
@problems(blp, "resource.not_found", "auth.forbidden")
def rows(args, register_id):
    """逐行结果（按行号；after 翻页）"""
    reg = services.get(actor(), register_id)
    return services.rows(reg, args["klass"], args["reason"], args["after"], args["limit"])


@blp.get("/registers/<int:register_id>/report.xlsx")
@blp.response(200, description="比对报告（Excel）", content_type=XLSX)
@problems(blp, "resource.not_found", "auth.forbidden")
def report_xlsx(register_id):
    """比对报告（Excel：汇总与逐行明细）"""
    return xlsx_response(services.get(actor(), register_id))
