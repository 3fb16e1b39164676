"""The grid worker's open verification tasks (the field app's inbox)."""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.accounts.auth import actor
from app.api import problems

from . import services

blp = Blueprint("tasks_api", __name__, url_prefix="/api/v1", description="核验任务：推送给网格员的现场核查")


class TaskSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    kind_label = fields.String()
    status = fields.String()
    status_label = fields.String()
    title = fields.String()
    detail = fields.String(allow_none=True)
    object_code = fields.String(metadata={"description": "要核查的地址"})
    address_text = fields.String()
    door_plate_code = fields.String(attribute="door_plate.object_code", metadata={"description": "所在门牌"})
    photo_sha256 = fields.String(allow_none=True)
    due_at = fields.DateTime()
    created_at = fields.DateTime()


@blp.get("/tasks")
@blp.response(200, TaskSchema(many=True))
@problems(blp, "auth.forbidden")
def my_tasks():
    """我辖区内待核查的任务（到期早的在前）"""
    return services.my_tasks(actor())
