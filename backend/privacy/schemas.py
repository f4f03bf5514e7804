"""Privacy request and response schemas."""

from __future__ import annotations

from marshmallow import fields, validate

from backend.common.schemas import Id, Instant, Int, Str, StrictSchema


class DeletionIn(StrictSchema):
    student_id = Id(required=True)
    reason = Str(max_len=500, allow_none=True)


class DeletionOut(StrictSchema):
    id = fields.Integer()
    student_id = fields.Integer()
    status = fields.String(metadata={"enum": ["pending", "completed", "declined"]})
    reason = fields.String(allow_none=True)
    response = fields.String(allow_none=True)
    created_at = Instant()
    decided_at = Instant(allow_none=True)


class DecisionIn(StrictSchema):
    response = Str(max_len=500, allow_none=True)


class DeletionQuery(StrictSchema):
    status = fields.String(validate=validate.OneOf(["pending", "completed", "declined"]))


class RetentionIn(StrictSchema):
    retention_days = Int(required=True, validate=validate.Range(min=30, max=3650))


class RetentionOut(StrictSchema):
    id = fields.Integer()
    retention_days = fields.Integer()


class ExportOut(StrictSchema):
    exported_at = fields.String()
    user = fields.Dict()
    children = fields.List(fields.Dict())
