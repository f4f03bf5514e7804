"""Request and response schemas of admin sign-in and admin accounts."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from backend.common.schemas import Id, Instant, Str, StrictSchema

USERNAME_RE = r"^[A-Za-z0-9_.\-]{3,64}$"


class AdminLoginIn(StrictSchema):
    username = Str(max_len=64, min_len=1, required=True)
    password = Str(max_len=128, min_len=1, required=True)
    otp = Str(
        max_len=10,
        load_default=None,
        allow_none=True,
        metadata={"description": "6-digit code from the authenticator app, once TOTP is on"},
    )


class AdminTokenOut(ma.Schema):
    access_token = fields.String(required=True)
    expires_in = fields.Integer(required=True, metadata={"description": "seconds"})
    token_type = fields.String(metadata={"example": "Bearer"})
    totp_enabled = fields.Boolean(
        required=True,
        metadata={
            "description": "false: the session may only enrol TOTP (POST /auth/totp/setup, "
            "then /auth/totp/confirm); every other endpoint answers 403 "
            "totp_enrollment_required"
        },
    )


class TotpSetupOut(ma.Schema):
    secret = fields.String(required=True, metadata={"description": "base32, shown once"})
    otpauth_uri = fields.String(required=True, metadata={"description": "for a QR code"})


class AdminOtpIn(StrictSchema):
    otp = Str(max_len=10, min_len=1, required=True)


class TotpStateOut(ma.Schema):
    totp_enabled = fields.Boolean(required=True)


class AdminPasswordChangeIn(StrictSchema):
    current_password = Str(max_len=128, min_len=1, required=True)
    new_password = Str(max_len=128, min_len=1, required=True)


class AdminCreateIn(StrictSchema):
    username = fields.String(
        required=True,
        validate=validate.Regexp(USERNAME_RE, error="用户名为3-64位字母、数字或 _ . -"),
    )
    password = Str(max_len=128, min_len=1, required=True)


class AdminOut(ma.Schema):
    id = Id()
    username = fields.String()
    school_id = fields.Integer(allow_none=True)
    district_id = fields.Integer(allow_none=True)
    totp_enabled = fields.Boolean()
    active = fields.Boolean()
    last_login_at = Instant(allow_none=True)
    created_at = Instant()
