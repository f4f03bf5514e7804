"""The money on a statement: the one place that credits payments, debits refunds and
re-derives a statement's paying state (office, WeChat Pay and settlement all call it).

Every function runs inside the caller's transaction; the caller holds the statement's
row lock (`lock`), so concurrent writers of one statement take turns.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from backend.common.clock import SCHOOL_TZ, now, today
from backend.fees import money
from backend.fees.errors import RefundExceedsPaid
from backend.fees.models import Payment, Refund, Statement
from backend.fees.states import OPEN_STATES, paying_state, payment_next, refund_next, statement_next

log = logging.getLogger("kehou.fees")


def lock(session, statement_id: int) -> Statement | None:
    """The statement, row-locked and re-read (None when there is no such statement)."""
    return session.scalar(
        sa.select(Statement)
        .where(Statement.id == statement_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def refresh_state(st: Statement) -> None:
    """Re-derive the paying state of an open statement after its money changed."""
    if st.status in OPEN_STATES:
        covered = money.covered(st.paid_fen, st.refunded_fen, st.carried_out_fen)
        st.status = paying_state(st.total_fen, covered)


def _after(st: Statement, action: str) -> None:
    """The statement's state after money moved (open statements only)."""
    covered = money.covered(st.paid_fen, st.refunded_fen, st.carried_out_fen)
    st.status = statement_next(st.status, action, st.total_fen, covered)


def open_payment(session, st: Statement, *, amount_fen: int, **fields) -> Payment:
    """A payment of the statement not yet received (a WeChat order, or the office's
    recording before it is credited)."""
    payment = Payment(
        school_id=st.school_id,
        term_id=st.term_id,
        statement_id=st.id,
        student_id=st.student_id,
        status="created",
        amount_fen=amount_fen,
        **fields,
    )
    session.add(payment)
    session.flush()
    return payment


def credit_payment(
    st: Statement, payment: Payment, *, paid_at: datetime, transaction_id: str | None = None
) -> None:
    """The payment arrived: it is paid, and its amount counts on the statement. Money
    landing on a closed statement is kept (it is real) and the state left alone."""
    payment.status = payment_next(payment.status, "pay")
    payment.paid_at = paid_at
    if payment.paid_on is None:
        payment.paid_on = paid_at.astimezone(SCHOOL_TZ).date()
    if transaction_id is not None:
        payment.transaction_id = transaction_id
    st.paid_fen += payment.amount_fen
    if st.status in OPEN_STATES:
        _after(st, "pay")
    else:
        log.warning("payment %s landed on a %s statement", payment.id, st.status)


def close_payment(session, payment_id: int) -> Payment:
    """A payment that will never arrive (its order closed)."""
    payment = session.get(Payment, payment_id)
    payment.status = payment_next(payment.status, "close")
    return payment


def debit_refund(
    session,
    st: Statement,
    amount_fen: int,
    *,
    kind: str,
    reason: str,
    status: str,
    actor_id=None,
    settlement_id=None,
) -> Refund:
    """A refund of the statement (never more than may be refunded), counted at once; a
    requested one that fails later puts the money back (`finish_refund`)."""
    allowed = money.refundable(st.paid_fen, st.refunded_fen, st.carried_out_fen)
    if amount_fen > allowed:
        raise RefundExceedsPaid(
            left=money.yuan(allowed),
            paid=money.yuan(st.paid_fen),
            refunded=money.yuan(st.refunded_fen),
            errors={"amount_fen": [f"最多可退 {allowed} 分"]},
        )
    done = status == "succeeded"
    refund = Refund(
        school_id=st.school_id,
        term_id=st.term_id,
        statement_id=st.id,
        student_id=st.student_id,
        settlement_id=settlement_id,
        kind=kind,
        method="offline",
        status=status,
        amount_fen=amount_fen,
        reason=reason,
        refunded_on=today() if done else None,
        completed_at=now() if done else None,
        recorded_by=actor_id,
    )
    session.add(refund)
    st.refunded_fen += amount_fen
    if st.status in OPEN_STATES:
        _after(st, "refund")
    return refund


def send_refund_by_wechat(refund: Refund, out_refund_no: str) -> None:
    """The requested refund goes back through WeChat Pay under this number."""
    refund.method, refund.out_refund_no = "wechat", out_refund_no


def finish_refund(st: Statement, refund: Refund, *, succeeded: bool) -> None:
    """A requested refund was paid out, or failed: a failed one puts the money back on
    the statement's balance."""
    refund.status = refund_next(refund.status, "succeed" if succeeded else "fail")
    refund.completed_at = now()
    if succeeded:
        refund.refunded_on = today()
    else:
        st.refunded_fen -= refund.amount_fen
        refresh_state(st)


def add_to_total(st: Statement, amount_fen: int) -> None:
    """A line added to the statement (signed): the total moves, and an issued
    statement's paying state with it."""
    st.total_fen += amount_fen
    if st.status != "draft":
        _after(st, "adjust")


def move_credit(prev: Statement, amount_fen: int) -> None:
    """Over-payment of `prev` carried to a later statement (> 0) or given back (< 0)."""
    prev.carried_out_fen += amount_fen
    refresh_state(prev)
