"""Sign-in page and the admin page for users and API keys."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from marshmallow import ValidationError
from sqlalchemy import select

from app.edge import database_id
from app.errors import Problem, flatten_messages, invalid
from app.extensions import db, limiter
from app.places.models import Area

from . import services
from .auth import actor
from .roles import OBJECT_SCOPED_ROLES, ROLES
from .schemas import UserIn

bp = Blueprint("accounts", __name__, template_folder="templates")

USER_FIELDS = {"username": "用户名", "display_name": "姓名", "role": "角色", "password": "密码",
               "area_codes": "辖区代码", "object_codes": "权属对象编码", "name": "名称", "user_id": "用户", "key_id": "密钥"}


def _safe_next(target: str | None) -> str:
    # Only paths on this site, so that a crafted link cannot send a user elsewhere after sign-in.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("places.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login():
    problem = None
    if request.method == "POST":
        try:
            user = services.authenticate(request.form.get("username", "").strip(), request.form.get("password", ""))
        except Problem as e:
            problem = e
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", problem=problem), 401 if problem else 200


@bp.post("/logout")
def logout():
    logout_user()
    flash("已退出登录")
    return redirect(url_for("accounts.login"))


def _load(schema, data: dict) -> dict:
    """Validate a form with the API's schema, so that a page and the API accept the same input."""
    try:
        return schema.load(data)
    except ValidationError as e:
        raise invalid(flatten_messages(e.messages)) from None


def _chosen_id(name: str) -> int:
    found = database_id(request.form.get(name))
    if found is None:
        raise Problem("validation.failed", field=name, detail=f"请从列表中选择{USER_FIELDS.get(name, '')}")
    return found


def _split(text: str) -> list[str]:
    return [part for part in text.replace("，", ",").replace(" ", ",").split(",") if part]


@bp.route("/admin/users", methods=["GET", "POST"])
@login_required
def users():
    user = actor()
    problem, secret = None, None
    if request.method == "POST":
        form = request.form
        try:
            if form["action"] == "create":
                data = _load(UserIn(), {
                    "username": form.get("username", "").strip(), "display_name": form.get("display_name") or None,
                    "role": form.get("role", ""), "password": form.get("password", ""),
                    "area_codes": _split(form.get("area_codes", "")),
                    "object_codes": _split(form.get("object_codes", ""))})
                created = services.create_user(user, data)
                flash(f"已创建用户 {created.username}")
            elif form["action"] == "toggle":
                changed = services.set_active(user, _chosen_id("user_id"), form["active"] == "1")
                flash(f"已{'启用' if changed.active else '停用'} {changed.username}")
            elif form["action"] == "issue_key":
                key, secret = services.issue_api_key(user, _chosen_id("user_id"), form.get("name", "").strip() or "接口")
                flash(f"已签发密钥“{key.name}”，请立即复制保存，它只显示这一次")
            elif form["action"] == "revoke_key":
                key = services.revoke_api_key(user, _chosen_id("key_id"))
                flash(f"已吊销密钥“{key.name}”")
        except Problem as e:
            problem = e
        if problem is None and secret is None:
            return redirect(url_for("accounts.users"))
    roots = db.session.scalars(select(Area).where(Area.code.in_(user.jurisdiction.area_codes))).all()
    return render_template("accounts/users.html", users=services.list_users(user), keys=services.api_keys(user),
                           roles=ROLES, object_roles=OBJECT_SCOPED_ROLES, problem=problem, secret=secret,
                           labels=USER_FIELDS, roots=roots, form=request.form), 422 if problem else 200
