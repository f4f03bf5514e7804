"""Request and response schemas of surveys, answers, results and settings."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import ValidationError, fields, validate, validates_schema

from backend.common.schemas import Id, Instant, Int, Str, StrictSchema
from backend.surveys.models import QUESTION_KINDS, SUBJECT_KINDS

_PAGINATION = ("page", "page_size")
MAX_TEXT = 500


def QueryId(**kwargs) -> fields.Integer:
    """An id in the query string (text there, so not strict)."""
    return fields.Integer(validate=validate.Range(min=1, max=2**31 - 1), **kwargs)


class ListQuery(StrictSchema):
    """Query filters: unknown parameters are rejected, pagination ones pass through."""

    @ma.pre_load
    def _drop_pagination(self, data, **kwargs):
        """page and page_size belong to the paginator."""
        return {k: v for k, v in data.items() if k not in _PAGINATION}


# --- admin ---------------------------------------------------------------------------------
class QuestionIn(StrictSchema):
    text = Str(required=True, min_len=1, max_len=200)
    kind = fields.String(required=True, validate=validate.OneOf(QUESTION_KINDS))


class SurveyIn(StrictSchema):
    title = Str(required=True, min_len=1, max_len=100)
    opens_at = fields.AwareDateTime(required=True)
    closes_at = fields.AwareDateTime(required=True)
    questions = fields.List(
        fields.Nested(QuestionIn), required=True, validate=validate.Length(min=1, max=20)
    )

    @validates_schema
    def _window(self, data, **kwargs):
        """The close comes after the opening."""
        if data.get("opens_at") and data.get("closes_at") and data["closes_at"] <= data["opens_at"]:
            raise ValidationError("截止时间须晚于开始时间", "closes_at")


class QuestionOut(StrictSchema):
    id = fields.Integer()
    text = fields.String()
    kind = fields.String()


class SurveyOut(StrictSchema):
    id = fields.Integer()
    school_id = fields.Integer()
    term_id = fields.Integer()
    title = fields.String()
    opens_at = Instant()
    closes_at = Instant()
    questions = fields.List(fields.Nested(QuestionOut))
    responses = fields.Integer(metadata={"description": "Families (pupils) who answered"})
    opening_sent_at = Instant(allow_none=True)
    reminder_sent_at = Instant(allow_none=True)


class ResultQuestionOut(StrictSchema):
    id = fields.Integer()
    text = fields.String()
    kind = fields.String()
    average = fields.Float(metadata={"description": "Only from 5 responses on"})
    texts = fields.List(
        fields.String(), metadata={"description": "Text answers, unnamed, in random order"}
    )


class ResultSubjectOut(StrictSchema):
    kind = fields.String(validate=validate.OneOf(SUBJECT_KINDS))
    course_id = fields.Integer()
    name = fields.String()
    provider_id = fields.Integer(allow_none=True)
    responses = fields.Integer()
    average = fields.Float(metadata={"description": "Only from 5 responses on"})
    questions = fields.List(fields.Nested(ResultQuestionOut))


class ResultProviderOut(StrictSchema):
    provider_id = fields.Integer()
    name = fields.String()
    responses = fields.Integer()
    average = fields.Float()


class ResultsOut(StrictSchema):
    survey_id = fields.Integer()
    title = fields.String()
    responses = fields.Integer()
    asked = fields.Integer(metadata={"description": "Pupils enrolled in the term now"})
    response_rate = fields.Float(allow_none=True, metadata={"description": "responses / asked"})
    closed = fields.Boolean(metadata={"description": "Averages and texts only once closed"})
    min_responses = fields.Integer(metadata={"description": "Below this only counts are shown"})
    subjects = fields.List(fields.Nested(ResultSubjectOut))
    providers = fields.List(fields.Nested(ResultProviderOut))


class SettingsIn(StrictSchema):
    low_threshold = fields.Float(
        required=True,
        validate=validate.Range(min=1, max=5),
        metadata={"description": "A provider averaging below this is flagged (default 3.0)"},
    )


class SettingsOut(StrictSchema):
    school_id = fields.Integer()
    low_threshold = fields.Float()
    min_responses = fields.Integer()


# --- app -----------------------------------------------------------------------------------
class SurveyQuery(ListQuery):
    student_id = QueryId(required=True)


class SubjectOut(StrictSchema):
    kind = fields.String()
    course_id = fields.Integer()
    name = fields.String()


class AppSurveyOut(StrictSchema):
    id = fields.Integer()
    title = fields.String()
    opens_at = Instant()
    closes_at = Instant()
    open = fields.Boolean(metadata={"description": "Within the window now"})
    answered = fields.Boolean()
    questions = fields.List(fields.Nested(QuestionOut))
    subjects = fields.List(fields.Nested(SubjectOut))


class AnswerIn(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(SUBJECT_KINDS))
    course_id = Id()
    question_id = Id(required=True)
    score = Int(validate=validate.Range(min=1, max=5))
    text = Str(max_len=MAX_TEXT)

    @validates_schema
    def _subject(self, data, **kwargs):
        """A course answer names its course; a service answer names none."""
        if data.get("kind") == "course" and data.get("course_id") is None:
            raise ValidationError("课程的答案须注明 course_id", "course_id")
        if data.get("kind") == "service" and data.get("course_id") is not None:
            raise ValidationError("整体服务的答案不带 course_id", "course_id")


class ResponseIn(StrictSchema):
    student_id = Id(required=True)
    answers = fields.List(
        fields.Nested(AnswerIn), required=True, validate=validate.Length(min=1, max=400)
    )


class ResponseOut(StrictSchema):
    survey_id = fields.Integer()
    student_id = fields.Integer()
    answered = fields.Boolean()
