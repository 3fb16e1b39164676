"""Shared pieces of the JSON API: the base schema (Chinese messages, unknown fields refused, numbers
the database holds), the time and date fields, and cursor pagination."""
from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone

from flask import request, url_for
from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate
from sqlalchemy import Select

from app.edge import INT_MAX, INT_MIN, database_id
from app.errors import CATALOGUE, Problem, ProblemSchema
from app.extensions import db
from app.lifecycle import as_utc, local_today, utcnow

# marshmallow's own messages, in the language our users read. Set once, for every schema.
_MESSAGES = {
    fields.Field: {"required": "必填", "null": "不能为空", "validator_failed": "取值无效"},
    fields.String: {"invalid": "应为文本", "invalid_utf8": "不是有效的 UTF-8 文本"},
    fields.Number: {"invalid": "应为数字", "too_large": "数值过大"},
    fields.Integer: {"invalid": "应为整数"},
    fields.Float: {"special": "不能是 NaN 或无穷大"},
    fields.Boolean: {"invalid": "应为 true 或 false"},
    fields.Date: {"invalid": "应为日期，格式 YYYY-MM-DD", "format": "无法格式化为日期"},
    fields.DateTime: {"invalid": "应为时间，如 2026-11-26T10:00:00+08:00", "format": "无法格式化为时间"},
    fields.List: {"invalid": "应为列表"},
    fields.Dict: {"invalid": "应为对象"},
    fields.Nested: {"type": "应为对象"},
}
for _field, _messages in _MESSAGES.items():
    _field.default_error_messages = {**_field.default_error_messages, **_messages}


_DATABASE_INTEGER = validate.Range(INT_MIN, INT_MAX, error=f"应在 {INT_MIN} 到 {INT_MAX} 之间")


class BaseSchema(Schema):
    """What comes in: unknown fields refused, every integer one the database can hold (a larger one
    would fail there as a 500), no float NaN or infinite."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "不认识的字段", "type": "应为 JSON 对象"}

    def on_bind_field(self, field_name, field_obj):
        if isinstance(field_obj, fields.Integer) and _DATABASE_INTEGER not in field_obj.validators:
            field_obj.validators = [*field_obj.validators, _DATABASE_INTEGER]
        if isinstance(field_obj, fields.Float):
            field_obj.allow_nan = False

    @pre_load
    def _booleans_are_not_numbers(self, data, **kwargs):
        """A boolean is true or false (or, in a query or a form, its text): marshmallow would also take
        0 and 1, since they equal False and True."""
        if isinstance(data, Mapping):
            for name, field in self.load_fields.items():
                raw = data.get(field.data_key or name)
                if isinstance(field, fields.Boolean) and isinstance(raw, (int, float)) and not isinstance(raw, bool):
                    raise ValidationError(field.error_messages["invalid"], field.data_key or name)
        return data


# No time this service is sent can be older than the service; a phone's clock may run a little ahead.
SERVICE_START = datetime(2020, 1, 1, tzinfo=timezone.utc)
CLOCK_SKEW = timedelta(minutes=10)


class UtcDateTime(fields.AwareDateTime):
    """A time with its zone, both ways. Out: in UTC with its zone, whether just written or read back
    (SQLite hands times back without one; a browser would read those as its local time). In: it must
    carry its zone and lie between `earliest` and now plus CLOCK_SKEW, and is kept in UTC (SQLite would
    store 10:00+08:00 as 10:00, read back as UTC). A time outside that is a wrong clock or a forged
    body, and one past the year 9999 in UTC, stored on PostgreSQL, could not be read back."""

    default_error_messages = {
        "invalid": "应为带时区的时间，如 2026-11-26T10:00:00+08:00",
        "invalid_awareness": "应带时区，如 2026-11-26T10:00:00+08:00",
        "range": "应在 {earliest} 到当前时间之间（允许 {skew} 分钟的时钟误差）",
    }

    def __init__(self, *, earliest: datetime = SERVICE_START, **kwargs):
        super().__init__(default_timezone=None, **kwargs)
        self.earliest = earliest

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else super()._serialize(as_utc(value), attr, obj, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not self.earliest <= value <= utcnow() + CLOCK_SKEW:
            raise self.make_error("range", earliest=self.earliest.date().isoformat(),
                                  skew=int(CLOCK_SKEW.total_seconds()) // 60)
        return value.astimezone(timezone.utc)


class Day(fields.Date):
    """A calendar day between `earliest` and `days_ahead` days after today (in TIMEZONE, where the
    people who type it live)."""

    default_error_messages = {"range": "应在 {earliest} 到 {latest} 之间"}

    def __init__(self, *, earliest: date, days_ahead: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.earliest, self.days_ahead = earliest, days_ahead

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        latest = local_today() + timedelta(days=self.days_ahead)
        if not self.earliest <= value <= latest:
            raise self.make_error("range", earliest=self.earliest.isoformat(), latest=latest.isoformat())
        return value


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
    # Not to the poles: the maps (Web Mercator, to 85.05°) and the BeiDou grid code (to 88°) stop short.
    return fields.Float(allow_nan=False, validate=validate.Range(-85, 85, error="应在 -85 到 85 之间（地图和北斗网格码不覆盖两极）"),
                        metadata={"description": "纬度"}, **kw)


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
        kind, value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split(":", 1)
    except ValueError:  # not base64, not UTF-8, no colon
        kind = value = None
    found = database_id(value) if kind == "id" else None
    if found is None:
        raise Problem("validation.failed", field="cursor", detail="游标无效，请使用上一页响应中的 next 链接")
    return found


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
        view = app.view_functions.get(request.endpoint)
        if view is None or getattr(view, "raw_body", False):  # no such route or method: 404 or 405 first
            return
        if (request.path.startswith("/api/") and request.method in {"POST", "PUT", "PATCH"}
                and (request.content_length or request.headers.get("Transfer-Encoding")) and not request.is_json):
            raise Problem("request.unsupported_media_type",
                          f"请求内容类型为 {request.mimetype or '空'}，请使用 application/json")
