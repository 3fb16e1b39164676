"""JSON endpoints of the three actuals: parse → service → dump."""
from __future__ import annotations

from flask_smorest import Blueprint

from app.accounts.auth import actor
from app.api import page, problems

from . import services
from .models import Organisation
from .schemas import (ActualsSchema, BindIn, BindingSchema, HousingIn, HousingSchema, MoveOutIn, OrganisationArgs,
                      OrganisationDetailSchema, OrganisationIn, OrganisationPageSchema, OrganisationSchema,
                      PersonalSchema, ResidentIn, ResidentSchema)

blp = Blueprint("actuals", __name__, url_prefix="/api/v1", description="三实：实有人口、实有房屋、实有单位")

WRITE_PROBLEMS = ("auth.forbidden", "validation.failed", "conflict.duplicate")


@blp.get("/addresses/<code>/actuals")
@blp.response(200, ActualsSchema)
@problems(blp, "resource.not_found", "auth.forbidden")
def actuals_at(code):
    """地址上的实有人口（脱敏）、实有房屋和实有单位"""
    return services.actuals_at(actor(), code)


@blp.post("/residents")
@blp.arguments(ResidentIn)
@blp.response(201, ResidentSchema)
@problems(blp, *WRITE_PROBLEMS)
def register_resident(data):
    """登记实有人口"""
    return services.register_resident(actor(), data)


@blp.get("/residents/<int:resident_id>")
@blp.response(200, ResidentSchema)
@problems(blp, "resource.not_found", "auth.forbidden")
def get_resident(resident_id):
    """实有人口（身份号码、电话脱敏）"""
    return services.get_resident(actor(), resident_id)


@blp.post("/residents/<int:resident_id>/personal")
@blp.response(200, PersonalSchema)
@problems(blp, "resource.not_found", "auth.forbidden")
def reveal_resident(resident_id):
    """查看完整身份号码和电话（仅限有权角色，每次查看记入审计日志）"""
    user = actor()
    return services.reveal_personal(user, services.get_resident(user, resident_id))


@blp.post("/residents/<int:resident_id>/move-out")
@blp.arguments(MoveOutIn)
@blp.response(200, ResidentSchema)
@problems(blp, "resource.not_found", "conflict.version", "state.not_allowed", *WRITE_PROBLEMS)
def move_out(data, resident_id):
    """办理迁出（记录保留）"""
    return services.move_out(actor(), resident_id, data["on"], data["version"])


@blp.put("/rooms/<code>/housing")
@blp.arguments(HousingIn)
@blp.response(200, HousingSchema)
@problems(blp, "conflict.version", *WRITE_PROBLEMS)
def set_housing(data, code):
    """登记或修改实有房屋信息"""
    return services.set_housing(actor(), code, data)


@blp.get("/organisations")
@blp.arguments(OrganisationArgs, location="query")
@blp.response(200, OrganisationPageSchema)
@problems(blp, "auth.forbidden", "validation.failed")
def list_organisations(args):
    """辖区内的实有单位（按名称筛选，游标分页）"""
    stmt = services.organisations(actor(), args.get("name"))
    return page(stmt, Organisation.id, args)


@blp.post("/organisations")
@blp.arguments(OrganisationIn)
@blp.response(201, OrganisationSchema)
@problems(blp, *WRITE_PROBLEMS)
def register_organisation(data):
    """登记实有单位（校验统一社会信用代码）"""
    return services.register_organisation(actor(), data)


@blp.get("/organisations/<code>")
@blp.response(200, OrganisationDetailSchema)
@problems(blp, "resource.not_found", "auth.forbidden")
def get_organisation(code):
    """实有单位及其绑定历史"""
    return services.get_organisation(actor(), code)


@blp.post("/organisations/<code>/personal")
@blp.response(200, PersonalSchema)
@problems(blp, "resource.not_found", "auth.forbidden")
def reveal_organisation(code):
    """查看单位联系电话全文（记入审计日志）"""
    user = actor()
    return services.reveal_personal(user, services.get_organisation(user, code))


@blp.post("/organisations/<code>/binding")
@blp.arguments(BindIn)
@blp.response(201, BindingSchema)
@problems(blp, "resource.not_found", "binding.already_bound", "state.not_allowed", *WRITE_PROBLEMS)
def bind(data, code):
    """把单位绑定到户室或门牌（已绑定在别处须确认迁移，历史保留）"""
    return services.bind(actor(), code, data["address_code"], data["confirm_move"])
