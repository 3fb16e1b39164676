"""Problems: the one way errors leave the server.

Every error response is RFC 9457 `application/problem+json` with `type`, `title`, `status`, `detail`,
`code` and, for validation, `errors` (one entry per field: `field`, `message`). Codes are stable and
listed in CATALOGUE; raise `Problem(code, ...)` anywhere below a view and the handler renders it.
No stack trace ever reaches a client: unexpected exceptions are logged and answered as `server.error`.
"""
from __future__ import annotations

import logging
import re

from flask import Flask, current_app, jsonify, request
from flask_wtf.csrf import CSRFError
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import exc
from sqlalchemy.orm.exc import StaleDataError
from PIL.Image import DecompressionBombError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
DATABASE_RETRY_AFTER_S = 5

# code -> (HTTP status, title shown to users)
CATALOGUE: dict[str, tuple[int, str]] = {
    "request.invalid": (400, "请求格式有误"),
    "request.csrf": (400, "页面已过期，请刷新后重试（CSRF 校验失败）"),
    "auth.required": (401, "请先登录"),
    "auth.invalid_credentials": (401, "用户名或密码错误"),
    "auth.api_key_invalid": (401, "API 密钥无效或已吊销"),
    "auth.forbidden": (403, "您的角色无权执行此操作"),
    "review.not_your_step": (403, "该提交不在您的审核环节"),
    "resource.not_found": (404, "未找到该对象，或它不在您的辖区内"),
    "plate.unknown": (404, "无法识别这个门牌二维码：它不是本系统发放的，或链接不完整"),
    "request.method_not_allowed": (405, "不支持该请求方法"),
    "request.not_acceptable": (406, "无法提供所请求的格式"),
    "conflict.version": (409, "数据已被他人修改，请刷新后重试"),
    "conflict.duplicate": (409, "已存在相同的记录"),
    "binding.already_bound": (409, "该单位已绑定在其他地址，确认迁移后再绑定"),
    "state.not_allowed": (409, "当前状态不允许此操作"),
    "submission.conflict": (409, "该提交编号已用于内容不同的另一份提交"),
    "review.claimed": (409, "该提交已被其他审核人领取"),
    "review.conflict": (409, "提交后主数据已变化，需核对后再通过"),
    "task.conflict": (409, "该任务已由他人答复"),
    "request.too_large": (413, "上传内容过大"),
    "photo.too_large": (413, "照片过大"),
    "request.unsupported_media_type": (415, "请求内容类型不受支持，请使用 application/json"),
    "photo.unsupported_type": (415, "不是可接受的照片格式"),
    "validation.failed": (422, "输入有误，请按提示修改"),
    "plate.unprintable": (422, "门牌上有字体无法印出的字，请先更正地址名称"),
    "photo.missing": (422, "提交引用的照片尚未上传"),
    "photo.hash_mismatch": (422, "照片内容与其 SHA-256 不符"),
    "photo.unreadable": (422, "照片文件已损坏"),
    "photo.too_many_pixels": (422, "照片像素超过上限"),
    "pack.too_large": (422, "辖区过大，无法整体下载到手机"),
    "request.rate_limited": (429, "请求过于频繁，请稍后再试"),
    "server.error": (500, "服务器内部错误，已记录，请稍后再试"),
    "server.unavailable": (503, "服务暂不可用，请稍后再试"),
    "plate.font_missing": (503, "服务器缺少中文字体，暂时无法生成门牌，请联系管理员"),
}

_STATUS_CODES = {
    400: "request.invalid",
    401: "auth.required",
    403: "auth.forbidden",
    404: "resource.not_found",
    405: "request.method_not_allowed",
    406: "request.not_acceptable",
    409: "conflict.duplicate",
    413: "request.too_large",
    415: "request.unsupported_media_type",
    422: "validation.failed",
    429: "request.rate_limited",
    500: "server.error",
    503: "server.unavailable",
}


class Problem(Exception):
    """An error a client can act on. `errors` maps field name -> message (Chinese, says what to fix)."""

    def __init__(self, code: str, detail: str | None = None, *, field: str | None = None,
                 errors: dict[str, str] | None = None, **extra):
        if code not in CATALOGUE:
            raise KeyError(f"problem code {code!r} is not in the catalogue")
        self.code = code
        self.status, self.title = CATALOGUE[code]
        self.errors = dict(errors or {})
        if field is not None:
            self.errors.setdefault(field, detail or self.title)
        self.detail = detail or self.title
        self.extra = extra
        super().__init__(f"{code}: {self.detail}")

    def to_dict(self) -> dict:
        body = {
            "type": f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/api/problems#{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if self.errors:
            body["errors"] = [{"field": f, "message": m} for f, m in self.errors.items()]
        body.update(self.extra)
        return body


class FieldErrorSchema(Schema):
    field = fields.String(metadata={"description": "出错的字段"})
    message = fields.String(metadata={"description": "错在哪里、应如何修改"})


class ProblemSchema(Schema):
    """Every member a problem can carry (the OpenAPI document's `Problem`)."""
    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    code = fields.String(required=True, metadata={"description": "稳定的问题代码，见 /api/problems"})
    errors = fields.List(fields.Nested(FieldErrorSchema), metadata={"description": "输入有误时：每个出错的字段"})
    current_version = fields.Integer(metadata={"description": "conflict.version：对象现在的版本"})
    changes = fields.Dict(metadata={"description": "review.conflict：提交后变化了的主数据，每项 {base, current}"})
    retry_after_s = fields.Integer(metadata={"description": "几秒后可以重试（同 Retry-After 头）"})
    headers = fields.List(fields.String(), metadata={"description": "登记表列对应不上时：文件的表头"})


def invalid(errors: dict[str, str]) -> Problem:
    """A 422 naming each field and what is wrong with it."""
    detail = "；".join(f"{field}：{message}" for field, message in errors.items())
    return Problem("validation.failed", detail, errors=errors)


def flatten_messages(messages, prefix: str = "") -> dict[str, str]:
    """marshmallow/webargs nested messages -> {"a.b": "first message"}."""
    out: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            # webargs nests by location (json, query, form); the location is not part of the field.
            if not prefix and key in {"json", "query", "form", "files", "headers", "view_args", "querystring"}:
                out.update(flatten_messages(value, ""))
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
                out.update(flatten_messages(value, "" if name == "_schema" else name) if isinstance(value, dict)
                           else {name: _first(value)})
    else:
        out[prefix or "_schema"] = _first(messages)
    return out


def _first(value) -> str:
    if isinstance(value, (list, tuple)):
        return "；".join(str(v) for v in value)
    return str(value)


def problem_response(problem: Problem):
    response = jsonify(problem.to_dict())
    response.status_code = problem.status
    response.mimetype = PROBLEM_MEDIA_TYPE
    if problem.status == 401 and request.path.startswith("/api/"):
        response.headers["WWW-Authenticate"] = 'Bearer realm="yibiao"'
    return _retry_after(problem, response)


def _retry_after(problem: Problem, response):
    if "retry_after_s" in problem.extra:
        response.headers["Retry-After"] = str(problem.extra["retry_after_s"])
    return response


_PER = {"second": "秒", "minute": "分钟", "hour": "小时", "day": "天", "month": "月", "year": "年"}


def _chinese_limit(description: str) -> str:
    """Flask-Limiter's "10 per 1 hour" as "每 1 小时 10 次" (anything else as it is)."""
    match = re.fullmatch(r"(\d+) per (\d+) (second|minute|hour|day|month|year)s?", description or "")
    return f"每 {match[2]} {_PER[match[3]]} {match[1]} 次" if match else description


def _from_http_exception(e: HTTPException) -> Problem:
    status = e.code or 500
    code = _STATUS_CODES.get(status, "server.error" if status >= 500 else "request.invalid")
    data = getattr(e, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    if status == 422 and messages:
        return invalid(flatten_messages(messages))
    if isinstance(e, CSRFError):
        return Problem("request.csrf", f"页面已过期，请刷新后重试（{e.description}）")
    if status == 413:
        key = getattr(current_app.view_functions.get(request.endpoint), "upload_limit", None)
        limit = current_app.config[key] if key else request.max_content_length
        return Problem("request.too_large", f"上传内容超过 {limit / 1024 / 1024:.0f} MB，请减小文件（如按区县拆分）后重试"
                       if limit else None)
    if status == 429:
        return Problem("request.rate_limited", f"请求过于频繁（限额：{_chinese_limit(e.description)}），请稍后再试")
    if code in CATALOGUE and CATALOGUE[code][0] == status:
        return Problem(code)
    problem = Problem("server.error" if status >= 500 else "request.invalid")
    problem.status = status
    return problem


def wants_html() -> bool:
    if request.path.startswith("/api/"):
        return False
    best = request.accept_mimetypes.best_match(["text/html", "application/json", PROBLEM_MEDIA_TYPE])
    return best == "text/html"


def register_error_handlers(app: Flask) -> None:
    from flask import make_response, render_template

    def render(problem: Problem):
        if wants_html():
            return _retry_after(problem, make_response(render_template("error.html", problem=problem.to_dict()),
                                                       problem.status))
        return problem_response(problem)

    @app.errorhandler(Problem)
    def handle_problem(e: Problem):
        return render(e)

    @app.errorhandler(ValidationError)
    def handle_validation(e: ValidationError):
        return render(invalid(flatten_messages(e.messages)))

    @app.errorhandler(HTTPException)
    def handle_http(e: HTTPException):
        response = render(_from_http_exception(e))
        # What the exception says in its headers stays said: Allow on a 405 above all.
        for name, value in e.get_headers():
            if name.lower() != "content-type":
                response.headers.setdefault(name, value)
        return response

    @app.errorhandler(exc.OperationalError)
    @app.errorhandler(exc.DisconnectionError)
    @app.errorhandler(exc.TimeoutError)
    def handle_database_gone(e: Exception):
        # The database went away (restarted, connection cut, pool exhausted, SQLite locked): the
        # request can be sent again in a moment, and nothing of it was committed.
        log.warning("database unavailable on %s %s: %s", request.method, request.path, str(e).splitlines()[0])
        return render(Problem("server.unavailable", "数据库暂时无法连接，请稍后重试",
                              retry_after_s=DATABASE_RETRY_AFTER_S))

    @app.errorhandler(StaleDataError)
    def handle_changed_meanwhile(e: StaleDataError):
        # A row's version counter said it was changed by someone else between this request's read and
        # its write (app/lifecycle.py): the write was refused, the transaction is rolled back.
        from app.extensions import db

        db.session.rollback()
        return render(Problem("conflict.version", "数据刚刚已被他人修改，请刷新后查看最新内容再操作"))

    @app.errorhandler(DecompressionBombError)
    def handle_image_bomb(e: DecompressionBombError):
        # Pillow's own limit (app/collect/images.py), for an image opened some other way than a photo
        limit = current_app.config["PHOTO_MAX_PIXELS"] // 10000
        return render(Problem("photo.too_many_pixels", f"图片像素超过上限 {limit} 万像素，请缩小后重传"))

    @app.get("/api/problems")
    def problem_catalogue():
        """What every problem code means: the `type` of each problem response points here."""
        return render_template("problems.html", catalogue=CATALOGUE)

    @app.errorhandler(Exception)
    def handle_unexpected(e: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render(Problem("server.error"))
