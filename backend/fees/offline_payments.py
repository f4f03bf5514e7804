"""Offline payments and refunds recorded by the office, each against one statement."""

from __future__ import annotations

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor
from backend.common.clock import now, today
from backend.database import unit_of_work
from backend.errors import NotFound, ValidationFailed
from backend.fees import ledger, money
from backend.fees.access import audit_statement, ensure_not_settled, office_statement
from backend.fees.errors import (
    PaymentReferenceReused,
    RefundNotPending,
    StatementNotPayable,
)
from backend.fees.models import Payment, Refund, Statement
from backend.fees.states import OPEN_STATES, refund_next


def payment_view(p: Payment) -> dict:
    return {
        "id": p.id,
        "statement_id": p.statement_id,
        "amount_fen": p.amount_fen,
        "paid_on": p.paid_on,
        "reference": p.reference,
        "method": p.method,
        "channel": p.channel,
        "status": p.status,
        "created_at": p.created_at,
    }


def refund_view(r: Refund) -> dict:
    return {
        "id": r.id,
        "statement_id": r.statement_id,
        "amount_fen": r.amount_fen,
        "reason": r.reason,
        "kind": r.kind,
        "method": r.method,
        "status": r.status,
        "refunded_on": r.refunded_on,
        "created_at": r.created_at,
    }


def _with_statement(session, st: Statement, out: dict) -> dict:
    out["statement"] = {
        "id": st.id,
        "status": st.status,
        "total_fen": st.total_fen,
        "paid_fen": st.paid_fen,
        "refunded_fen": st.refunded_fen,
        "balance_fen": money.balance(
            st.total_fen, st.paid_fen, st.refunded_fen, st.carried_out_fen
        ),
    }
    return out


def _ensure_same(existing: Payment, data: dict) -> None:
    """A reference recorded again must be the same payment (409 otherwise)."""
    recorded = (existing.amount_fen, existing.paid_on, existing.channel)
    if recorded != (data["amount_fen"], data["paid_on"], data["method"]):
        raise PaymentReferenceReused()


def record_payment(school_id: int, statement_id: int, data: dict) -> tuple[dict, int]:
    """Record money received at the office. The same reference again is the same payment
    (200, nothing added); an amount above the balance stays as a credit for next time."""
    actor = current_actor()
    with unit_of_work() as session:
        # The row lock makes concurrent recordings of one statement take turns.
        st = office_statement(session, school_id, statement_id, lock=True)
        ensure_not_settled(session, st.term_id)
        existing = session.scalar(
            sa.select(Payment).where(
                Payment.statement_id == st.id, Payment.reference == data["reference"]
            )
        )
        if existing is not None:
            _ensure_same(existing, data)
            return _with_statement(session, st, payment_view(existing)), 200
        if st.status not in OPEN_STATES:
            raise StatementNotPayable()
        if data["paid_on"] > today():
            raise ValidationFailed(errors={"paid_on": ["收款日期不能晚于今天"]})
        before = {"status": st.status, "paid_fen": st.paid_fen}
        payment = ledger.open_payment(
            session,
            st,
            amount_fen=data["amount_fen"],
            method="offline",
            channel=data["method"],
            paid_on=data["paid_on"],
            reference=data["reference"],
            recorded_by=actor.id,
        )
        ledger.credit_payment(st, payment, paid_at=now())
        session.flush()
        audit_statement(
            session,
            st,
            "payment.record",
            before,
            paid_fen=st.paid_fen,
            payment_id=payment.id,
            amount_fen=payment.amount_fen,
            reference=payment.reference,
            channel=payment.channel,
        )
        return _with_statement(session, st, payment_view(payment)), 201


def record_refund(school_id: int, statement_id: int, data: dict) -> dict:
    """Money the office has given back (R10), with its reason; never more than was paid."""
    actor = current_actor()
    with unit_of_work() as session:
        st = office_statement(session, school_id, statement_id, lock=True)
        ensure_not_settled(session, st.term_id)
        if st.status not in OPEN_STATES:
            raise StatementNotPayable()
        before = {"status": st.status, "refunded_fen": st.refunded_fen}
        refund = ledger.debit_refund(
            session,
            st,
            data["amount_fen"],
            kind="manual",
            reason=data["reason"],
            status=refund_next("requested", "succeed"),
            actor_id=actor.id,
        )
        session.flush()
        audit_statement(
            session,
            st,
            "refund.record",
            before,
            refunded_fen=st.refunded_fen,
            refund_id=refund.id,
            amount_fen=refund.amount_fen,
            reason=refund.reason,
        )
        return _with_statement(session, st, refund_view(refund))


def complete_refund(school_id: int, refund_id: int, outcome: str) -> dict:
    """The office confirms a requested (settlement) refund was paid out, or that it failed;
    a failed refund puts the money back on the statement's balance as a credit."""
    with unit_of_work() as session:
        refund = session.scalar(
            sa.select(Refund).where(Refund.id == refund_id, Refund.school_id == school_id)
        )
        if refund is None:
            raise NotFound()
        st = office_statement(session, school_id, refund.statement_id, lock=True)
        session.refresh(refund, with_for_update=True)
        if refund.status != "requested":
            raise RefundNotPending()
        ledger.finish_refund(st, refund, succeeded=outcome == "succeeded")
        session.flush()
        record(
            session,
            action=f"refund.{refund.status}",
            object_type="refund",
            object_id=refund.id,
            school_id=school_id,
            before={"status": "requested"},
            after={"status": refund.status, "statement_id": st.id, "amount_fen": refund.amount_fen},
        )
        return _with_statement(session, st, refund_view(refund))
