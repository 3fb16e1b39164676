"""Users and API keys: creating them, giving them a jurisdiction, signing in, revoking keys.

An admin manages only users whose whole jurisdiction lies inside the admin's own.
"""
from __future__ import annotations

from sqlalchemy import delete, select

from app.audit.services import record, snapshot
from app.errors import Problem
from app.extensions import db
from app.places.addresses import find_by_code
from app.places.models import Area
from app.rules import inserted, require, save_new

from .auth import forget_checked, session_cutoff
from .models import ApiKey, User, UserArea, UserObject, UserSession, spend_a_password_check
from .roles import OBJECT_SCOPED_ROLES, ROLES

MIN_PASSWORD = 8


def _user_view(user: User) -> dict:
    return {**snapshot(user), "password_hash": None,
            "areas": [a.area.code for a in user.areas], "objects": [o.object_code for o in user.objects]}


def sign_in(username: str, password: str) -> tuple[User, str]:
    """The user and the token of a new session of theirs. Raises auth.invalid_credentials, after a
    password check also for a name that is no active user: the answer's time tells nothing."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        spend_a_password_check(password)
        raise Problem("auth.invalid_credentials")
    if not user.check_password(password):
        raise Problem("auth.invalid_credentials")
    # The user's sessions past their lifetime go now; each one still running stays a row.
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id,
                                                 UserSession.created_at < session_cutoff()))
    session, token = UserSession.begin(user)
    db.session.add(session)
    record(user, "user.sign_in", user)
    db.session.commit()
    return user, token


def sign_out(token: str | None) -> None:
    """Ends the session of `token` for every worker, at once."""
    if token:
        db.session.execute(delete(UserSession).where(UserSession.id == UserSession.digest(token)))
        db.session.commit()


def change_password(actor: User, token: str | None, current: str, new: str) -> None:
    """The actor's own password. Every other session of theirs ends (a phone left signed in, a
    cookie someone took); the one making the change goes on. Raises validation.failed."""
    user = db.session.get(User, actor.id)
    if not user.check_password(current):
        raise Problem("validation.failed", field="current_password", detail="当前密码不正确")
    _set_password(user, new, keep=token)
    record(actor, "user.password_change", user)
    db.session.commit()


def reset_password(username: str, new: str) -> User:
    """A user's password set by whoever operates the server (the CLI); all their sessions end."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise Problem("resource.not_found", f"没有用户 {username}")
    _set_password(user, new)
    record(None, "user.password_reset", user)
    db.session.commit()
    return user


def _set_password(user: User, password: str, keep: str | None = None) -> None:
    _check_password_rule(password)
    user.set_password(password)
    _end_sessions(user, keep=keep)


def _check_password_rule(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Problem("validation.failed", field="password", detail=f"密码至少 {MIN_PASSWORD} 位")


def _end_sessions(user: User, keep: str | None = None) -> None:
    ended = delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        ended = ended.where(UserSession.id != UserSession.digest(keep))
    db.session.execute(ended)


def _manages(actor, user: User) -> bool:
    if actor is None:  # the CLI, run by whoever operates the server
        return True
    if user.role in OBJECT_SCOPED_ROLES:
        return all(_object_visible(actor, o.object_code) for o in user.objects)
    return bool(user.areas) and all(actor.jurisdiction.covers(a.area) for a in user.areas)


def _object_visible(actor, code: str) -> bool:
    node = find_by_code(code)
    return node is not None and (actor is None or actor.jurisdiction.covers(node))


def get_user(actor, user_id: int) -> User:
    require(actor, "users.manage")
    user = db.session.get(User, user_id)
    if user is None or not _manages(actor, user):
        raise Problem("resource.not_found")
    return user


def list_users(actor) -> list[User]:
    require(actor, "users.manage")
    return [u for u in db.session.scalars(select(User).order_by(User.role, User.username)) if _manages(actor, u)]


def _jurisdiction_rows(actor, role: str, area_codes: list[str], object_codes: list[str]):
    if role in OBJECT_SCOPED_ROLES:
        if not object_codes:
            raise Problem("validation.failed", field="object_codes", detail="权属单位须至少指定一个楼栋或门牌编码")
        for code in object_codes:
            if not _object_visible(actor, code):
                raise Problem("validation.failed", field="object_codes", detail=f"编码 {code} 不存在或不在您的辖区内")
        return [], [UserObject(object_code=c) for c in dict.fromkeys(object_codes)]
    if not area_codes:
        raise Problem("validation.failed", field="area_codes", detail="须至少指定一个辖区")
    areas = []
    for code in dict.fromkeys(area_codes):
        area = db.session.scalar(select(Area).where(Area.code == code))
        if area is None or (actor is not None and not actor.jurisdiction.covers(area)):
            raise Problem("validation.failed", field="area_codes", detail=f"区划 {code} 不存在或不在您的辖区内")
        areas.append(UserArea(area=area))
    return areas, []


def create_user(actor, data: dict) -> User:
    """Create a user with a role and a jurisdiction. `actor` None means the command line."""
    if actor is not None:
        require(actor, "users.manage")
    if data["role"] not in ROLES:
        raise Problem("validation.failed", field="role", detail=f"角色只能是：{'、'.join(ROLES)}")
    _check_password_rule(data["password"])
    areas, objects = _jurisdiction_rows(actor, data["role"], data.get("area_codes", []), data.get("object_codes", []))
    user = User(username=data["username"], display_name=data.get("display_name") or data["username"],
                role=data["role"], areas=areas, objects=objects)
    user.set_password(data["password"])
    inserted(user, f"用户名 {data['username']} 已被使用", field="username")  # the unique index says so
    record(actor, "user.create", user, after=_user_view(user))
    db.session.commit()
    return user


def set_active(actor, user_id: int, active: bool) -> User:
    user = get_user(actor, user_id)
    if user.id == actor.id and not active:
        raise Problem("state.not_allowed", "不能停用自己的账号")
    before = _user_view(user)
    user.active = active
    user.version += 1
    if not active:
        _end_sessions(user)  # and enabling the user again brings none of them back
    record(actor, "user.enable" if active else "user.disable", user, before=before, after=_user_view(user))
    db.session.commit()
    forget_checked()
    return user


def issue_api_key(actor, user_id: int, name: str) -> tuple[ApiKey, str]:
    """A new key for a department user; the secret is returned once and never stored."""
    user = get_user(actor, user_id)
    if user.role != "department":
        raise Problem("validation.failed", field="user_id", detail="只能为“部门接口”角色的用户签发 API 密钥")
    key, secret = ApiKey.issue(user, name)
    save_new(actor, key, "api_key.issue")
    return key, secret


def revoke_api_key(actor, key_id: int) -> ApiKey:
    key = db.session.get(ApiKey, key_id)
    if key is None:
        raise Problem("resource.not_found")
    get_user(actor, key.user_id)  # 404 unless the admin manages its owner
    key.revoke()
    record(actor, "api_key.revoke", key, after=snapshot(key))
    db.session.commit()
    forget_checked()
    return key


def api_keys(actor) -> list[ApiKey]:
    from .auth import call_counter

    require(actor, "users.manage")
    call_counter.flush()
    db.session.commit()  # end this request's read snapshot (SQLite) so that the counts just added show
    return [k for k in db.session.scalars(select(ApiKey).order_by(ApiKey.id)) if _manages(actor, k.user)]
