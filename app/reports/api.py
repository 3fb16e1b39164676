"""Public reports as JSON, for a city's own mini-program or app: the same checks and limits as the
forms on the plate's page (photos only through the form)."""
from __future__ import annotations

from flask import request, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.accounts.auth import public, public_write
from app.api import UtcDateTime, problems
from app.errors import Problem, invalid

from . import services
from .views import FORMS, HONEYPOT, client_limit, plate_limit, receipt_limit

blp = Blueprint("reports_api", __name__, url_prefix="/api/v1/public", description="居民扫码申报（公开，无需登录）")


class ReceiptSchema(Schema):
    reference = fields.String(metadata={"description": "回执号"})
    status_url = fields.String(metadata={"description": "办理进度页"})
    receipt_token = fields.String()


class StateSchema(Schema):
    reference = fields.String()
    kind = fields.String()
    status = fields.String()
    state = fields.String(metadata={"description": "已受理、审核中、需补充信息、已办结"})
    received_at = UtcDateTime()
    decided_at = UtcDateTime(allow_none=True)


def _as_form(body: dict) -> None:
    """The body holds what the page's form would: text, a list of text for the boxes ticked
    (`changes`), true or text for the consent, null for nothing; else a 422 naming the field."""
    errors = {}
    for name, value in body.items():
        if value is None:
            continue
        if name == "changes":
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        else:
            ok = isinstance(value, str) or (name == "consent" and isinstance(value, bool))
        if not ok:
            errors[name] = "应为文本的列表" if name == "changes" else "应为文本"
    if errors:
        raise invalid(errors)


def _receipt(report) -> dict:
    return {"reference": report.reference, "receipt_token": report.receipt_token,
            "status_url": url_for("reports.receipt", receipt_token=report.receipt_token, _external=True)}


@blp.post("/plates/<token>/reports/<kind>")
@public_write
@client_limit
@plate_limit
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": {"type": "object"}}},
                      "description": f"kind：{'、'.join(f'{k}（{v}）' for k, v in FORMS.items())}；字段与页面表单相同；"
                                     "client_id（可选，客户端生成的 UUID）：同一申报重发时不变，内容相同则返回原回执"})
@blp.response(202, ReceiptSchema)
@problems(blp, "plate.unknown", "validation.failed", "submission.conflict", "request.rate_limited")
def file_report(token, kind):
    """提交申报：进入审核流程，返回本申报的回执号和进度链接（带同一 client_id 重发同一内容时返回同一回执）"""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Problem("request.invalid", "请求体应为 JSON 对象")
    _as_form(body)
    if body.get(HONEYPOT):
        return _receipt(services.decoy())
    if kind not in FORMS:
        raise Problem("plate.unknown")
    return _receipt(services.file(token, kind, body))


@blp.get("/receipts/<receipt_token>")
@public
@receipt_limit
@blp.response(200, StateSchema)
@problems(blp, "resource.not_found", "request.rate_limited")
def receipt(receipt_token):
    """办理进度（只有状态，不含申报内容；按来源限频）"""
    return services.receipt(receipt_token)
