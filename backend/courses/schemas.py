"""Request and response schemas of providers, courses, selections and the lottery."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from backend.common.schemas import Fen, Id, Instant, Int, Str, StrictSchema
from backend.courses.models import COURSE_STATUSES, KINDS, PROVIDER_STATUSES

Hhmm = lambda **kw: fields.Time(format="%H:%M", **kw)  # noqa: E731


# --- providers (admin) -------------------------------------------------------------------
class ProviderIn(StrictSchema):
    name = Str(required=True, min_len=1, max_len=100)
    licence_no = Str(required=True, min_len=1, max_len=64)
    qualification = Str(required=True, min_len=1, max_len=500)
    contact = Str(max_len=100, allow_none=True)
    status = fields.String(validate=validate.OneOf(PROVIDER_STATUSES))


class ProviderPatch(ProviderIn):
    def __init__(self, *args, **kwargs):
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class BlacklistIn(StrictSchema):
    reason = Str(required=True, min_len=1, max_len=500)
    until = fields.AwareDateTime(
        metadata={"description": "End of the ban; six years from now when left out (R12)."}
    )


class ProviderOut(StrictSchema):
    id = fields.Integer()
    school_id = fields.Integer()
    name = fields.String()
    licence_no = fields.String()
    qualification = fields.String()
    contact = fields.String(allow_none=True)
    status = fields.String()
    blacklisted = fields.Boolean()
    blacklisted_at = Instant(allow_none=True)
    blacklisted_until = Instant(allow_none=True)
    blacklist_reason = fields.String(allow_none=True)


# --- courses (admin) ---------------------------------------------------------------------
Weekdays = lambda **kw: fields.List(  # noqa: E731
    Int(validate=validate.Range(min=1, max=5)), validate=validate.Length(min=1, max=5), **kw
)
Grade = lambda **kw: Int(validate=validate.Range(min=1, max=9), **kw)  # noqa: E731


class CourseIn(StrictSchema):
    name = Str(required=True, min_len=1, max_len=100)
    category = Str(required=True, min_len=1, max_len=30)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    weekdays = Weekdays(required=True, metadata={"description": "ISO weekdays, 1 = Monday"})
    start_time = Hhmm(required=True)
    end_time = Hhmm(required=True)
    capacity = Int(required=True, validate=validate.Range(min=1, max=500))
    min_grade = Grade(required=True)
    max_grade = Grade(required=True)
    fee_fen = Fen(required=True)
    provider_id = Id(allow_none=True)
    location = Str(max_len=100, allow_none=True)
    status = fields.String(validate=validate.OneOf(COURSE_STATUSES))

    @validates_schema
    def _unique_days(self, data, **kwargs):
        days = data.get("weekdays")
        if days is not None and len(set(days)) != len(days):
            raise ValidationError("每个星期几只能出现一次", "weekdays")


class CoursePatch(CourseIn):
    """Every field optional; the merged course is validated as a whole."""

    def __init__(self, *args, **kwargs):
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class CourseOut(StrictSchema):
    id = fields.Integer()
    term_id = fields.Integer()
    school_id = fields.Integer()
    name = fields.String()
    category = fields.String()
    kind = fields.String()
    weekdays = fields.List(fields.Integer())
    start_time = Hhmm()
    end_time = Hhmm()
    capacity = fields.Integer()
    seats_taken = fields.Integer()
    seats_left = fields.Integer()
    waitlist_length = fields.Integer()
    min_grade = fields.Integer()
    max_grade = fields.Integer()
    fee_fen = fields.Integer()
    provider_id = fields.Integer(allow_none=True)
    location = fields.String(allow_none=True)
    status = fields.String()


class WarningOut(StrictSchema):
    code = fields.String()
    rule = fields.String()
    message = fields.String()


class BalanceOut(StrictSchema):
    term_id = fields.Integer()
    tutoring_minutes_per_week = fields.Integer()
    enrichment_minutes_per_week = fields.Integer()
    total_minutes_per_week = fields.Integer()
    enrichment_percent = fields.Integer(allow_none=True)
    active_providers = fields.Integer()
    warnings = fields.List(fields.Nested(WarningOut))


class RosterRowOut(StrictSchema):
    selection_id = fields.Integer()
    student_id = fields.Integer()
    student_no = fields.String()
    name = fields.String()
    class_name = fields.String()
    status = fields.String()
    waitlist_position = fields.Integer(allow_none=True)
    source = fields.String()


# --- selection (app) ---------------------------------------------------------------------
def QueryId(**kwargs) -> fields.Integer:
    """An id in the query string (text there, so not strict)."""
    return fields.Integer(validate=validate.Range(min=1, max=2**62), **kwargs)


class CatalogueQuery(StrictSchema):
    student_id = QueryId(required=True)


class CatalogueOut(StrictSchema):
    id = fields.Integer()
    name = fields.String()
    category = fields.String()
    kind = fields.String()
    weekdays = fields.List(fields.Integer())
    start_time = Hhmm()
    end_time = Hhmm()
    location = fields.String(allow_none=True)
    capacity = fields.Integer()
    seats_left = fields.Integer()
    waitlist_length = fields.Integer()
    fee_fen = fields.Integer()
    min_grade = fields.Integer()
    max_grade = fields.Integer()
    eligible = fields.Boolean()
    ineligible_reason = fields.String(
        allow_none=True,
        metadata={
            "description": "not_enrolled, selection_closed, grade_not_eligible, "
            "already_selected, time_conflict or max_courses_reached"
        },
    )


class SelectionIn(StrictSchema):
    student_id = Id(required=True)
    course_id = Id(required=True)
    join_waitlist = fields.Boolean(load_default=False)


class SelectionOut(StrictSchema):
    id = fields.Integer()
    course_id = fields.Integer()
    student_id = fields.Integer()
    term_id = fields.Integer()
    status = fields.String(metadata={"description": "confirmed | waitlisted"})
    source = fields.String(metadata={"description": "fcfs | lottery"})
    waitlist_position = fields.Integer(metadata={"description": "1 = next in line"})


class SelectionQuery(StrictSchema):
    student_id = QueryId(required=True)
    term_id = QueryId()


class TermQuery(StrictSchema):
    term_id = QueryId(required=True)


class TimetableEntryOut(StrictSchema):
    course_id = fields.Integer()
    selection_id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    start_time = Hhmm()
    end_time = Hhmm()
    location = fields.String(allow_none=True)
    status = fields.String()


class TimetableDayOut(StrictSchema):
    weekday = fields.Integer()
    courses = fields.List(fields.Nested(TimetableEntryOut))


class ClassPupilOut(StrictSchema):
    student_id = fields.Integer()
    name = fields.String()
    status = fields.String()


class ClassCourseOut(StrictSchema):
    course_id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    weekdays = fields.List(fields.Integer())
    start_time = Hhmm()
    end_time = Hhmm()
    location = fields.String(allow_none=True)
    students = fields.List(fields.Nested(ClassPupilOut))


# --- lottery -----------------------------------------------------------------------------
class PreferencesIn(StrictSchema):
    course_ids = fields.List(
        Id(),
        required=True,
        validate=validate.Length(max=10),
        metadata={"description": "best first"},
    )


class PreferencesOut(StrictSchema):
    term_id = fields.Integer()
    student_id = fields.Integer()
    course_ids = fields.List(fields.Integer())
    updated_at = Instant(allow_none=True)


class CommitIn(StrictSchema):
    seed_hash = fields.String(
        required=True,
        validate=validate.Regexp(r"^[0-9a-fA-F]{64}$", error="须为64位十六进制 SHA-256"),
    )


class DrawIn(StrictSchema):
    seed = Str(required=True, min_len=8, max_len=200)


class PupilPseudonymOut(StrictSchema):
    student_id = fields.Integer()
    pseudonymous_id = fields.String()


class LotteryOut(StrictSchema):
    term_id = fields.Integer()
    seed_hash = fields.String(allow_none=True)
    committed_at = Instant()
    seed = fields.String()
    drawn_at = Instant()
    algorithm = fields.String()
    placed = fields.Integer()
    waitlisted = fields.Integer()
    my_pupils = fields.List(fields.Nested(PupilPseudonymOut))


class LotteryInputsOut(StrictSchema):
    seed_hash = fields.String()
    inputs = fields.Dict(metadata={"description": "what scripts/verify_lottery.py recomputes"})
    result = fields.Dict()
