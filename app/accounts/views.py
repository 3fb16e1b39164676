"""Sign-in page and the admin page for users and API keys."""
import ada_url
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from marshmallow import ValidationError
from sqlalchemy import select

from app.edge import database_id
from app.errors import Problem, flatten_messages, invalid
from app.extensions import db, limiter
from app.places.models import Area

from . import services
from .auth import actor, forget_session, session_token, start_session
from .roles import OBJECT_SCOPED_ROLES, ROLES
from .schemas import UserIn

bp = Blueprint("accounts", __name__, template_folder="templates")

USER_FIELDS = {"username": "用户名", "display_name": "姓名", "role": "角色", "password": "密码",
               "area_codes": "辖区代码", "object_codes": "权属对象编码", "name": "名称", "user_id": "用户", "key_id": "密钥"}
PASSWORD_FIELDS = {"current_password": "当前密码", "password": "新密码", "confirm": "再次输入新密码"}


# A stand-in for this site's origin: `next` is resolved against it, and only its path, query and
# fragment are ever sent back.
_HERE = ada_url.URL("http://yibiao.invalid/")


def _safe_next(target: str | None) -> str:
    """Where to go after sign-in: `next` resolved as a browser resolves a link on this site (the
    WHATWG URL rules: tabs and newlines dropped, backslashes read as slashes, control characters
    and spaces trimmed), kept only if it stays on this site; else the start page."""
    try:
        url = ada_url.URL(target, _HERE.href) if target else None
    except ValueError:  # not a URL at all (a lone surrogate's UnicodeError is one too)
        url = None
    # A path such as "/.//evil.example" resolves here, but "//evil.example" as a Location is another site.
    if url is None or url.origin != _HERE.origin or url.pathname.startswith("//"):
        return url_for("places.index")
    return url.pathname + url.search + url.hash


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login():
    problem = None
    if request.method == "POST":
        try:
            start_session(*services.sign_in(request.form.get("username", "").strip(), request.form.get("password", "")))
        except Problem as e:
            problem = e
        else:
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", problem=problem), 401 if problem else 200


@bp.post("/logout")
def logout():
    services.sign_out(session_token())
    forget_session()
    flash("已退出登录")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    problem = None
    if request.method == "POST":
        form = request.form
        try:
            if form.get("new_password", "") != form.get("confirm", ""):
                raise Problem("validation.failed", field="confirm", detail="两次输入的新密码不一致")
            services.change_password(actor(), session_token(), form.get("current_password", ""),
                                     form.get("new_password", ""))
        except Problem as e:
            problem = e
        else:
            flash("密码已修改；在其他设备上的登录已全部退出")
            return redirect(url_for("places.index"))
    return render_template("accounts/password.html", problem=problem, labels=PASSWORD_FIELDS), 422 if problem else 200


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
