"""Verification tasks: the grid worker's open ones (the field app's inbox), answering one, and the
list of every task in a jurisdiction (street offices, departments)."""
from __future__ import annotations

from flask import request
from flask_smorest import Blueprint
from marshmallow import fields

from app.accounts.auth import actor
from app.api import BaseSchema, problems, one_of

from . import services
from .models import TASK_STATUSES
from .schemas import TaskSchema

blp = Blueprint("tasks_api", __name__, url_prefix="/api/v1", description="核验任务：推送给网格员的现场核查")


class TaskArgs(BaseSchema):
    status = fields.String(load_default=None, validate=one_of(TASK_STATUSES))
    overdue = fields.Boolean(load_default=False, metadata={"description": "只看已逾期的"})
    register = fields.Integer(load_default=None, metadata={"description": "只看某次部门比对产生的"})


@blp.get("/tasks")
@blp.response(200, TaskSchema(many=True))
@problems(blp, "auth.forbidden")
def my_tasks():
    """我辖区内待核查的任务（到期早的在前）"""
    return services.my_tasks(actor())


@blp.get("/tasks/all")
@blp.arguments(TaskArgs, location="query")
@blp.response(200, TaskSchema(many=True))
@problems(blp, "auth.forbidden")
def all_tasks(args):
    """辖区内全部核验任务（未完成、到期早的在前）"""
    return services.tasks_in(actor(), args["status"], args["overdue"], args["register"])


@blp.post("/tasks/<int:task_id>/answer")
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": {"type": "object"}}},
                      "description": "id（手机生成的 UUID）、outcome（confirmed 核实无误 / corrected 已更正 / not_found 现场未找到）、"
                                     "note、photos（已上传照片的 SHA-256）、submission（已更正时那份新采集的 id）、position"})
@blp.response(200, TaskSchema)
@problems(blp, "resource.not_found", "validation.failed", "photo.missing", "task.conflict")
def answer(task_id):
    """答复核验任务（同一答复重发时返回原结果）"""
    task, _ = services.answer(actor(), task_id, request.get_json(silent=True))
    return task
