"""What every request must be before a view, a template or the database sees it.

Text the database can store: no NUL character (PostgreSQL text cannot hold one) and no lone
surrogate (not encodable as UTF-8), in the path, the query, form fields, file names and JSON. JSON as
the standard has it (no NaN or Infinity, numbers a float can hold) and nested at most
MAX_JSON_DEPTH deep. Ids in paths within the database's integers. Form fields with names.
Each refusal is a problem naming the field and the rule, never a 500 from deeper down.
"""
from __future__ import annotations

import json
import math
import re

from flask import Flask, Request, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import BaseConverter, IntegerConverter

from app.errors import Problem, invalid

# PostgreSQL's `integer`, the type of every id and version column: a larger number in a path or a
# body would reach the database and fail there.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
MAX_JSON_DEPTH = 32  # our deepest body (a GeoJSON footprint in a building) is five deep
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
JSON_ESCAPES = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")  # how NUL and surrogates are written in JSON
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
RULE = "不能含 NUL 字符（\\u0000）或不成对的代理字符（\\ud800–\\udfff）"


def database_id(value) -> int | None:
    """`value` (a form field, a query parameter, a decoded cursor) as an id the database can hold,
    else None."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= INT_MAX else None


class Digits(BaseConverter):
    """`<digits:…>`: a code of digits, kept as text (a building's object code beside /buildings/nearby)."""
    regex = r"\d+"


class DatabaseInteger(IntegerConverter):
    """`<int:…>` in a route: a number beyond INT_MAX matches no route (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


def _constant(name: str):
    raise ValueError(f"{name} 不是标准 JSON 的数值")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"数值 {text[:20]} 超出范围")
    return value


class StrictJSONProvider(DefaultJSONProvider):
    """Parses JSON as the standard has it; nesting deep enough to exhaust the stack is an error
    like any other (RecursionError would otherwise escape as a 500). Writes Chinese as it is, and
    fields in the order the schemas declare them (no sorting cost)."""

    ensure_ascii = False
    sort_keys = False

    def loads(self, s, **kwargs):
        kwargs.setdefault("parse_constant", _constant)
        kwargs.setdefault("parse_float", _finite)
        try:
            return json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError(f"嵌套超过 {MAX_JSON_DEPTH} 层") from None


class ProblemRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None):
        if e is None:  # not JSON at all: 415, as Flask says
            return super().on_json_loading_failed(e)
        where = f"第 {e.lineno} 行第 {e.colno} 列有误" if isinstance(e, json.JSONDecodeError) else str(e)
        raise Problem("request.invalid", f"请求体不是有效的 JSON：{where}")


def _check_json(value, field: str, depth: int, errors: dict) -> None:
    """`depth`: how many objects and arrays enclose `value`."""
    if depth >= MAX_JSON_DEPTH and isinstance(value, (dict, list)):
        raise Problem("request.invalid", f"请求体的 JSON 嵌套超过 {MAX_JSON_DEPTH} 层")
    if isinstance(value, str):
        if UNSTORABLE.search(value):
            errors[field or "_body"] = RULE
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{field}.{key}" if field else key
            if UNSTORABLE.search(key):
                errors[(field + "." if field else "") + UNSTORABLE.sub("?", key)] = f"字段名{RULE}"
            else:
                _check_json(item, name, depth + 1, errors)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_json(item, f"{field}.{i}" if field else str(i), depth + 1, errors)


def _check_pairs(pairs, errors: dict, what: str = "") -> None:
    for key, value in pairs:
        if key is None:
            raise Problem("request.invalid", "表单中有没有名称的字段（Content-Disposition 缺少 name）")
        if UNSTORABLE.search(key) or UNSTORABLE.search(value):
            errors[UNSTORABLE.sub("?", key)] = what + RULE


def refuse_unstorable_input() -> None:
    """The before_request guard (see the module's docstring). Cheap for what is fine: a NUL reaches
    a path, a query or a form only %-encoded or raw, a lone surrogate only as a JSON escape, and a
    JSON body with few brackets cannot be deep; only then are the parsed values walked."""
    if request.routing_exception is not None:  # no such route or method: that is the answer
        return
    if "\x00" in request.path:
        raise Problem("request.invalid", f"地址{RULE}")
    errors: dict[str, str] = {}
    if b"%00" in request.query_string:
        _check_pairs(request.args.items(multi=True), errors)
    if request.method in BODY_METHODS:
        if request.mimetype in FORM_TYPES:
            _check_pairs(request.form.items(multi=True), errors)
            _check_pairs(((key, f.filename or "") for key, f in request.files.items(multi=True)), errors, "文件名")
        elif request.is_json and (request.content_length or request.headers.get("Transfer-Encoding")):
            body = request.get_json(silent=True)  # parsed once: the views read it from the cache
            if body is None:
                body = request.get_json()  # not JSON (or `null`): ProblemRequest says what is wrong
            raw = request.get_data(cache=True)
            if JSON_ESCAPES.search(raw) or raw.count(b"[") + raw.count(b"{") >= MAX_JSON_DEPTH:
                _check_json(body, "", 0, errors)
    if errors:
        raise invalid(errors)


def init_edge(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseInteger
    app.url_map.converters["digits"] = Digits
    app.json = StrictJSONProvider(app)
    app.request_class = ProblemRequest
    app.before_request(refuse_unstorable_input)
