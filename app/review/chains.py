"""Which chain a submission follows, who reviews at each step, and editing chains.

The defaults reproduce the pilot: first review by the street office or township, or by the owning
unit where the object has one; second review by the district department, or by the city department
for the city-managed development zones (高新区, 开发区: township-level areas the city runs itself).
"""
from __future__ import annotations

from sqlalchemy import or_, select

from app.accounts.auth import forget_checked, recently_checked
from app.accounts.models import User, UserObject
from app.audit.services import record
from app.collect.models import SUBMISSION_KINDS
from app.errors import Problem
from app.extensions import db
from app.places.addresses import area_index
from app.places.models import Area
from app.rules import inserted, require, write_if

from .models import REVIEWERS, Chain

FIRST = {"label": "初审", "reviewer": "street_or_owner"}
DEFAULT_STEPS = [FIRST, {"label": "复审", "reviewer": "district"}]
CITY_STEPS = [FIRST, {"label": "复审", "reviewer": "city"}]
CITY_ZONE_WORDS = ("高新区", "开发区")
# Kinds whose default chain is not DEFAULT_STEPS (and so not CITY_STEPS in the development zones):
# a resident's declaration is checked by the community police first; a plate problem only needs the
# street office to confirm it is real before a grid worker is sent (app/reports).
OWN_STEPS = {"residence": [{"label": "社区核查", "reviewer": "police"}, {"label": "初审", "reviewer": "street"}],
             "plate_problem": [{"label": "核实", "reviewer": "street"}]}


def chain_for(kind: str, area_code: str) -> tuple[int, str | None, list[dict]]:
    """(id, area code, steps) of the active chain of `kind` whose area is the longest prefix of
    `area_code` (or the kind's default)."""
    chains = recently_checked(("chains",), lambda: tuple(db.session.execute(
        select(Chain.id, Chain.kind, Chain.area_code, Chain.steps).where(Chain.active))))
    fitting = [c for c in chains if c.kind == kind and (c.area_code is None or area_code.startswith(c.area_code))]
    if not fitting:
        raise Problem("server.unavailable", f"“{SUBMISSION_KINDS.get(kind, kind)}”尚未配置审核流程，请联系管理员")
    found = max(fitting, key=lambda c: len(c.area_code or ""))
    return found.id, found.area_code, found.steps


_steps: dict[int, list[dict]] = {}


def steps_of(chain_id: int) -> list[dict]:
    """A chain version's steps. A version is never changed (an edit writes a new one), so each
    process reads it once."""
    steps = _steps.get(chain_id)
    if steps is None:
        steps = _steps[chain_id] = db.session.scalar(select(Chain.steps).where(Chain.id == chain_id))
    return steps


def start(submission) -> None:
    """Put a new submission at the first step of its chain."""
    submission.chain_id, _, steps = chain_for(submission.kind, area_index.code(submission.area_id))
    submission.step, submission.status = 0, "submitted"
    submission.step_role = resolve(steps[0], submission)


def resolve(step: dict, submission) -> str:
    """The role that acts at `step` for this submission."""
    how = step["reviewer"]
    if how == "street_or_owner":
        return "owner_reviewer" if owning_unit_of(submission) else "street_reviewer"
    return REVIEWERS[how][1]


def owning_unit_of(submission) -> bool:
    """Whether an active owning-unit reviewer holds the submission's building or door plate."""
    from app.places.models import Building

    owned = recently_checked(("owned",), lambda: frozenset(db.session.scalars(
        select(UserObject.object_code).join(User, UserObject.user_id == User.id)
        .where(User.role == "owner_reviewer", User.active))))
    if submission.door_plate.object_code in owned:
        return True
    if submission.kind == "shop":  # the building it names, without reading it again
        return submission.data["building_code"] in owned
    return bool(submission.building_id) and db.session.get(Building, submission.building_id).object_code in owned


def validate_steps(steps) -> list[dict]:
    if not isinstance(steps, list) or not 1 <= len(steps) <= 6:
        raise Problem("validation.failed", field="steps", detail="审核流程须有 1 到 6 个环节（区划专用流程可清空以取消）")
    out = []
    for i, step in enumerate(steps):
        how = step.get("reviewer") if isinstance(step, dict) else None
        if how not in REVIEWERS:
            raise Problem("validation.failed", field=f"steps.{i}.reviewer",
                          detail=f"第 {i + 1} 个环节的审核人只能是：{'、'.join(REVIEWERS)}")
        label = (step.get("label") or "").strip() or REVIEWERS[how][0]
        if len(label) > 32:
            raise Problem("validation.failed", field=f"steps.{i}.label", detail="环节名称不超过 32 个字")
        out.append({"label": label, "reviewer": how})
    return out


def edit(actor, kind: str, area_code: str | None, steps) -> Chain | None:
    """A new version of the chain for (kind, area); items already in review finish on theirs.
    No steps for an area's own chain retires it: the area follows the wider chain again (None).
    Problems: validation.failed, conflict.version (edited by someone else at the same moment)."""
    require(actor, "users.manage")
    if kind not in SUBMISSION_KINDS:
        raise Problem("validation.failed", field="kind", detail=f"类型只能是：{'、'.join(SUBMISSION_KINDS)}")
    if area_code is not None and db.session.scalar(select(Area.id).where(Area.code == area_code)) is None:
        raise Problem("validation.failed", field="area_code", detail=f"没有代码为 {area_code} 的区划")
    retire = area_code is not None and steps == []
    if not retire:
        steps = validate_steps(steps)
    current = db.session.scalar(select(Chain).where(Chain.kind == kind, Chain.active,
                                                    Chain.area_code.is_(None) if area_code is None
                                                    else Chain.area_code == area_code))
    version = 1
    # Two edits of one chain at once: the first retires the version both read, the second finds it
    # retired (or, when there was none, meets the first's new one in the one-active index): a 409.
    changed = "该审核流程刚刚已被他人修改，请刷新后再改"
    if current is not None:
        if not write_if(current, Chain.active, active=False):
            raise Problem("conflict.version", changed)
        version = current.version + 1
    if retire:
        if current is None:
            raise Problem("validation.failed", field="area_code", detail=f"区划 {area_code} 没有专用的审核流程")
        record(actor, "review_chain.retire", current, before={"steps": current.steps})
        db.session.commit()
        forget_checked()
        return None
    chain = inserted(Chain(kind=kind, area_code=area_code, version=version, steps=steps,
                           created_by_id=getattr(actor, "id", None)), changed, "conflict.version")
    record(actor, "review_chain.edit", chain, before={"steps": current.steps} if current else None,
           after={"kind": kind, "area_code": area_code, "version": version, "steps": steps})
    db.session.commit()
    forget_checked()  # this process at once; the others within RECHECK_S
    return chain


def install_defaults(actor=None) -> int:
    """The pilot's chains, for each kind and area that has never had one (run after the areas are
    loaded: `flask demo-city` does, and `flask review defaults`); returns how many were written."""
    zones = db.session.scalars(select(Area.code).where(Area.level == "township",
                                                       or_(*(Area.name.contains(w) for w in CITY_ZONE_WORDS)))).all()
    have = {tuple(row) for row in db.session.execute(select(Chain.kind, Chain.area_code))}
    made = 0
    for kind in SUBMISSION_KINDS:
        areas = [(None, OWN_STEPS[kind])] if kind in OWN_STEPS else [(None, DEFAULT_STEPS), *((c, CITY_STEPS) for c in zones)]
        for area_code, steps in areas:
            if (kind, area_code) not in have:
                db.session.add(Chain(kind=kind, area_code=area_code, steps=steps))
                made += 1
    if made:
        record(actor, "review_chain.defaults", None, object_type="review_chain", after={"chains": made})
        db.session.commit()
        forget_checked()
    return made


def area_names(chains: list[Chain]) -> dict[str, str]:
    codes = {c.area_code for c in chains if c.area_code}
    return {code: name for code, name in db.session.execute(select(Area.code, Area.name).where(Area.code.in_(codes)))}


def active_chains() -> list[Chain]:
    return list(db.session.scalars(select(Chain).where(Chain.active).order_by(Chain.kind, Chain.area_code)))
