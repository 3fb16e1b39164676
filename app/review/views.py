"""The reviewers' desk (server-rendered, zh-CN): my queue, one item with its decisions, bulk approval
and the Excel export (background jobs, followed on /jobs/<id>), the overview and the chain editor.
Every page calls the same services as the JSON API (app/review/api.py)."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from marshmallow import ValidationError

from app.accounts.auth import actor
from app.accounts.roles import ROLES
from app.collect.models import SUBMISSION_KINDS, Submission
from app.errors import Problem, flatten_messages, invalid
from app.extensions import db
from app.lifecycle import local_time
from app.places import services as places
from app.places.addresses import address_text
from app.places.models import Building
from app.places.views import map_point
from app.rules import require

from . import apply, chains, services
from .models import REVIEWER_ROLES, REVIEWERS
from .schemas import FilterIn

bp = Blueprint("review", __name__, template_folder="templates", url_prefix="/review")

FILTER_LABELS = {"area": "区划代码", "kind": "类型", "collector": "采集人", "age_days": "等待天数",
                 "has_photo": "照片", "flag": "提示", "sort": "排序", "cursor": "翻页", "as_of": "预演时间",
                 "last_id": "预演范围"}
DONE = {"claim": "已领取，处理完之前其他审核人不能处理这一条", "release": "已放弃领取",
        "reject": "已标记为不通过", "return": "已退回采集人更正", "rebase": "已以当前数据为准，请核对后通过"}
HISTORY = {"submission.shop": "提交门店采集", "submission.binding": "提交单位绑定", "report.file": "居民扫码提交",
           "review.claim": "领取",
           "review.release": "放弃领取", "review.approve": "通过", "review.reject": "不通过",
           "review.return": "退回更正", "review.resubmit": "更正后重新提交", "review.rebase": "以当前数据为准"}
CHAIN_STEPS = 6
# Who reviews at a step, short enough for a step in a row of steps.
WHO = {key: label for key, (label, _) in REVIEWERS.items()} | {"street_or_owner": "权属单位或街道/乡镇"}


@bp.app_context_processor
def _nav():
    return {"reviewer_roles": REVIEWER_ROLES}


def _filter() -> tuple[services.QueueFilter, Problem | None]:
    """The queue filter from the query (or a form's hidden fields), checked by the API's schema."""
    schema = FilterIn()
    given = {k: v.strip() for k, v in request.values.items() if k in schema.fields and v.strip()}
    try:
        return services.QueueFilter(**schema.load(given)), None
    except ValidationError as e:
        return services.QueueFilter(), invalid(flatten_messages(e.messages))


# --- the queue -------------------------------------------------------------------------------

@bp.get("/")
@login_required
def queue():
    user = actor()
    f, problem = _filter()
    page = services.queue(user, f, request.args.get("cursor"))
    names = services.display_names([s.collector_id for s in page["items"]] + [s.claimed_by_id for s in page["items"]])
    return render_template("review/queue.html", page=page, f=f, problem=problem, labels=FILTER_LABELS,
                           names=names, kinds=SUBMISSION_KINDS, flags=apply.FLAGS, user=user)


@bp.get("/bulk")
@login_required
def bulk():
    """The dry run of a bulk approval, with the button that starts it."""
    f, problem = _filter()
    if problem:
        raise problem
    plan = services.bulk_plan(actor(), f)
    # The confirmation sends the pinned filter: it approves what this page counted, not what waits by then.
    return render_template("review/bulk.html", plan=plan, f=f, pinned=services.QueueFilter(**plan["filter"]),
                           described=f.describe())


@bp.post("/bulk")
@login_required
def bulk_start():
    return _start_job(services.start_bulk_approve)


@bp.post("/export")
@login_required
def export():
    return _start_job(services.start_export)


def _start_job(start):
    f, problem = _filter()
    if problem:
        raise problem
    return redirect(url_for("jobs_pages.job", job_id=start(actor(), f).id))


# --- one item --------------------------------------------------------------------------------

@bp.get("/items/<client_id>")
@login_required
def item(client_id):
    user = actor()
    return _item_page(user, services.item(user, client_id), _filter()[0])


def _item_page(user, s: Submission, f: services.QueueFilter, problem: Problem | None = None):
    at = apply.where_of(s)
    distance = apply.metres(s.lon, s.lat, *at) if at and s.lon is not None else None
    markers = []
    if at:
        node = db.session.get(Building, s.building_id) if s.building_id else s.door_plate
        markers.append({"code": node.object_code, "label": address_text(node), "at": map_point(*at)})
    if s.lon is not None:
        markers.append({"code": "", "label": "拍照位置", "at": map_point(s.lon, s.lat), "color": "#d9480f"})
    history = services.history(s)
    earlier, later = _neighbours(user, f, s)
    return render_template(
        "review/item.html", s=s, f=f, problem=problem, diff=services.diff(s), flags=services.flag_labels(s),
        duplicates=services.duplicates(user, s), history=history, actions=HISTORY, my_turn=s.is_turn_of(user),
        names=services.display_names([s.collector_id, s.claimed_by_id]), distance=distance, markers=markers,
        far_m=current_app.config["REVIEW_GPS_FAR_M"], earlier=earlier, later=later,
        labels={"reason": "理由", "comments": "更正意见", "note": "核查内容"}, steps=s.steps,
        user_is_reviewer=user.role in REVIEWER_ROLES,
        who=WHO, roles=ROLES), problem.status if problem else 200


def _neighbours(user, f: services.QueueFilter, s: Submission) -> tuple[str | None, str | None]:
    """The client ids of the items before and after `s` in the viewer's queue (j/k)."""
    if user.role not in REVIEWER_ROLES:
        return None, None
    mine = services.waiting_at_my_step(user, f).with_only_columns(Submission.client_id)
    before, after = (Submission.id < s.id, Submission.id.desc()), (Submission.id > s.id, Submission.id.asc())
    if f.sort == "newest":
        before, after = after, before
    return tuple(db.session.scalar(mine.where(where).order_by(order).limit(1)) for where, order in (before, after))


def _next_url(user, f: services.QueueFilter, s: Submission) -> str:
    """After a decision: the next item in the queue, else the first one left, else the queue."""
    later = _neighbours(user, f, s)[1]
    if later is None:
        first = services.queue(user, f, limit=1)["items"]
        later = first[0].client_id if first and first[0].id != s.id else None
    if later is None:
        return url_for(".queue", **f.args())
    return url_for(".item", client_id=later, **f.args())


@bp.post("/items/<client_id>/task")
@login_required
def send_to_site(client_id):
    user = actor()
    try:
        task = services.send_to_site(user, client_id, request.form.get("note"))
    except Problem as e:
        if e.status == 404:
            raise
        db.session.rollback()
        return _item_page(user, services.item(user, client_id), _filter()[0], e)
    flash(f"已派发现场核查，网格员将在 {local_time(task.due_at, '%m月%d日')} 前到现场：{task.address_text}")
    return redirect(url_for(".item", client_id=client_id, **_filter()[0].args()))


@bp.post("/items/<client_id>/<any(claim, release, approve, reject, return, rebase):action>")
@login_required
def decide(client_id, action):
    """A decision from the item page's forms; problems are shown on the item page, never a 500."""
    user = actor()
    f = _filter()[0]
    form = request.form
    comments = {k.removeprefix("comment."): v for k, v in form.items() if k.startswith("comment.")}
    try:
        s = services.decide(user, client_id, action, form.get("reason"), comments, form.get("version", type=int))
    except Problem as e:
        if e.status == 404:
            raise
        db.session.rollback()
        return _item_page(user, services.item(user, client_id), f, e)
    if action == "approve":
        flash(f"已通过并写入主数据：{s.address_text}" if s.status == "approved"
              else f"已通过，转入下一环节“{s.step_label}”：{s.address_text}")
    elif action == "return" and s.public:
        flash("已退回：居民的回执将显示“需补充信息”")
    else:
        flash(DONE[action])
    if action in ("claim", "release", "rebase"):
        return redirect(url_for(".item", client_id=client_id, **f.args()))
    return redirect(_next_url(user, f, s))


# --- overview --------------------------------------------------------------------------------

@bp.get("/overview")
@login_required
def overview():
    user = actor()
    area = request.args.get("area", "").strip() or None
    problem = None
    try:
        data = services.overview(user, area)
    except Problem as e:
        if e.code != "validation.failed":
            raise
        problem, area, data = e, None, services.overview(user)
    top = max([1] + [max(d["received"], d["decided"]) for d in data["days"]])
    return render_template("review/overview.html", data=data, area=area, problem=problem, labels=FILTER_LABELS,
                           top=top, roles=ROLES, roots=places.root_areas(user))


# --- chains ----------------------------------------------------------------------------------

@bp.route("/chains", methods=["GET", "POST"])
@login_required
def chain_editor():
    """The active chains, and a form to write a new version of one (administrators only)."""
    user = actor()
    require(user, "users.manage")
    active = chains.active_chains()
    problem = None
    if request.method == "POST":
        form = request.form
        # Blank rows are dropped, and the form is shown again as sent, so step i of an error is row i.
        steps = [{"label": form.get(f"label{i}", "").strip(), "reviewer": form.get(f"reviewer{i}", "")}
                 for i in range(CHAIN_STEPS) if form.get(f"label{i}", "").strip() or form.get(f"reviewer{i}")]
        kind, area_code = form.get("kind", ""), form.get("area_code", "").strip() or None
        try:
            chain = chains.edit(user, kind, area_code, steps)
        except Problem as e:
            db.session.rollback()
            problem = e
            editing = {"kind": kind, "area_code": area_code, "steps": steps}
        else:
            where = f"（{area_code}）" if area_code else ""
            flash(f"已取消“{SUBMISSION_KINDS[kind]}”{where}的专用审核流程，该区划改按上级流程审核" if chain is None
                  else f"已保存“{SUBMISSION_KINDS[kind]}”{where}的审核流程第 {chain.version} 版；在审的提交按原版本走完")
            return redirect(url_for(".chain_editor"))
    else:
        chosen = next((c for c in active if str(c.id) == request.args.get("edit")), None)
        editing = ({"kind": chosen.kind, "area_code": chosen.area_code, "steps": chosen.steps} if chosen
                   else {"kind": "shop", "area_code": None, "steps": []})
    editing["steps"] = editing["steps"] + [{"label": "", "reviewer": ""}] * (CHAIN_STEPS - len(editing["steps"]))
    return render_template("review/chains.html", chains=active, editing=editing, problem=problem,
                           area_names=chains.area_names(active),
                           kinds=SUBMISSION_KINDS, reviewers=REVIEWERS, who=WHO,
                           labels={"kind": "类型", "area_code": "区划代码", "steps": "审核环节"}), \
        problem.status if problem else 200
