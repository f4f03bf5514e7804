"""Admin API: fee cap, exemptions, statements (generate, issue, list, export, adjust)."""

from __future__ import annotations

from flask import send_file
from flask.views import MethodView

from backend.common.idempotency import idempotent
from backend.common.pagination import Blueprint
from backend.fees import exemptions, issuing, plans, statement_reads
from backend.fees.schemas import (
    AdjustmentIn,
    BillingPeriodIn,
    ExemptionDecisionIn,
    ExemptionOut,
    ExemptionQuery,
    FeeCapIn,
    FeeCapOut,
    GenerateOut,
    IssuePeriodOut,
    ReissueIn,
    ReissueOut,
    StatementDetailOut,
    StatementOut,
    StatementQuery,
    StatementRowOut,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

blp = Blueprint(
    "fees_admin", __name__, url_prefix="/admin/api/v1/schools", description="Fees (收费)"
)


@blp.route("/<int:school_id>/fee-cap")
class FeeCap(MethodView):
    @blp.arguments(FeeCapIn)
    @blp.response(200, FeeCapOut)
    def put(self, data, school_id):
        """Set the regional monthly fee cap (platform admin only: a school admin gets 403).
        Existing terms keep their fee; those now above the cap are listed."""
        return plans.set_fee_cap(school_id, data)


@blp.route("/<int:school_id>/exemptions")
class Exemptions(MethodView):
    @blp.arguments(ExemptionQuery, location="query")
    @blp.response(200, ExemptionOut(many=True))
    @blp.paginate()
    def get(self, query, school_id, pagination_parameters):
        """Exemption requests; a category chosen on a sign-up application shows here as a
        pending request too (source = application)."""
        p = pagination_parameters
        rows, p.item_count = exemptions.office_exemptions(school_id, query, p.page, p.page_size)
        return rows


@blp.route("/<int:school_id>/exemptions/<int:exemption_id>/decision")
class ExemptionDecision(MethodView):
    @blp.arguments(ExemptionDecisionIn)
    @blp.response(200, ExemptionOut)
    def post(self, data, school_id, exemption_id):
        """Approve (percent, default 100) or reject (comment required). An approval is
        applied at once: drafts are recomputed, issued statements get an adjustment line."""
        return exemptions.decide(school_id, exemption_id, data)


@blp.route("/<int:school_id>/terms/<int:term_id>/statements/generate")
class Generate(MethodView):
    @idempotent
    @blp.arguments(BillingPeriodIn)
    @blp.response(200, GenerateOut)
    def post(self, data, school_id, term_id):
        """One statement per enrolled pupil for the period. Safe to run again: drafts are
        recomputed, issued statements only ever get adjustment lines, nothing duplicates."""
        return issuing.generate(school_id, term_id, data["period"])


@blp.route("/<int:school_id>/terms/<int:term_id>/statements/issue")
class IssuePeriod(MethodView):
    @blp.arguments(BillingPeriodIn)
    @blp.response(200, IssuePeriodOut)
    def post(self, data, school_id, term_id):
        """Issue every draft of the period; each pupil's guardians are notified."""
        return issuing.issue_period(school_id, term_id, data["period"])


@blp.route("/<int:school_id>/statements")
class Statements(MethodView):
    @blp.arguments(StatementQuery, location="query")
    @blp.response(200, StatementRowOut(many=True))
    @blp.paginate()
    def get(self, query, school_id, pagination_parameters):
        """The school's statements, filtered by term, period, status, class or pupil."""
        rows, total = statement_reads.office_statements(
            school_id, query, pagination_parameters.page, pagination_parameters.page_size
        )
        pagination_parameters.item_count = total
        return rows


@blp.route("/<int:school_id>/statements/export")
class StatementExport(MethodView):
    @blp.arguments(StatementQuery, location="query")
    @blp.response(200, content_type=XLSX, description="An .xlsx of the matching statements.")
    def get(self, query, school_id):
        """Export the matching statements as .xlsx."""
        data, filename = statement_reads.export_statements(school_id, query)
        return send_file(data, as_attachment=True, download_name=filename, mimetype=XLSX)


@blp.route("/<int:school_id>/statements/<int:statement_id>")
class StatementItem(MethodView):
    @blp.response(200, StatementDetailOut)
    def get(self, school_id, statement_id):
        """One statement with its lines, payments and refunds."""
        return statement_reads.office_statement_detail(school_id, statement_id)


@blp.route("/<int:school_id>/statements/<int:statement_id>/issue")
class Issue(MethodView):
    @blp.response(200, StatementOut)
    def post(self, school_id, statement_id):
        """Issue one draft (409 statement_not_draft otherwise); guardians are notified."""
        return issuing.issue(school_id, statement_id)


@blp.route("/<int:school_id>/statements/<int:statement_id>/reissue")
class Reissue(MethodView):
    @blp.arguments(ReissueIn)
    @blp.response(200, ReissueOut)
    def post(self, data, school_id, statement_id):
        """Void an issued, unpaid statement and issue a freshly computed one in its place
        (with payments on it, use an adjustment instead)."""
        return issuing.reissue(school_id, statement_id, data["reason"])


@blp.route("/<int:school_id>/statements/<int:statement_id>/adjustments")
class Adjustments(MethodView):
    @idempotent
    @blp.arguments(AdjustmentIn)
    @blp.response(201, StatementOut)
    def post(self, data, school_id, statement_id):
        """Add a signed adjustment line with its reason (shown to the family).

        A reduction may bring the total down to zero, not below: 422
        `statement_total_negative` names the current total, the adjustment and the result."""
        return issuing.adjust(school_id, statement_id, data)
