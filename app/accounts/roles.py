"""Roles and what each may do. One table, read by every permission check.

Reading is always limited to the user's jurisdiction as well (app/accounts/jurisdiction.py); a
permission here only says which kinds of action a role may take inside it.
"""

ROLES: dict[str, str] = {
    "admin": "系统管理员",
    "police": "社区民警",
    "grid_worker": "网格员",
    "collector": "采集员（运营运维单位）",
    "street_reviewer": "街道/乡镇初审",
    "owner_reviewer": "权属单位初审",
    "district_reviewer": "区县部门复审",
    "city_reviewer": "市直部门复审",
    "department": "部门接口（API）",
}

# places.write: the address base (roads, door plates, buildings, units, rooms);
# actuals.write: residents, housing, organisations, bindings;
# personal.full: read full ID and phone numbers (each read is audit-logged);
# plates.manage: print QR plates, revoke and reissue them;
# collect.submit: send submissions and photos from the field app;
# compare: upload a department's register and compare it with the three actuals;
# tasks.answer: answer a verification task in the jurisdiction (on the phone, or at the desk);
# tasks.dispatch: send, or decide not to send, register findings a task cap held back.
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"places.read", "places.write", "actuals.read", "actuals.write",
                        "personal.full", "export", "users.manage", "plates.manage", "collect.submit", "compare", "tasks.answer",
                        "tasks.dispatch"}),
    "police": frozenset({"places.read", "actuals.read", "actuals.write", "personal.full", "export",
                         "collect.submit", "tasks.answer"}),
    "grid_worker": frozenset({"places.read", "actuals.read", "actuals.write", "collect.submit", "tasks.answer"}),
    "collector": frozenset({"places.read", "collect.submit", "tasks.answer"}),
    "street_reviewer": frozenset({"places.read", "actuals.read", "tasks.answer", "tasks.dispatch"}),
    "owner_reviewer": frozenset({"places.read", "actuals.read"}),
    "district_reviewer": frozenset({"places.read", "actuals.read", "export", "compare", "tasks.answer",
                                    "tasks.dispatch"}),
    "city_reviewer": frozenset({"places.read", "actuals.read", "export", "compare", "tasks.answer",
                                "tasks.dispatch"}),
    "department": frozenset({"places.read", "actuals.read", "export", "compare"}),
}

# Owning units are scoped by the objects they own, every other role by areas.
OBJECT_SCOPED_ROLES = frozenset({"owner_reviewer"})


def can(role: str, permission: str) -> bool:
    return permission in PERMISSIONS.get(role, frozenset())
