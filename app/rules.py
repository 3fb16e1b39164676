"""Steps every service takes: check the role's permission, scope a query to the jurisdiction,
check the version a client edited, save a new record with its audit row in one commit, and change a
row only if it is still as the service found it."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from app.audit.services import record, snapshot
from app.errors import Problem
from app.extensions import db


def require(actor, permission: str) -> None:
    if not actor.can(permission):
        raise Problem("auth.forbidden", f"“{actor.role_label}”角色无权执行此操作（需要 {permission} 权限）")


def visible(actor, model):
    """select(model) limited to the actor's jurisdiction."""
    return select(model).where(actor.jurisdiction.clause(model))


def check_version(obj, version: int) -> None:
    if obj.version != version:
        raise Problem("conflict.version",
                      f"您修改的是第 {version} 版，当前已是第 {obj.version} 版，请刷新后重试",
                      current_version=obj.version)


DUPLICATE = "同一上级下已有相同编号的在用对象"


def inserted(obj, duplicate: str = DUPLICATE, code: str = "conflict.duplicate", field: str | None = None):
    """Insert `obj`, not yet committed. A unique index saying no (a record like it, perhaps written
    a moment ago by someone else) rolls everything back and becomes a 409 `code` saying `duplicate`;
    inside a savepoint (bulk approval), the savepoint is rolled back instead, by its caller."""
    db.session.add(obj)
    try:
        db.session.flush()
    except IntegrityError:
        if not db.session().in_nested_transaction():
            db.session.rollback()
        raise Problem(code, duplicate, field=field) from None
    return obj


def add_new(actor, obj, action: str, duplicate: str = DUPLICATE, **refusal):
    """`inserted` (`refusal`: its code and field), with its audit row, for a service that writes more
    in the same transaction."""
    inserted(obj, duplicate, **refusal)
    record(actor, action, obj, after=snapshot(obj))
    return obj


def save_new(actor, obj, action: str, duplicate: str = DUPLICATE, **refusal):
    """add_new, then commit."""
    add_new(actor, obj, action, duplicate, **refusal)
    db.session.commit()
    return obj


def insert_or_ignore(model, dialect: str | None = None):
    """INSERT … ON CONFLICT DO NOTHING for `model`, on SQLite or PostgreSQL (the session's unless
    `dialect` names one): rows a unique index already holds (someone else's, written a moment ago)
    are left as they are."""
    dialect = dialect or db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model).on_conflict_do_nothing()


def write_if(obj, condition, **values) -> bool:
    """Write `values` to obj's row in one UPDATE made only where `condition` (the state the caller
    needs, e.g. "still active") holds at the write; whether it did. The database decides between
    writes made at the same moment: the later one finds the row changed (on PostgreSQL after waiting
    for the first to commit) and writes nothing. `obj` carries the values afterwards."""
    model = type(obj)
    done = db.session.execute(update(model).where(model.id == obj.id, condition).values(**values)
                              .execution_options(synchronize_session=False)).rowcount == 1
    if done:
        for key, value in values.items():
            set_committed_value(obj, key, value)
    return done
