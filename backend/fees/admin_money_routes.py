"""Admin API: offline payments and refunds, expenses, settlement and disclosures."""

from __future__ import annotations

from flask import send_file
from flask.views import MethodView

from backend.common.idempotency import idempotent
from backend.common.pagination import Blueprint, Page
from backend.fees import disclosures, offline_payments, settlement
from backend.fees.schemas import (
    DisclosureIn,
    DisclosureOut,
    DisclosureQuery,
    ExpenseIn,
    ExpenseOut,
    FeeRefundIn,
    OfflinePaymentIn,
    PaymentRecordedOut,
    RefundCompleteIn,
    RefundRecordedOut,
    SettlementOut,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

blp = Blueprint(
    "fees_money_admin",
    __name__,
    url_prefix="/admin/api/v1/schools",
    description="Fees: payments, refunds, settlement, disclosures",
)


@blp.route("/<int:school_id>/statements/<int:statement_id>/payments")
class Payments(MethodView):
    @idempotent
    @blp.arguments(OfflinePaymentIn)
    @blp.response(201, PaymentRecordedOut)
    @blp.alt_response(200, schema=PaymentRecordedOut, description="Same reference: replay")
    def post(self, data, school_id, statement_id):
        """Record an offline payment. The same reference on the same statement is the same
        payment (200, nothing added; another amount -> 409 payment_reference_reused). Paying
        more than the balance leaves a credit carried to the next statement."""
        return offline_payments.record_payment(school_id, statement_id, data)


@blp.route("/<int:school_id>/statements/<int:statement_id>/refunds")
class Refunds(MethodView):
    @idempotent
    @blp.arguments(FeeRefundIn)
    @blp.response(201, RefundRecordedOut)
    def post(self, data, school_id, statement_id):
        """Record money given back, with its reason; 409 refund_exceeds_paid above what was
        paid minus what was already refunded."""
        return offline_payments.record_refund(school_id, statement_id, data)


@blp.route("/<int:school_id>/refunds/<int:refund_id>/complete")
class RefundComplete(MethodView):
    @blp.arguments(RefundCompleteIn)
    @blp.response(200, RefundRecordedOut)
    def post(self, data, school_id, refund_id):
        """Confirm a requested refund (from settlement) was paid out, or that it failed."""
        return offline_payments.complete_refund(school_id, refund_id, data["outcome"])


@blp.route("/<int:school_id>/terms/<int:term_id>/expenses")
class Expenses(MethodView):
    @blp.response(200, ExpenseOut(many=True))
    @blp.paginate(Page)
    def get(self, school_id, term_id):
        """The term's recorded expenses."""
        return settlement.expenses(school_id, term_id)

    @idempotent
    @blp.arguments(ExpenseIn)
    @blp.response(201, ExpenseOut)
    def post(self, data, school_id, term_id):
        """Record an expense (staff, materials, provider, utilities, other)."""
        return settlement.add_expense(school_id, term_id, data)


@blp.route("/<int:school_id>/terms/<int:term_id>/settlement")
class TermSettlement(MethodView):
    @blp.response(200, SettlementOut)
    def get(self, school_id, term_id):
        """The term's settlement (404 before it is done)."""
        return settlement.get_settlement(school_id, term_id)

    @idempotent
    @blp.response(201, SettlementOut)
    def post(self, school_id, term_id):
        """Settle the term once (409 already_settled): surplus = income - expenses is
        refunded to payers by what each paid (largest remainder); a deficit is reported.
        Every statement must be paid first (409 statements_open)."""
        return settlement.settle(school_id, term_id)


@blp.route("/<int:school_id>/terms/<int:term_id>/disclosures")
class Disclosures(MethodView):
    @blp.response(200, DisclosureOut(many=True))
    @blp.paginate(Page)
    def get(self, school_id, term_id):
        """Published disclosures of the term, every version."""
        return disclosures.term_disclosures(school_id, term_id)

    @idempotent
    @blp.arguments(DisclosureIn)
    @blp.response(201, DisclosureOut)
    def post(self, data, school_id, term_id):
        """Publish the figures of a month or of the term to the school's guardians."""
        return disclosures.publish(school_id, term_id, data["period"])


@blp.route("/<int:school_id>/disclosures")
class SchoolDisclosures(MethodView):
    @blp.arguments(DisclosureQuery, location="query")
    @blp.response(200, DisclosureOut(many=True))
    @blp.paginate(Page)
    def get(self, query, school_id):
        """Published disclosures of the school."""
        return disclosures.office_disclosures(school_id, query.get("term_id"))


@blp.route("/<int:school_id>/disclosures/<int:disclosure_id>/export")
class DisclosureExport(MethodView):
    @blp.response(200, content_type=XLSX, description="An .xlsx to print and post.")
    def get(self, school_id, disclosure_id):
        """The disclosure as an .xlsx the school can post."""
        data, filename = disclosures.export(school_id, disclosure_id)
        return send_file(data, as_attachment=True, download_name=filename, mimetype=XLSX)
