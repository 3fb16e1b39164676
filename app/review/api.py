"""JSON endpoints of the review desk (the web queue in views.py uses the same services)."""
from __future__ import annotations

from flask import url_for
from flask_smorest import Blueprint
from marshmallow import fields

from app.accounts.auth import actor
from app.actuals import services as actuals
from app.actuals.schemas import PersonalSchema
from app.api import BaseSchema, problems
from app.errors import Problem
from app.jobs.schemas import JobSchema
from app.tasks.schemas import TaskSchema

from . import chains, services
from .schemas import (BulkIn, ChainIn, ChainSchema, DecisionIn, QueueExportIn, QueueArgs, QueuePageSchema,
                      ReviewItemSchema)

blp = Blueprint("review_api", __name__, url_prefix="/api/v1/review", description="审核：队列、审核决定、批量通过、导出、概览、审核流程")

ACTIONS = {"claim": "领取", "release": "放弃领取", "approve": "通过", "reject": "不通过（须填理由）",
           "return": "退回更正（须写明各字段意见）", "rebase": "以当前主数据为准（主数据变化后）"}


def _filter(args: dict) -> services.QueueFilter:
    return services.QueueFilter(**{k: args.get(k) for k in services.QueueFilter.__dataclass_fields__ if k in args})


@blp.get("/queue")
@blp.arguments(QueueArgs, location="query")
@blp.response(200, QueuePageSchema)
@problems(blp, "validation.failed", "auth.forbidden")
def queue(args):
    """我的审核队列：等待我这一环节、在我辖区内的提交（按 cursor 翻页，附各类型条数）"""
    return services.queue(actor(), _filter(args), args["cursor"], args["limit"])


@blp.get("/items/<client_id>")
@blp.response(200, ReviewItemSchema)
@problems(blp, "resource.not_found")
def get_item(client_id):
    """一条提交的审核信息（辖区外 404）"""
    return services.item(actor(), client_id)


@blp.post("/items/<client_id>/<any(claim, release, approve, reject, return, rebase):action>")
@blp.arguments(DecisionIn, required=False)  # claim and release need nothing
@blp.response(200, ReviewItemSchema)
@problems(blp, "resource.not_found", "review.not_your_step", "review.claimed", "review.conflict",
          "state.not_allowed", "conflict.version", "validation.failed", "binding.already_bound")
def decide(data, client_id, action):
    """审核操作：claim 领取、release 放弃、approve 通过、reject 不通过、return 退回更正、rebase 以当前数据为准"""
    return services.decide(actor(), client_id, action, data["reason"], data["comments"], data["version"])


class SiteTaskIn(BaseSchema):
    note = fields.String(required=True, metadata={"description": "要现场核查的内容"})


@blp.post("/items/<client_id>/task")
@blp.arguments(SiteTaskIn)
@blp.response(201, TaskSchema)
@problems(blp, "resource.not_found", "auth.forbidden", "validation.failed")
def send_to_site(data, client_id):
    """派发现场核查：推送给该地址所在网格的网格员"""
    return services.send_to_site(actor(), client_id, data["note"])


@blp.post("/items/<client_id>/personal")
@blp.response(200, PersonalSchema)
@problems(blp, "resource.not_found", "auth.forbidden")
def reveal_personal(client_id):
    """居民申报的完整身份号码和电话（仅限有权角色，每次查看记入审计日志）"""
    user = actor()
    submission = services.item(user, client_id)
    if not submission.public:
        raise Problem("resource.not_found")
    return actuals.reveal_personal(user, submission.report)


@blp.post("/bulk-approve")
@blp.arguments(BulkIn, required=False)
@blp.alt_response(202, schema=JobSchema, description="已开始批量通过（后台任务，见 Location）")
@blp.response(200, description="预演结果：条数、会失败的条目及原因")
@problems(blp, "validation.failed", "auth.forbidden")
def bulk_approve(data):
    """批量通过当前筛选的条目：dry_run=true 先预演，false 开始后台任务"""
    f = _filter(data["filter"])
    if data["dry_run"]:
        return services.bulk_plan(actor(), f)
    job = services.start_bulk_approve(actor(), f)
    return JobSchema().dump(job), 202, {"Location": url_for("jobs.get_job", job_id=job.id)}


@blp.post("/export")
@blp.arguments(QueueExportIn, required=False)
@blp.response(202, JobSchema)
@problems(blp, "validation.failed", "auth.forbidden")
def export(data):
    """把当前筛选导出为 Excel（后台任务）"""
    job = services.start_export(actor(), _filter(data["filter"]))
    return job, 202, {"Location": url_for("jobs.get_job", job_id=job.id)}


@blp.get("/chains")
@blp.response(200, ChainSchema(many=True))
def list_chains():
    """在用的审核流程"""
    actor()
    return chains.active_chains()


@blp.put("/chains")
@blp.arguments(ChainIn)
@blp.response(200, ChainSchema)
@blp.alt_response(204, description="已取消区划专用流程")
@problems(blp, "validation.failed", "auth.forbidden", "conflict.version")
def edit_chain(data):
    """修改某类型（可限某区划）的审核流程：写入新版本；在审的提交按原版本走完"""
    chain = chains.edit(actor(), data["kind"], data["area_code"], data["steps"])
    return chain if chain is not None else ("", 204)
