"""Write audit rows. Called by services inside their transaction; never commits on its own."""
from __future__ import annotations

from app.extensions import db

from .models import AuditLog


def record(actor, action: str, obj=None, **details) -> AuditLog:
    """Add an audit row for `actor` doing `action` to `obj` (a model instance) in the session;
    `details` as for `audit_values`."""
    row = AuditLog(**audit_values(actor, action, obj, **details))
    db.session.add(row)
    return row


def audit_values(actor, action: str, obj=None, *, before: dict | None = None, after: dict | None = None,
                 reason: str | None = None, object_type: str | None = None) -> dict:
    """The columns of the audit row `record` adds, for a caller that inserts it itself."""
    return dict(
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", None) or "system",
        action=action,
        object_type=object_type or (obj.__tablename__ if obj is not None else "-"),
        object_id=getattr(obj, "id", None) if obj is not None and isinstance(getattr(obj, "id", None), int) else None,
        version=getattr(obj, "version", None),
        before=before,
        after=after,
        reason=reason,
    )


def history(object_type: str, object_id: int) -> list[AuditLog]:
    """An object's versions, oldest first."""
    return list(db.session.scalars(
        db.select(AuditLog).where(AuditLog.object_type == object_type, AuditLog.object_id == object_id)
        .order_by(AuditLog.id)))


def snapshot(obj) -> dict:
    """An object's column values as JSON-safe data, for before/after. Sealed personal data (bytes)
    is left out: the audit log must not become a second copy of it."""
    out = {}
    for column in obj.__table__.columns:
        value = getattr(obj, column.key)
        if isinstance(value, bytes):
            continue
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        out[column.key] = value
    return out
