"""JSON endpoints of the field app: photos by hash, idempotent submissions, the offline address
pack and the collector's inbox."""
from __future__ import annotations

import hashlib

from flask import Response, json, request
from flask_smorest import Blueprint

from app.accounts.auth import actor
from app.api import problems, raw_body
from app.errors import Problem
from app.extensions import compress

from . import services
from .schemas import BindingIn, InboxArgs, PackArgs, ShopIn, SubmissionSchema

blp = Blueprint("collect_api", __name__, url_prefix="/api/v1", description="外业采集：照片、提交、离线地址包、我的提交")

SHA256_PATH = "<sha256>"


@blp.route(f"/photos/{SHA256_PATH}", methods=["PUT"])
@raw_body
@blp.doc(requestBody={"required": True, "description": "照片原始字节（JPEG、PNG 或 WebP），地址中的 SHA-256 须与内容一致",
                      "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}},
         responses={"200": {"description": "已有这张照片，未重复保存"}, "201": {"description": "已保存"}})
@problems(blp, "photo.too_large", "photo.unsupported_type", "photo.hash_mismatch", "photo.too_many_pixels",
          "photo.unreadable", "request.too_large", "auth.forbidden")
def put_photo(sha256):
    """上传照片（按内容的 SHA-256 存放；已有的照片不会再存一次）"""
    photo, created = services.put_photo(actor(), sha256, request.get_data(cache=False))
    body = {"sha256": photo.sha256, "size": photo.size, "content_type": photo.content_type,
            "width": photo.width, "height": photo.height}
    return body, 201 if created else 200


@blp.route(f"/photos/{SHA256_PATH}", methods=["GET"])
@blp.doc(responses={"200": {"description": "照片（服务器重新编码后的副本：方向已摆正、无 EXIF）；"
                                          "HEAD 只回答是否已有这张照片（200/404），规则与 GET 相同",
                            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}})
@problems(blp, "resource.not_found", "photo.unreadable")
def get_photo(sha256):
    """查看照片（上传者本人，或能看到引用它的提交、任务的人）；HEAD：服务器是否已有（无权查看的照片与没有的一样：404）"""
    if request.method == "HEAD":
        if not services.has_photo(actor(), sha256):
            raise Problem("resource.not_found")
        return Response(status=200)
    data, content_type = services.photo_for(actor(), sha256)
    response = Response(data, mimetype=content_type)
    response.set_etag(hashlib.sha256(data).hexdigest())
    response.cache_control.private = True
    response.cache_control.max_age = 86400
    return response.make_conditional(request)


@blp.post("/submissions")
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": {"oneOf": [ShopIn, BindingIn]}}}})
@blp.response(201, SubmissionSchema, description="已接收")
@blp.alt_response(200, schema=SubmissionSchema, description="同一编号、同一内容的重发：返回第一次的结果，不重复保存")
@problems(blp, "submission.conflict", "validation.failed", "photo.missing", "binding.already_bound",
          "conflict.duplicate", "auth.forbidden")
def create_submission():
    """提交外业采集（按手机生成的 id 幂等：重发同一内容返回原结果，内容不同则 409）"""
    submission, created = services.submit(actor(), request.get_json(silent=True))
    return submission, 201 if created else 200


@blp.get("/submissions")
@blp.arguments(InboxArgs, location="query")
@blp.response(200, SubmissionSchema(many=True))
def my_submissions(args):
    """我的提交（最新的在前）：手机上的“我的提交/退回”收件箱"""
    return services.my_submissions(actor(), args["status"], args["limit"])


@blp.get("/collect/pack")
@blp.arguments(PackArgs, location="query")
@blp.doc(responses={"200": {"description": "离线地址包：门牌、楼栋、单元、二维码令牌、待绑定门店、已绑定单位（行以数组表示）"},
                    "304": {"description": "与手机上的版本相同（If-None-Match）"}})
@problems(blp, "validation.failed", "pack.too_large")
@compress.compressed()  # zstd, br or gzip, as the phone accepts: a township's pack is a sixth of its JSON
def address_pack(args):
    """离线地址包：手机在辖区内离线扫码、选楼栋、采集所需的全部地址数据"""
    body = json.dumps(services.address_pack(actor(), args["area"]), separators=(",", ":"))
    etag = hashlib.sha256(body.encode()).hexdigest()[:32]
    # The phone holds this pack in whichever coding it came in (compressed, its ETag ends ":zstd" or
    # the like; a proxy may have weakened it): unchanged, it is answered 304 here, not compressed first
    # for nothing.
    held = [tag for tag in request.if_none_match.as_set(include_weak=True) if tag.partition(":")[0] == etag]
    if held:
        response = Response(status=304)
        response.set_etag(held[0])
    else:
        response = Response(body, mimetype="application/json")
        response.set_etag(etag)
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response
