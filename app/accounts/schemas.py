from marshmallow import Schema, fields

from app.api import BaseSchema, UtcDateTime, length, one_of

from .roles import PERMISSIONS, ROLES


class LoginIn(BaseSchema):
    username = fields.String(required=True, validate=length(1, 64))
    password = fields.String(required=True, validate=length(1, 256), load_only=True)


class PasswordIn(BaseSchema):
    current_password = fields.String(required=True, validate=length(1, 256), load_only=True)
    new_password = fields.String(required=True, validate=length(8, 256), load_only=True)


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String(metadata={"enum": list(ROLES)})
    role_label = fields.String()
    active = fields.Boolean()
    areas = fields.Function(lambda u: [{"code": a.area.code, "name": a.area.name} for a in u.areas])
    object_codes = fields.Function(lambda u: [o.object_code for o in u.objects])
    permissions = fields.Function(lambda u: sorted(PERMISSIONS.get(u.role, ())),
                                  metadata={"description": "角色拥有的权限，如 collect.submit"})


class SessionSchema(Schema):
    csrf_token = fields.String(metadata={"description": "浏览器写请求须在 X-CSRFToken 头中带上"})
    user = fields.Nested(UserSchema, allow_none=True)


class UserIn(BaseSchema):
    username = fields.String(required=True, validate=length(3, 64))
    display_name = fields.String(load_default=None, validate=length(1, 64))
    role = fields.String(required=True, validate=one_of(ROLES))
    password = fields.String(required=True, validate=length(8, 256), load_only=True)
    area_codes = fields.List(fields.String(validate=length(4, 15)), load_default=list)
    object_codes = fields.List(fields.String(validate=length(21, 21)), load_default=list)


class ActiveIn(BaseSchema):
    active = fields.Boolean(required=True)


class ApiKeyIn(BaseSchema):
    user_id = fields.Integer(required=True, strict=True)
    name = fields.String(required=True, validate=length(1, 64))


class ApiKeySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String(metadata={"description": "密钥前 12 位，用于辨认"})
    user = fields.Function(lambda k: k.user.username)
    created_at = UtcDateTime()
    revoked_at = UtcDateTime(allow_none=True)
    calls = fields.Integer()
    last_used_at = UtcDateTime(allow_none=True)


class IssuedKeySchema(ApiKeySchema):
    secret = fields.String(metadata={"description": "完整密钥，只显示这一次"})
