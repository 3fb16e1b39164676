"""API shapes of the three actuals. Personal data goes out masked; the full values only through
the audited reveal endpoint."""
from __future__ import annotations

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from app.api import BaseSchema, Day, UtcDateTime, length, one_of
from app.places.addresses import address_text
from app.places.schemas import AddressSchema
from app.standards import credit_code, id_number
from app.standards.problem import ERROR

from .models import HOUSING_USES, ORGANISATION_KINDS, OWNERSHIP, RESIDENT_KINDS

PHONE = validate.Regexp(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$",
                        error="应为 11 位手机号，或带区号的固定电话（如 0710-1234567）")
NAME = length(1, 32)


def standard_errors(found) -> None:
    errors = [p.message for p in found if p.severity == ERROR]
    if errors:
        raise ValidationError("；".join(errors))


EARLIEST_MOVE = date(1900, 1, 1)  # a move-in or move-out date of someone on record, at the earliest


class ResidentIn(BaseSchema):
    room_code = fields.String(required=True, validate=length(21, 21))
    name = fields.String(required=True, validate=NAME)
    id_number = fields.String(required=True, metadata={"description": "公民身份号码（18 位，末位可为 X）"})
    phone = fields.String(load_default=None, validate=PHONE)
    kind = fields.String(load_default="registered", validate=one_of(RESIDENT_KINDS))
    moved_in = Day(earliest=EARLIEST_MOVE, load_default=None)

    @validates("id_number")
    def _id_number(self, value, **kwargs):
        standard_errors(id_number.problems(value))


class MoveOutIn(BaseSchema):
    on = Day(earliest=EARLIEST_MOVE, required=True, metadata={"description": "迁出日期"})
    version = fields.Integer(required=True, strict=True)


class ResidentSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    id_number = fields.String(attribute="id_number_masked", metadata={"description": "脱敏后的身份号码"})
    phone = fields.String(attribute="phone_masked", allow_none=True)
    sex = fields.String()
    kind = fields.String()
    status = fields.String()
    version = fields.Integer()
    moved_in = fields.Date(allow_none=True)
    moved_out = fields.Date(allow_none=True)
    room_code = fields.Function(lambda r: r.room.object_code)
    address = fields.Function(lambda r: address_text(r.room))


class PersonalSchema(Schema):
    id_number = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class HousingIn(BaseSchema):
    use = fields.String(required=True, validate=one_of(HOUSING_USES))
    ownership = fields.String(required=True, validate=one_of(OWNERSHIP))
    rented = fields.Boolean(load_default=False)
    version = fields.Integer(strict=True, metadata={"description": "修改已有记录时必填"})


class HousingSchema(Schema):
    id = fields.Integer()
    room_code = fields.Function(lambda h: h.room.object_code)
    use = fields.String()
    ownership = fields.String()
    rented = fields.Boolean()
    version = fields.Integer()


class OrganisationIn(BaseSchema):
    name = fields.String(required=True, validate=length(2, 128))
    kind = fields.String(required=True, validate=one_of(ORGANISATION_KINDS))
    credit_code = fields.String(load_default=None, metadata={
        "description": "统一社会信用代码；企业、个体工商户必填。福建试点期间的代码会作为警告通过并标记"})
    legal_representative = fields.String(load_default=None, validate=NAME)
    phone = fields.String(load_default=None, validate=PHONE)
    area_code = fields.String(required=True, validate=length(6, 15), metadata={"description": "登记所在区划"})

    @validates("credit_code")
    def _credit_code(self, value, **kwargs):
        if value is not None:
            standard_errors(credit_code.problems(value))

    @validates_schema
    def _needs_code(self, data, **kwargs):
        if data.get("kind") in ("enterprise", "individual") and not data.get("credit_code"):
            raise ValidationError("企业和个体工商户须填写统一社会信用代码", field_name="credit_code")


class BindingSchema(Schema):
    id = fields.Integer()
    active = fields.Boolean()
    started_at = UtcDateTime()
    ended_at = UtcDateTime(allow_none=True)
    address = fields.Function(lambda b: AddressSchema().dump(b.room or b.door_plate))


class OrganisationSchema(Schema):
    object_code = fields.String()
    name = fields.String()
    kind = fields.String()
    credit_code = fields.String(allow_none=True)
    credit_code_flags = fields.List(fields.String(), allow_none=True,
                                    metadata={"description": "需复核的代码问题（警告），如福建试点代码"})
    legal_representative = fields.String(allow_none=True)
    phone = fields.String(attribute="phone_masked", allow_none=True)
    status = fields.String()
    version = fields.Integer()
    binding = fields.Function(lambda o: BindingSchema().dump(o.active_binding) if o.active_binding else None)


class OrganisationDetailSchema(OrganisationSchema):
    history = fields.List(fields.Nested(BindingSchema), attribute="bindings")


class BindIn(BaseSchema):
    address_code = fields.String(required=True, validate=length(21, 21), metadata={"description": "户室或门牌的对象编码"})
    confirm_move = fields.Boolean(load_default=False, metadata={"description": "已绑定在别处时，确认迁移"})


class ActualsSchema(Schema):
    address = fields.Nested(AddressSchema)
    residents = fields.List(fields.Nested(ResidentSchema))
    housing = fields.List(fields.Nested(HousingSchema))
    organisations = fields.List(fields.Nested(OrganisationSchema))


class OrganisationArgs(BaseSchema):
    name = fields.String(load_default=None, validate=length(1, 64))
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500, error="应在 1 到 500 之间"))


class OrganisationPageSchema(Schema):
    items = fields.List(fields.Nested(OrganisationSchema))
    next = fields.String(allow_none=True)
