"""Request and response schemas of the complaint channel."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from backend.common.schemas import Id, Instant, StrictSchema
from backend.complaints.states import CATEGORIES, REPLIED, STATES

_PAGINATION = ("page", "page_size")
TEXT_MAX = 2000


class StrictBool(fields.Boolean):
    """JSON true or false only."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ma.ValidationError("不能为空")


def Text(max_len: int = TEXT_MAX, **kwargs) -> fields.String:
    """Free text: at least one non-blank character, at most `max_len`."""
    return fields.String(validate=[validate.Length(min=1, max=max_len), _not_blank], **kwargs)


class ComplaintIn(StrictSchema):
    school_id = Id(required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    text = Text(required=True, metadata={"description": "1-2,000 characters"})
    student_id = Id(allow_none=True, metadata={"description": "one of your own children"})
    anonymous = StrictBool(
        load_default=False,
        metadata={
            "description": "hide who filed it from the school and the district; cannot be "
            "combined with `student_id` (the pupil would name the family)"
        },
    )

    @ma.validates_schema
    def _anonymous_names_no_pupil(self, data, **kwargs):
        if data.get("anonymous") and data.get("student_id") is not None:
            raise ma.ValidationError(
                "匿名投诉不能关联学生（学生会暴露投诉人身份）", field_name="student_id"
            )


class FeedbackIn(StrictSchema):
    satisfied = StrictBool(required=True)
    comment = fields.String(validate=validate.Length(max=500), allow_none=True)


class ReplyIn(StrictSchema):
    text = Text(required=True)
    resolution = fields.String(required=True, validate=validate.OneOf(REPLIED))


class ComplaintQuery(StrictSchema):
    """Office filters; unknown parameters are rejected, pagination ones pass through."""

    status = fields.String(validate=validate.OneOf(STATES))
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    overdue = fields.Boolean(
        metadata={"description": "true: waiting for the school past the due time"}
    )

    @ma.pre_load
    def _drop_pagination(self, data, **kwargs):
        return {k: v for k, v in data.items() if k not in _PAGINATION}


class ComplaintCreatedOut(ma.Schema):
    id = fields.Integer()
    tracking_no = fields.String()
    status = fields.String()
    due_at = Instant(
        metadata={
            "description": "end (23:59:59 Asia/Shanghai) of the 5th working day after filing, "
            "by the Chinese calendar (weekends and public holidays skipped, make-up "
            "working days counted)"
        }
    )


class EventOut(ma.Schema):
    at = Instant()
    kind = fields.String(
        metadata={"description": "submitted, accepted, replied, escalated, feedback, overdue"}
    )
    status = fields.String()
    by = fields.String(metadata={"description": "filer, school, district or system"})
    text = fields.String()


class FeedbackOut(ma.Schema):
    satisfied = fields.Boolean()
    comment = fields.String(allow_none=True)
    at = Instant()


class _ComplaintBase(ma.Schema):
    id = fields.Integer()
    school_id = fields.Integer()
    tracking_no = fields.String()
    category = fields.String()
    text = fields.String()
    anonymous = fields.Boolean()
    status = fields.String()
    created_at = Instant()
    due_at = Instant()
    overdue = fields.Boolean()
    accepted_at = Instant(allow_none=True)
    replied_at = Instant(allow_none=True)
    replied_by = fields.String(allow_none=True)
    reply_text = fields.String(allow_none=True)
    escalated_at = Instant(allow_none=True)
    feedback = fields.Nested(FeedbackOut, allow_none=True)
    events = fields.List(fields.Nested(EventOut))


class MyComplaintOut(_ComplaintBase):
    student_id = fields.Integer(allow_none=True)
    can_escalate = fields.Boolean()


class FilerOut(ma.Schema):
    role = fields.String(allow_none=True)
    name = fields.String(allow_none=True)


class PupilOut(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    class_name = fields.String()


class OfficeComplaintOut(_ComplaintBase):
    overdue_flagged_at = Instant(allow_none=True)
    filer = fields.Nested(FilerOut, allow_none=True, metadata={"description": "null: anonymous"})
    student = fields.Nested(PupilOut, allow_none=True)


class SummaryOut(ma.Schema):
    submitted = fields.Integer()
    accepted = fields.Integer()
    resolved = fields.Integer()
    rejected = fields.Integer()
    escalated = fields.Integer()
    open = fields.Integer(metadata={"description": "submitted + accepted + escalated"})
    overdue = fields.Integer(metadata={"description": "waiting for the school past due"})


class DistrictComplaintOut(_ComplaintBase):
    """For the district's routes: no filer and no pupil fields at all."""

    overdue_flagged_at = Instant(allow_none=True)
