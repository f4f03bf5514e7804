"""Admin-only schemas: the office's lists, exports and answers to objections."""

from __future__ import annotations

from marshmallow import fields, validate

from backend.common.schemas import Id, Instant, Str, StrictSchema
from backend.signup.models import OBJECTION_STATES
from backend.signup.schemas import Level, QueryId, ReviewHistoryOut, ReviewRowOut, State


class OfficeApplicationQuery(StrictSchema):
    state = State()
    class_id = QueryId()
    grade_id = QueryId()
    level = Level(metadata={"description": "Only applications waiting at this level"})
    overdue = fields.Boolean(
        metadata={"description": "true: waiting longer than review_overdue_days"}
    )


class OfficeReviewHistoryOut(ReviewHistoryOut):
    actor_kind = fields.String()
    actor_id = fields.Integer(allow_none=True)
    objection_id = fields.Integer(allow_none=True)


class OfficeApplicationOut(ReviewRowOut):
    history = fields.List(fields.Nested(OfficeReviewHistoryOut))
    client_ip = fields.String(allow_none=True)
    agreement_id = fields.Integer()
    agreed_at = Instant()


class ObjectionQuery(StrictSchema):
    term_id = QueryId()
    publication_id = QueryId()
    state = fields.String(validate=validate.OneOf(OBJECTION_STATES))


class ObjectionOut(StrictSchema):
    id = fields.Integer()
    publication_id = fields.Integer()
    term_id = fields.Integer()
    application_id = fields.Integer(allow_none=True)
    student_name = fields.String(allow_none=True)
    text = fields.String()
    state = fields.String()
    response = fields.String(allow_none=True)
    created_at = Instant()
    answered_at = Instant(allow_none=True)


class ObjectionAnswerIn(StrictSchema):
    response = Str(required=True, min_len=1, max_len=1000)
    application_id = Id(
        allow_none=True,
        metadata={"description": "Uphold only: the application, when the objection named none"},
    )


class PublicationFinalizeOut(StrictSchema):
    enrolled = fields.Integer(metadata={"description": "How many were enrolled now"})
    term_id = fields.Integer()
    publication_id = fields.Integer()
