"""Sign-in for the browser and the field app, and user / API-key administration."""
from flask import current_app
from flask_login import current_user
from flask_smorest import Blueprint
from flask_wtf.csrf import generate_csrf

from app.api import problems
from app.extensions import limiter

from . import services
from .auth import actor, forget_session, public, session_token, start_session
from .schemas import (ActiveIn, ApiKeyIn, ApiKeySchema, IssuedKeySchema, LoginIn, PasswordIn, SessionSchema, UserIn,
                      UserSchema)

blp = Blueprint("accounts_api", __name__, url_prefix="/api/v1", description="登录、用户与 API 密钥")


def _session():
    return {"csrf_token": generate_csrf(),
            "user": current_user if current_user.is_authenticated else None}


@blp.get("/session")
@public
@blp.response(200, SessionSchema)
def get_session():
    """当前登录用户和 CSRF 令牌"""
    return _session()


@blp.post("/session")
@public
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
@blp.arguments(LoginIn)
@blp.response(200, SessionSchema)
@problems(blp, "auth.invalid_credentials", "validation.failed", "request.rate_limited", "request.csrf")
def sign_in(data):
    """用户名和密码登录（设置会话 Cookie）"""
    start_session(*services.sign_in(data["username"], data["password"]))
    return _session()


@blp.delete("/session")
@public
@blp.response(204)
def sign_out():
    """退出登录（该会话随即在服务器端失效）"""
    services.sign_out(session_token())
    forget_session()


@blp.put("/session/password")
@blp.arguments(PasswordIn)
@blp.response(204)
@problems(blp, "auth.required", "validation.failed", "request.csrf")
def change_password(data):
    """修改自己的密码（本人的其他会话全部失效，当前会话保留）"""
    services.change_password(actor(), session_token(), data["current_password"], data["new_password"])


@blp.get("/users")
@blp.response(200, UserSchema(many=True))
@problems(blp, "auth.forbidden")
def list_users():
    """我管理的用户"""
    return services.list_users(actor())


@blp.post("/users")
@blp.arguments(UserIn)
@blp.response(201, UserSchema)
@problems(blp, "auth.forbidden", "validation.failed", "conflict.duplicate")
def create_user(data):
    """新建用户（角色与辖区）"""
    return services.create_user(actor(), data)


@blp.post("/users/<int:user_id>/active")
@blp.arguments(ActiveIn)
@blp.response(200, UserSchema)
@problems(blp, "auth.forbidden", "resource.not_found", "state.not_allowed")
def set_active(data, user_id):
    """启用或停用用户"""
    return services.set_active(actor(), user_id, data["active"])


@blp.get("/api-keys")
@blp.response(200, ApiKeySchema(many=True))
@problems(blp, "auth.forbidden")
def list_keys():
    """API 密钥及调用次数"""
    return services.api_keys(actor())


@blp.post("/api-keys")
@blp.arguments(ApiKeyIn)
@blp.response(201, IssuedKeySchema)
@problems(blp, "auth.forbidden", "validation.failed", "resource.not_found")
def issue_key(data):
    """为部门用户签发 API 密钥（完整密钥只显示一次）"""
    key, secret = services.issue_api_key(actor(), data["user_id"], data["name"])
    key.secret = secret
    return key


@blp.post("/api-keys/<int:key_id>/revoke")
@blp.response(200, ApiKeySchema)
@problems(blp, "auth.forbidden", "resource.not_found", "state.not_allowed")
def revoke_key(key_id):
    """吊销 API 密钥"""
    return services.revoke_api_key(actor(), key_id)
