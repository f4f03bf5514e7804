"""Request and response schemas of the district API."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from backend.common.schemas import MAX_ID, Id, Instant, Str, StrictSchema
from backend.districts.models import FILING_KINDS, FILING_STATES

CODE = validate.Regexp(r"^[A-Za-z0-9_\-]{1,32}$", error="区县代码为1-32位字母、数字、_ 或 -")


class DistrictIn(StrictSchema):
    name = Str(min_len=1, max_len=100, required=True)
    code = fields.String(required=True, validate=CODE)
    requires_plan_approval = fields.Boolean(
        load_default=False,
        metadata={"description": "sign-up opens only after the term's service plan is approved"},
    )


class DistrictPatch(StrictSchema):
    name = Str(min_len=1, max_len=100)
    requires_plan_approval = fields.Boolean()


class DistrictOut(ma.Schema):
    id = Id()
    name = fields.String()
    code = fields.String()
    requires_plan_approval = fields.Boolean()
    created_at = Instant()


class DistrictSchoolOut(ma.Schema):
    id = Id()
    name = fields.String()
    code = fields.String()
    district_id = fields.Integer()


class DistrictComplaintQuery(StrictSchema):
    status = fields.String(
        validate=validate.OneOf(("escalated", "submitted", "accepted")),
        metadata={"description": "escalated, or the overdue ones still submitted/accepted"},
    )


class DistrictOverviewQuery(StrictSchema):
    on = fields.Date(
        metadata={"description": "YYYY-MM-DD; the terms running that day (default today)"}
    )


class OverviewRow(ma.Schema):
    school_id = fields.Integer()
    name = fields.String()
    term_id = fields.Integer(allow_none=True)
    term_name = fields.String(allow_none=True)
    roster_pupils = fields.Integer()
    enrolled = fields.Integer()
    participation_rate = fields.Float(
        allow_none=True, metadata={"description": "enrolled / roster"}
    )
    enrichment_share = fields.Float(
        allow_none=True, metadata={"description": "share of weekly course minutes (R7: >= 0.5)"}
    )
    active_providers = fields.Integer()
    monthly_fee_fen = fields.Integer(allow_none=True)
    fee_cap_fen = fields.Integer()
    exemptions = fields.Integer()
    income_fen = fields.Integer(metadata={"description": "payments minus refunds of the term"})
    expenses_fen = fields.Integer()
    late_pickups = fields.Integer(
        metadata={"description": "pupils not collected in time, term to date"}
    )
    complaints_open = fields.Integer(metadata={"description": "not answered yet (R16)"})
    complaints_overdue = fields.Integer(metadata={"description": "past their due time"})
    satisfaction_average = fields.Float(
        allow_none=True,
        metadata={
            "description": "the service's average score (1-5) in closed surveys, "
            "from 5 responses on (R15)"
        },
    )


class OverviewTotals(ma.Schema):
    on = fields.Date()
    schools = fields.Integer()
    schools_with_term = fields.Integer()
    roster_pupils = fields.Integer()
    enrolled = fields.Integer()
    participation_rate = fields.Float(allow_none=True)
    active_providers = fields.Integer()
    exemptions = fields.Integer()
    income_fen = fields.Integer()
    expenses_fen = fields.Integer()
    late_pickups = fields.Integer()
    complaints_open = fields.Integer()
    complaints_overdue = fields.Integer()
    schools_over_fee_cap = fields.Integer()
    schools_below_enrichment_half = fields.Integer()
    schools_below_three_providers = fields.Integer()


class FilingIn(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(FILING_KINDS))
    title = Str(min_len=1, max_len=200, required=True)
    body = Str(min_len=1, max_len=50_000, required=True)
    term_id = Id(metadata={"description": "required for a service_plan"})


class FilingResubmitIn(StrictSchema):
    title = Str(min_len=1, max_len=200)
    body = Str(min_len=1, max_len=50_000)
    note = Str(max_len=1000)


def _query_id() -> fields.Integer:
    # Text in a query string, so not strict; still a positive 32-bit id.
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class FilingQuery(StrictSchema):
    status = fields.String(validate=validate.OneOf(FILING_STATES))
    kind = fields.String(validate=validate.OneOf(FILING_KINDS))
    term_id = _query_id()
    school_id = _query_id()


class FilingDecisionIn(StrictSchema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "return")))
    comment = Str(max_len=1000, metadata={"description": "required to return"})


class FilingEventOut(ma.Schema):
    at = Instant()
    action = fields.String()
    status = fields.String()
    version = fields.Integer()
    comment = fields.String(allow_none=True)
    by = fields.String(metadata={"description": "school | district"})


class FilingOut(ma.Schema):
    id = Id()
    school_id = fields.Integer()
    district_id = fields.Integer()
    term_id = fields.Integer(allow_none=True)
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    status = fields.String()
    version = fields.Integer()
    attachment_name = fields.String(allow_none=True)
    submitted_at = Instant()
    decided_at = Instant(allow_none=True)
    comment = fields.String(allow_none=True)
    history = fields.List(fields.Nested(FilingEventOut))


class FilingAttachmentIn(StrictSchema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class AnnualReportQuery(StrictSchema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))


class AnnualReportDraftOut(ma.Schema):
    kind = fields.String()
    title = fields.String()
    body = fields.String()


class DistrictBlacklistIn(StrictSchema):
    licence_no = Str(min_len=1, max_len=64, required=True)
    name = Str(min_len=1, max_len=100, required=True)
    reason = Str(min_len=1, max_len=500, required=True)
    until = fields.Date(metadata={"description": "default: six years from today"})


class DistrictFlaggedOut(ma.Schema):
    school_id = fields.Integer()
    provider_id = fields.Integer()
    name = fields.String()


class DistrictBlacklistOut(ma.Schema):
    id = Id()
    district_id = fields.Integer()
    licence_no = fields.String()
    name = fields.String()
    reason = fields.String()
    until = fields.Date()
    active = fields.Boolean()
    lifted_at = Instant(allow_none=True)
    created_at = Instant()
    flagged = fields.List(
        fields.Nested(DistrictFlaggedOut),
        metadata={"description": "schools where a provider with this licence was active"},
    )
