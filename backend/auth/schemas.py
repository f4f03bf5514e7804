"""Mini-program sign-in schemas: WeChat login, token refresh and the verified phone."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from backend.common.schemas import Str, StrictSchema
from backend.schools.app_schemas import RoleOut


class WeChatLoginIn(StrictSchema):
    code = Str(
        required=True,
        min_len=1,
        max_len=128,
        metadata={"description": "The code from wx.login(); valid once, for five minutes."},
    )


class RefreshIn(StrictSchema):
    refresh_token = Str(required=True, min_len=1, max_len=256)


class PhoneIn(StrictSchema):
    code = Str(
        required=True,
        min_len=1,
        max_len=128,
        metadata={"description": "The code from the getPhoneNumber button; valid once."},
    )


class SignedInUserOut(ma.Schema):
    id = fields.Integer()
    roles = fields.List(
        fields.Nested(RoleOut),
        metadata={"description": "The caller's roles, as in GET /me (empty for a new user)."},
    )


class TokensOut(ma.Schema):
    access_token = fields.String(
        metadata={"description": "Send as `Authorization: Bearer <access_token>`."}
    )
    refresh_token = fields.String(
        metadata={"description": "Use once with POST /auth/refresh; store it securely."}
    )
    expires_in = fields.Integer(metadata={"description": "Seconds the access token lives."})
    token_type = fields.String(metadata={"example": "Bearer"})
    user = fields.Nested(SignedInUserOut)


class PhoneOut(ma.Schema):
    phone_masked = fields.String(metadata={"example": "138****8000"})
