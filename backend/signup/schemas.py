"""Request and response schemas of sign-up, review and the posting (app and admin)."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from backend.common.schemas import Id, Instant, Str, StrictSchema
from backend.schools.models import PRIORITY_FLAGS
from backend.signup.codes import EXEMPTION_CATEGORIES
from backend.signup.models import APPLICATION_STATES

LEVELS = ("class", "grade", "school")


def QueryId(**kwargs) -> fields.Integer:
    """An id in a query string (text by nature, so not strict)."""
    return fields.Integer(validate=validate.Range(min=1, max=2**62), **kwargs)


def Level(**kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(LEVELS), **kwargs)


def State(**kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(APPLICATION_STATES), **kwargs)


class ApplicationIn(StrictSchema):
    term_id = Id(required=True)
    student_id = Id(required=True)
    agreement_id = Id(
        allow_none=True,
        metadata={"description": "An agreement version of this term (422 agreement_required)"},
    )
    agree = fields.Boolean(
        allow_none=True, metadata={"description": "Must be true (422 agreement_required)"}
    )
    priority_flags = fields.List(
        fields.String(validate=validate.OneOf(PRIORITY_FLAGS)),
        validate=validate.Length(max=len(PRIORITY_FLAGS)),
        metadata={"description": "R4 priority groups: " + ", ".join(PRIORITY_FLAGS)},
    )
    exemption_category = fields.String(
        allow_none=True,
        validate=validate.OneOf(EXEMPTION_CATEGORIES),
        metadata={
            "description": "R9 free-of-charge request: jiandang_lika (建档立卡), dibao (低保), "
            "tekun (特困), martyr_child (烈士子女), orphan (孤儿), disabled (残疾学生)"
        },
    )
    note = Str(max_len=500, allow_none=True)


class ApplicationQuery(StrictSchema):
    term_id = QueryId()
    student_id = QueryId()


class ApplicationStepOut(StrictSchema):
    level = fields.String(allow_none=True, metadata={"description": "class | grade | school"})
    decision = fields.String(
        metadata={
            "description": "submit, approve, reject, resubmit, withdraw, publish, finalize, "
            "uphold_objection"
        }
    )
    comment = fields.String(allow_none=True)
    decided_at = Instant()
    state = fields.String(metadata={"description": "The state after this step"})


class ApplicationBriefOut(StrictSchema):
    """An application as listed and as created (no history)."""

    id = fields.Integer()
    term_id = fields.Integer()
    student_id = fields.Integer()
    student_name = fields.String()
    class_id = fields.Integer()
    class_name = fields.String()
    state = fields.String()
    level = fields.String(
        allow_none=True, metadata={"description": "Where it waits; null when not waiting"}
    )
    priority_flags = fields.List(fields.String())
    exemption_category = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    agreement_id = fields.Integer()
    agreement_version = fields.Integer()
    agreed_at = Instant()
    created_at = Instant()
    updated_at = Instant()
    waiting_since = Instant(allow_none=True)
    enrolled_at = Instant(allow_none=True)
    withdrawn_at = Instant(allow_none=True)


class ApplicationOut(ApplicationBriefOut):
    steps = fields.List(
        fields.Nested(ApplicationStepOut),
        metadata={"description": "History (detail only): which level decided what and why"},
    )


class WithdrawIn(StrictSchema):
    reason = Str(max_len=500, allow_none=True)


class ResubmitIn(StrictSchema):
    note = Str(max_len=500, allow_none=True)


class ReviewQuery(StrictSchema):
    term_id = QueryId(required=True)
    level = Level(required=True)
    overdue = fields.Boolean(
        metadata={"description": "true: only reviews waiting longer than review_overdue_days"}
    )


class ReviewDecisionIn(StrictSchema):
    application_id = Id(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    comment = Str(max_len=500, allow_none=True)


class ReviewIn(StrictSchema):
    level = Level(required=True)
    decisions = fields.List(
        fields.Nested(ReviewDecisionIn), required=True, validate=validate.Length(min=1, max=200)
    )

    @validates_schema
    def _distinct(self, data, **_kw):
        ids = [d["application_id"] for d in data.get("decisions", [])]
        if len(ids) != len(set(ids)):
            raise ValidationError("每个申请只能出现一次", "decisions")


class ReviewHistoryOut(ApplicationStepOut):
    role = fields.String(allow_none=True, metadata={"description": "The deciding role"})


class ReviewRowOut(StrictSchema):
    id = fields.Integer()
    application_id = fields.Integer()
    term_id = fields.Integer()
    student_id = fields.Integer()
    student_name = fields.String()
    class_id = fields.Integer()
    class_name = fields.String()
    grade_id = fields.Integer()
    state = fields.String()
    level = fields.String(allow_none=True)
    priority_flags = fields.List(fields.String())
    exemption_category = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    created_at = Instant()
    waiting_since = Instant(allow_none=True)
    overdue = fields.Boolean(
        metadata={"description": "Waiting longer than the term's review_overdue_days"}
    )
    history = fields.List(fields.Nested(ReviewHistoryOut))


class ReviewResultOut(StrictSchema):
    application_id = fields.Integer()
    state = fields.String()
    level = fields.String(allow_none=True)


class ReviewOut(StrictSchema):
    results = fields.List(fields.Nested(ReviewResultOut))


class SignupTermQuery(StrictSchema):
    term_id = QueryId(required=True)


class ReviewExportQuery(StrictSchema):
    term_id = QueryId(required=True)
    level = Level(required=True, metadata={"description": "The level whose scope I export"})
    waiting = fields.Boolean(metadata={"description": "true: only what waits at that level"})
    state = State()


class ApplicationCountsOut(StrictSchema):
    submitted = fields.Integer(metadata={"description": "Applications received (any state)"})
    waiting = fields.Integer(metadata={"description": "Waiting at some review level"})
    overdue = fields.Integer(metadata={"description": "Waiting longer than the term allows"})
    approved = fields.Integer(
        metadata={"description": "Passed every level (approved, in_publicity or enrolled)"}
    )
    rejected = fields.Integer()
    withdrawn = fields.Integer()
    in_publicity = fields.Integer()
    enrolled = fields.Integer()


class LevelReviewCountsOut(StrictSchema):
    level = fields.String()
    waiting = fields.Integer()
    overdue = fields.Integer()
    approved = fields.Integer(metadata={"description": "Applications approved at this level"})
    rejected = fields.Integer(metadata={"description": "Applications rejected at this level"})


class GradeApplicationCountsOut(ApplicationCountsOut):
    grade_id = fields.Integer()
    grade_name = fields.String()


class ClassApplicationCountsOut(ApplicationCountsOut):
    class_id = fields.Integer()
    class_name = fields.String()
    grade_id = fields.Integer()


class ApplicationSummaryOut(StrictSchema):
    term_id = fields.Integer()
    totals = fields.Nested(ApplicationCountsOut)
    by_level = fields.List(fields.Nested(LevelReviewCountsOut))
    by_grade = fields.List(fields.Nested(GradeApplicationCountsOut))
    by_class = fields.List(fields.Nested(ClassApplicationCountsOut))


class PublicationOut(StrictSchema):
    id = fields.Integer()
    term_id = fields.Integer()
    starts_at = Instant()
    ends_at = Instant()
    entry_count = fields.Integer()


class PostingEntryOut(StrictSchema):
    application_id = fields.Integer(
        metadata={"description": "Reference for an objection; nothing else about the pupil"}
    )
    class_name = fields.String()
    student_name_masked = fields.String(metadata={"description": "张*明"})


class PostingOut(StrictSchema):
    id = fields.Integer()
    term_id = fields.Integer()
    starts_at = Instant()
    ends_at = Instant()
    open = fields.Boolean(metadata={"description": "Objections are taken now"})
    finalized_at = Instant(allow_none=True)
    entries = fields.List(fields.Nested(PostingEntryOut))


class ObjectionIn(StrictSchema):
    text = Str(required=True, min_len=1, max_len=1000)
    application_id = Id(allow_none=True)


class ObjectionCreatedOut(StrictSchema):
    id = fields.Integer()
    publication_id = fields.Integer()
    application_id = fields.Integer(allow_none=True)
    state = fields.String()
    created_at = Instant()
