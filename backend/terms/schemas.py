"""Term, calendar and agreement schemas (admin input, shared output)."""

from __future__ import annotations

from marshmallow import fields, validate

from backend.common.schemas import Fen, Instant, Int, Str, StrictSchema

LEVELS = ["class", "grade", "school"]


class TermIn(StrictSchema):
    name = Str(required=True, min_len=1, max_len=100)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    signup_opens_at = fields.AwareDateTime(required=True)
    signup_closes_at = fields.AwareDateTime(required=True)
    selection_mode = fields.String(required=True, validate=validate.OneOf(["fcfs", "lottery"]))
    selection_opens_at = fields.AwareDateTime(required=True)
    selection_closes_at = fields.AwareDateTime(required=True)
    publicity_days = Int(required=True, validate=validate.Range(min=0, max=60))
    review_levels = fields.List(
        fields.String(validate=validate.OneOf(LEVELS)), validate=validate.Length(min=1, max=3)
    )
    review_overdue_days = Int(validate=validate.Range(min=1, max=60))
    max_courses_per_student = Int(required=True, validate=validate.Range(min=0, max=20))
    billing_mode = fields.String(required=True, validate=validate.OneOf(["monthly", "term"]))
    base_fee_fen = Fen(required=True)
    service_end_time = fields.Time(required=True, format="%H:%M")
    pickup_cutoff_time = fields.Time(required=True, format="%H:%M")
    pickup_grace_minutes = Int(validate=validate.Range(min=0, max=180))


class TermPatch(TermIn):
    """Every field optional; the merged term is validated as a whole."""

    def __init__(self, *args, **kwargs):
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class AgreementIn(StrictSchema):
    title = Str(required=True, min_len=1, max_len=200)
    body = Str(required=True, min_len=1, max_len=50_000)


class AgreementOut(StrictSchema):
    id = fields.Integer()
    version = fields.Integer()
    title = fields.String()
    body = fields.String()
    created_at = Instant()


class TermWarningOut(StrictSchema):
    code = fields.String(
        metadata={
            "description": "no_agreement (sign-up cannot work until an agreement is published) "
            "or holiday_data_missing (a year of the term has no official holiday data)"
        }
    )
    message = fields.String()
    years = fields.List(fields.Integer(), metadata={"description": "holiday_data_missing only"})


class TermOut(StrictSchema):
    id = fields.Integer()
    school_id = fields.Integer()
    name = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    signup_opens_at = Instant()
    signup_closes_at = Instant()
    selection_mode = fields.String()
    selection_opens_at = Instant()
    selection_closes_at = Instant()
    publicity_days = fields.Integer()
    review_levels = fields.List(fields.String())
    review_overdue_days = fields.Integer()
    max_courses_per_student = fields.Integer()
    billing_mode = fields.String()
    base_fee_fen = fields.Integer()
    service_end_time = fields.Time(format="%H:%M")
    pickup_cutoff_time = fields.Time(format="%H:%M")
    pickup_grace_minutes = fields.Integer()
    agreement = fields.Nested(AgreementOut, allow_none=True)
    signup_state = fields.String(
        metadata={
            "description": "upcoming, open, closed, or not_ready: the window is open but the "
            "school has published no agreement yet, so families cannot sign up (the term is "
            "not offered as open)"
        }
    )
    signup_state_reason = fields.String(
        allow_none=True, metadata={"description": "Why sign-up is not open, for display"}
    )
    warnings = fields.List(
        fields.Nested(TermWarningOut),
        metadata={"description": "Admin API only: what the office should fix or check"},
    )
    signup_blocked_reason = fields.String(
        allow_none=True,
        metadata={
            "description": "office view: plan_not_approved while the district has not yet "
            "approved the term's service plan (sign-up answers 409 until then)"
        },
    )


class CalendarDayIn(StrictSchema):
    is_service_day = fields.Boolean(required=True)
    service_end_time = fields.Time(format="%H:%M", allow_none=True)
    note = Str(max_len=200, allow_none=True)


class CalendarDayOut(StrictSchema):
    date = fields.Date()
    is_service_day = fields.Boolean()
    service_end_time = fields.Time(format="%H:%M")
    source = fields.String(
        metadata={
            "description": "official (State Council calendar), weekdays_only "
            "(year not yet published: weekdays only), or override (office decision)"
        }
    )
    note = fields.String(allow_none=True)
    warning = fields.String(
        allow_none=True,
        metadata={
            "description": "Set on weekdays_only dates: the year has no official holiday "
            "data yet, so public holidays and make-up days are not known; check and override"
        },
    )


class CalendarQuery(StrictSchema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
