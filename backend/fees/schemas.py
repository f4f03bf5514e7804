"""Fee request and response schemas (money in integer fen, strict fields)."""

from __future__ import annotations

from marshmallow import fields, validate

from backend.common.schemas import MAX_ID, Fen, Id, Instant, Int, Str, StrictSchema
from backend.fees.models import EXEMPTION_CATEGORIES, EXPENSE_CATEGORIES, LINE_KINDS
from backend.fees.states import STATEMENT_STATES

PERIOD_HELP = '"YYYY-MM" (a month of the term) for monthly billing, "term" for term billing'


def QueryId(**kwargs) -> fields.Integer:
    """An id in a query string (text by nature, so not strict; still a positive integer)."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def Period(**kwargs) -> fields.String:
    return fields.String(
        validate=validate.Length(min=4, max=7), metadata={"description": PERIOD_HELP}, **kwargs
    )


class FeeCapIn(StrictSchema):
    monthly_fee_cap_fen = Fen(required=True)


class FeeCapOut(StrictSchema):
    school_id = fields.Integer()
    monthly_fee_cap_fen = fields.Integer()
    terms_above_cap = fields.List(
        fields.Integer(),
        metadata={"description": "Terms whose monthly fee is now above the cap (kept as is)"},
    )


class ExemptionIn(StrictSchema):
    term_id = Id(required=True)
    category = fields.String(required=True, validate=validate.OneOf(EXEMPTION_CATEGORIES))
    evidence_note = Str(required=True, min_len=1, max_len=500)


class ExemptionDecisionIn(StrictSchema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    percent = Int(validate=validate.Range(min=1, max=100), metadata={"description": "default 100"})
    comment = Str(max_len=500, allow_none=True)


class ExemptionOut(StrictSchema):
    id = fields.Integer()
    term_id = fields.Integer()
    student_id = fields.Integer()
    category = fields.String()
    category_name = fields.String()
    evidence_note = fields.String()
    status = fields.String(metadata={"description": "pending | approved | rejected"})
    percent = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)
    source = fields.String(metadata={"description": "guardian | application (sign-up form)"})
    created_at = Instant()
    decided_at = Instant(allow_none=True)


class ExemptionQuery(StrictSchema):
    term_id = QueryId()
    status = fields.String(validate=validate.OneOf(["pending", "approved", "rejected"]))
    student_id = QueryId()


class BillingPeriodIn(StrictSchema):
    period = Period(required=True)


class GenerateOut(StrictSchema):
    period = fields.String()
    service_days = fields.Integer()
    created = fields.Integer()
    recomputed = fields.Integer(metadata={"description": "drafts brought up to date"})
    adjusted = fields.Integer(metadata={"description": "issued statements given adjustments"})
    removed = fields.Integer(metadata={"description": "drafts of pupils no longer billable"})
    unchanged = fields.Integer()
    statements = fields.Integer(metadata={"description": "live statements of the period"})


class IssuePeriodOut(StrictSchema):
    period = fields.String()
    issued = fields.Integer()


class StatementLineOut(StrictSchema):
    kind = fields.String(metadata={"description": " | ".join(LINE_KINDS)})
    description = fields.String()
    amount_fen = fields.Integer(metadata={"description": "signed; waivers and refunds < 0"})


class StatementOut(StrictSchema):
    id = fields.Integer()
    term_id = fields.Integer()
    student_id = fields.Integer()
    period = fields.String()
    status = fields.String(metadata={"description": " | ".join(STATEMENT_STATES)})
    service_days = fields.Integer()
    lines = fields.List(fields.Nested(StatementLineOut))
    total_fen = fields.Integer(metadata={"description": "the sum of the lines"})
    paid_fen = fields.Integer()
    refunded_fen = fields.Integer()
    carried_out_fen = fields.Integer(
        metadata={"description": "over-payment moved to a later statement as a credit line"}
    )
    balance_fen = fields.Integer(
        metadata={"description": "total - paid + refunded + carried_out; < 0 is a credit"}
    )
    issued_at = Instant(allow_none=True)
    replaces_id = fields.Integer(allow_none=True)


class FeePaymentOut(StrictSchema):
    id = fields.Integer()
    statement_id = fields.Integer()
    amount_fen = fields.Integer()
    paid_on = fields.Date(allow_none=True)
    reference = fields.String()
    method = fields.String(metadata={"description": "offline | wechat"})
    channel = fields.String(metadata={"description": "cash | bank_transfer | other | jsapi"})
    status = fields.String(metadata={"description": "created | paid | closed"})
    created_at = Instant()


class FeeRefundOut(StrictSchema):
    id = fields.Integer()
    statement_id = fields.Integer()
    amount_fen = fields.Integer()
    reason = fields.String()
    kind = fields.String(metadata={"description": "manual | credit | surplus"})
    method = fields.String()
    status = fields.String(metadata={"description": "requested | succeeded | failed"})
    refunded_on = fields.Date(allow_none=True)
    created_at = Instant()


class StatementDetailOut(StatementOut):
    payments = fields.List(fields.Nested(FeePaymentOut))
    refunds = fields.List(fields.Nested(FeeRefundOut))


class StatementRowOut(StrictSchema):
    id = fields.Integer()
    term_id = fields.Integer()
    student_id = fields.Integer()
    student_name = fields.String()
    student_no = fields.String()
    class_id = fields.Integer()
    class_name = fields.String()
    period = fields.String()
    status = fields.String()
    total_fen = fields.Integer()
    paid_fen = fields.Integer()
    refunded_fen = fields.Integer()
    carried_out_fen = fields.Integer()
    balance_fen = fields.Integer()
    issued_at = Instant(allow_none=True)


class StatementQuery(StrictSchema):
    term_id = QueryId()
    period = Str(max_len=7)
    status = fields.String(validate=validate.OneOf(STATEMENT_STATES))
    class_id = QueryId()
    student_id = QueryId()


class FamilyStatementQuery(StrictSchema):
    term_id = QueryId()


class ReissueIn(StrictSchema):
    reason = Str(required=True, min_len=1, max_len=200)


class ReissueOut(StrictSchema):
    voided = fields.Nested(StatementOut)
    statement = fields.Nested(StatementOut, allow_none=True)


class AdjustmentIn(StrictSchema):
    amount_fen = Int(
        required=True,
        validate=[
            validate.Range(min=-(10**8), max=10**8),
            validate.NoneOf([0], error="调整金额不能为0"),
        ],
        metadata={"description": "signed fen: > 0 charges more, < 0 reduces"},
    )
    description = Str(required=True, min_len=1, max_len=200)


class StatementMoneyOut(StrictSchema):
    id = fields.Integer()
    status = fields.String()
    total_fen = fields.Integer()
    paid_fen = fields.Integer()
    refunded_fen = fields.Integer()
    balance_fen = fields.Integer()


class OfflinePaymentIn(StrictSchema):
    amount_fen = Int(required=True, validate=validate.Range(min=1, max=10**8))
    paid_on = fields.Date(required=True)
    reference = Str(required=True, min_len=1, max_len=64)
    method = fields.String(
        required=True,
        validate=validate.OneOf(["cash", "bank_transfer", "other"]),
        metadata={"description": "how the office received it (stored as the channel)"},
    )


class PaymentRecordedOut(FeePaymentOut):
    statement = fields.Nested(StatementMoneyOut)


class FeeRefundIn(StrictSchema):
    amount_fen = Int(required=True, validate=validate.Range(min=1, max=10**8))
    reason = Str(required=True, min_len=1, max_len=300)


class RefundRecordedOut(FeeRefundOut):
    statement = fields.Nested(StatementMoneyOut)


class RefundCompleteIn(StrictSchema):
    outcome = fields.String(required=True, validate=validate.OneOf(["succeeded", "failed"]))


class ExpenseIn(StrictSchema):
    # staff_pay is written only by approving a staff pay sheet (R17), never by hand.
    category = fields.String(
        required=True, validate=validate.OneOf([c for c in EXPENSE_CATEGORIES if c != "staff_pay"])
    )
    amount_fen = Int(required=True, validate=validate.Range(min=1, max=10**9))
    spent_on = fields.Date(required=True)
    note = Str(max_len=300, allow_none=True)


class ExpenseOut(StrictSchema):
    id = fields.Integer()
    term_id = fields.Integer()
    category = fields.String()
    category_name = fields.String()
    amount_fen = fields.Integer()
    spent_on = fields.Date()
    note = fields.String(allow_none=True)
    created_at = Instant()


class SettlementOut(StrictSchema):
    id = fields.Integer()
    term_id = fields.Integer()
    status = fields.String(metadata={"description": "surplus | balanced | deficit"})
    income_fen = fields.Integer(metadata={"description": "payments minus refunds"})
    expenses_fen = fields.Integer()
    surplus_fen = fields.Integer(metadata={"description": "income - expenses; < 0 = deficit"})
    refunded_fen = fields.Integer(metadata={"description": "surplus refunded to payers"})
    credit_refunded_fen = fields.Integer(metadata={"description": "over-payments refunded"})
    payers = fields.Integer()
    created_at = Instant()


class DisclosureIn(StrictSchema):
    period = fields.String(
        required=True,
        validate=validate.Length(min=4, max=7),
        metadata={"description": '"YYYY-MM" (monthly report) or "term" (term-end report)'},
    )


class DisclosureOut(StrictSchema):
    id = fields.Integer()
    term_id = fields.Integer()
    period = fields.String()
    version = fields.Integer()
    published_at = Instant()
    report = fields.Dict(
        metadata={
            "description": "income_fen, refunds_fen, net_income_fen, expenses_fen, "
            "expenses_by_category, staff_pay_fen, exemptions, exempted_fen, statements, "
            "billed_fen, surplus_fen, settlement? — figures only, no personal data"
        }
    )


class DisclosureQuery(StrictSchema):
    term_id = QueryId()
