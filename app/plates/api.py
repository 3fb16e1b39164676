"""JSON endpoints of plates: a scan (public), a plate's history, revoke and reissue, printing."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, current_app, url_for
from flask_smorest import Blueprint

from app.accounts.auth import actor, public
from app.api import problems
from app.extensions import limiter
from app.jobs.schemas import JobSchema

from . import services
from .schemas import PlateSchema, PngArgs, PrintJobIn, ReasonIn, ScanSchema

blp = Blueprint("plates_api", __name__, url_prefix="/api/v1", description="二维码门牌：扫码、发牌、换牌、打印")
scan_limit = limiter.limit(lambda: current_app.config["RATELIMIT_PLATE_SCAN"])


@blp.get("/plates/<token>")
@public
@scan_limit
@blp.response(200, ScanSchema)
@problems(blp, "plate.unknown", "request.rate_limited")
def scan(token):
    """扫码：门牌二维码对应的地址（公开，无需登录，不含任何个人信息；按来源限频）"""
    plate, node = services.scanned(token)
    return {"plate": plate, "address": node}


@blp.get("/addresses/<code>/plates")
@blp.response(200, PlateSchema(many=True))
@problems(blp, "resource.not_found", "auth.forbidden")
def plate_history(code):
    """地址的全部门牌（新的在前），含已更换、已停用的"""
    _, plates, _ = services.plates_of(actor(), code)
    return plates


@blp.get("/addresses/<code>/plate.png")
@blp.arguments(PngArgs, location="query")
@blp.response(200, description="门牌 PNG（默认 300 dpi）", content_type="image/png")
@problems(blp, "resource.not_found", "auth.forbidden", "plate.unprintable", "validation.failed")
def plate_png(args, code):
    """门牌图片：预览或下载（尚未发牌的地址此时发牌；download=true 记入打印记录）"""
    data, name = services.png(actor(), code, width_px=args["width_px"], download=args["download"])
    disposition = "attachment" if args["download"] else "inline"
    return Response(data, mimetype="image/png",
                    headers={"Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}"})


@blp.post("/plates/<token>/reissue")
@blp.arguments(ReasonIn)
@blp.response(201, PlateSchema)
@problems(blp, "resource.not_found", "auth.forbidden", "state.not_allowed", "validation.failed")
def reissue(data, token):
    """换牌：为同一地址发新二维码，旧码扫出“已更换”"""
    return services.reissue(actor(), token, data["reason"])


@blp.post("/plates/<token>/revoke")
@blp.arguments(ReasonIn)
@blp.response(200, PlateSchema)
@problems(blp, "resource.not_found", "auth.forbidden", "state.not_allowed", "validation.failed")
def revoke(data, token):
    """停用门牌（如楼栋拆除）；旧码扫出“已停用”"""
    return services.revoke(actor(), token, data["reason"])


@blp.post("/plate-prints")
@blp.arguments(PrintJobIn)
@blp.response(202, JobSchema)
@problems(blp, "resource.not_found", "auth.forbidden", "validation.failed")
def start_print(data):
    """批量打印门牌为矢量 PDF（后台任务，返回任务及进度链接）"""
    job = services.start_print_job(actor(), data)
    return job, 202, {"Location": url_for("jobs.get_job", job_id=job.id)}

