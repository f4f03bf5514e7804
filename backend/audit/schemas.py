"""Audit log query and output schemas."""

from __future__ import annotations

from marshmallow import fields

from backend.common.schemas import Instant, Str, StrictSchema


class AuditQuery(StrictSchema):
    action = Str(max_len=64)
    object_type = Str(max_len=40)
    object_id = Str(max_len=40)
    since = fields.DateTime()
    until = fields.DateTime()


class AuditLogOut(StrictSchema):
    id = fields.Integer()
    seq = fields.Integer()
    actor_kind = fields.String()
    actor_id = fields.Integer(allow_none=True)
    action = fields.String()
    object_type = fields.String()
    object_id = fields.String(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    client_ip = fields.String(allow_none=True)
    created_at = Instant()
    hash = fields.String()
