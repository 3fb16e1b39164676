"""Shared pieces of the JSON API: the base schema (Chinese messages, unknown fields refused), the
problem schema for the OpenAPI document, and cursor pagination."""
from __future__ import annotations

import base64

from flask import request, url_for
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import Select

from app.errors import CATALOGUE, Problem
from app.extensions import db
from app.lifecycle import as_utc

# marshmallow's own messages, in the language our users read. Set once, for every schema.
_MESSAGES = {
    fields.Field: {"required": "必填", "null": "不能为空", "validator_failed": "取值无效"},
    fields.String: {"invalid": "应为文本", "invalid_utf8": "不是有效的 UTF-8 文本"},
    fields.Number: {"invalid": "应为数字", "too_large": "数值过大"},
    fields.Integer: {"invalid": "应为整数"},
    fields.Float: {"special": "不能是 NaN 或无穷大"},
    fields.Boolean: {"invalid": "应为 true 或 false"},
    fields.Date: {"invalid": "应为日期，格式 YYYY-MM-DD", "format": "无法格式化为日期"},
    fields.List: {"invalid": "应为列表"},
    fields.Dict: {"invalid": "应为对象"},
    fields.Nested: {"type": "应为对象"},
}
for _field, _messages in _MESSAGES.items():
    _field.default_error_messages = {**_field.default_error_messages, **_messages}


class BaseSchema(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "不认识的字段", "type": "应为 JSON 对象"}


class UtcDateTime(fields.DateTime):
    """A stored time with its zone (SQLite hands times back without one; a browser would read those
    as its local time)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else super()._serialize(as_utc(value), attr, obj, **kwargs)


def length(lo: int, hi: int):
    return validate.Length(lo, hi, error=f"长度应为 {lo}–{hi} 个字符")


def between(lo, hi):
    return validate.Range(lo, hi, error=f"应在 {lo} 到 {hi} 之间")


def one_of(choices: dict):
    labels = "、".join(f"{k}（{v}）" for k, v in choices.items())
    return validate.OneOf(list(choices), error=f"只能是：{labels}")


def lon_field(**kw):
    return fields.Float(allow_nan=False, validate=between(-180, 180), metadata={"description": "经度"}, **kw)


def lat_field(**kw):
    return fields.Float(allow_nan=False, validate=between(-90, 90), metadata={"description": "纬度"}, **kw)


class FieldErrorSchema(Schema):
    field = fields.String(metadata={"description": "出错的字段"})
    message = fields.String(metadata={"description": "错在哪里、应如何修改"})


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    code = fields.String(metadata={"description": "稳定的问题代码，见 x-problem-codes"})
    errors = fields.List(fields.Nested(FieldErrorSchema))


def problems(blp, *codes: str):
    """Document the problem responses of an endpoint: one per status, listing its codes."""
    by_status: dict[int, list[str]] = {}
    for code in ("auth.required", *codes):
        by_status.setdefault(CATALOGUE[code][0], []).append(code)

    def decorate(fn):
        for status, status_codes in sorted(by_status.items()):
            description = "；".join(f"`{c}` {CATALOGUE[c][1]}" for c in status_codes)
            fn = blp.alt_response(status, schema=ProblemSchema, description=description,
                                  content_type="application/problem+json")(fn)
        return fn
    return decorate


class PageArgs(BaseSchema):
    cursor = fields.String(load_default=None, metadata={"description": "上一页响应中的 next 游标"})
    limit = fields.Integer(load_default=50, validate=between(1, 500))


def page(stmt: Select, id_column, args: dict) -> dict:
    """One page of `stmt` ordered by `id_column`, after the cursor: {items, next, next_cursor}.

    The cursor is the last id seen, so pages stay stable while rows are added (unlike offsets).
    """
    after = _decode_cursor(args.get("cursor"))
    limit = args["limit"]
    if after is not None:
        stmt = stmt.where(id_column > after)
    rows = db.session.scalars(stmt.order_by(id_column).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = _encode_cursor(rows[-1].id) if more else None
    next_url = None
    if more:
        params = {**request.args.to_dict(), "cursor": next_cursor, "limit": limit}
        next_url = url_for(request.endpoint, **(request.view_args or {}), **params)
    return {"items": rows, "next": next_url, "next_cursor": next_cursor}


def _encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, value = raw.split(":", 1)
        if kind != "id":
            raise ValueError
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise Problem("validation.failed", field="cursor", detail="游标无效，请使用上一页响应中的 next 链接") from None


class PageSchema(Schema):
    next = fields.String(allow_none=True, metadata={"description": "下一页的链接；没有更多时为 null"})


def raw_body(view):
    """Mark an API view that takes a raw body (a photo's bytes) rather than JSON."""
    view.raw_body = True
    return view


def upload_limit(config_key: str):
    """Mark a view that takes a larger upload than MAX_CONTENT_LENGTH (a register file): the limit is
    app.config[config_key] plus room for the form's other fields."""
    def mark(view):
        view.upload_limit = config_key
        return view
    return mark


def allow_larger_uploads(app) -> None:
    """Raise the body limit for views marked with `upload_limit`; registered before the CSRF check,
    which reads the form (and so the body) first."""
    @app.before_request
    def _limit():
        key = getattr(app.view_functions.get(request.endpoint), "upload_limit", None)
        if key:
            request.max_content_length = app.config[key] + 1024 * 1024


def require_json_bodies(app) -> None:
    """API writes with a body must send JSON: anything else is 415, not a confusing 422."""

    @app.before_request
    def _json_only():
        if getattr(app.view_functions.get(request.endpoint), "raw_body", False):
            return
        if (request.path.startswith("/api/") and request.method in {"POST", "PUT", "PATCH"}
                and (request.content_length or request.headers.get("Transfer-Encoding")) and not request.is_json):
            raise Problem("request.unsupported_media_type",
                          f"请求内容类型为 {request.mimetype or '空'}，请使用 application/json")
