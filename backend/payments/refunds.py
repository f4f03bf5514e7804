"""Sending a fee Refund back through WeChat Pay, once, with out_refund_no from its id."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor
from backend.auth.scope import admin_school
from backend.common.clock import now
from backend.database import unit_of_work
from backend.errors import NotFound
from backend.fees import ledger
from backend.fees.errors import RefundNotPending
from backend.fees.models import Refund
from backend.payments.apply import apply_refund_status
from backend.payments.client import PayRefused
from backend.payments.errors import PaymentsUnavailable, RefundNotWeChat, RefundRefused
from backend.payments.gateway import get_gateway
from backend.payments.models import WeChatPayOrder, WeChatRefund
from backend.payments.states import OPEN_REFUND_STATES, refund_next

log = logging.getLogger("kehou.payments")


def out_refund_no(refund_id: int) -> str:
    """Stable for a refund: every retry sends the same number, so WeChat refunds once."""
    return f"KHR{refund_id:010d}"


def view(wr: WeChatRefund, refund: Refund) -> dict:
    return {
        "refund_id": refund.id,
        "statement_id": refund.statement_id,
        "amount_fen": wr.amount_fen,
        "out_refund_no": wr.out_refund_no,
        "wechat_status": wr.wechat_status,
        "status": wr.status,
        "refund_status": refund.status,
        "sent_at": wr.sent_at,
        "completed_at": wr.completed_at,
        "last_error": wr.last_error,
    }


def _order_for(session, refund: Refund) -> WeChatPayOrder | None:
    """The statement's paid WeChat order with room for the whole refund (largest first)."""
    orders = session.scalars(
        sa.select(WeChatPayOrder)
        .where(WeChatPayOrder.statement_id == refund.statement_id, WeChatPayOrder.status == "paid")
        .order_by(WeChatPayOrder.amount_fen.desc(), WeChatPayOrder.id)
    ).all()
    for order in orders:
        taken = session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(WeChatRefund.amount_fen), 0)).where(
                WeChatRefund.order_id == order.id, WeChatRefund.status != "failed"
            )
        )
        if order.amount_fen - taken >= refund.amount_fen:
            return order
    return None


def _new_wechat_refund(session, refund: Refund, actor_id: int) -> WeChatRefund:
    """The refund's WeChat record, against a paid order with room for it (409
    refund_not_wechat when none has), its number fixed from now on."""
    order = _order_for(session, refund)
    if order is None:
        raise RefundNotWeChat()
    wr = WeChatRefund(
        refund_id=refund.id,
        order_id=order.id,
        school_id=refund.school_id,
        statement_id=refund.statement_id,
        out_refund_no=out_refund_no(refund.id),
        amount_fen=refund.amount_fen,
        status="pending",
        requested_by=actor_id,
    )
    session.add(wr)
    ledger.send_refund_by_wechat(refund, wr.out_refund_no)
    session.flush()
    record(
        session,
        action="refund.wechat_requested",
        object_type="refund",
        object_id=refund.id,
        school_id=refund.school_id,
        after={"out_refund_no": wr.out_refund_no, "amount_fen": wr.amount_fen},
    )
    return wr


def push_refund(school_id: int, refund_id: int) -> dict:
    """Send a requested refund of the school back to the payer's WeChat. Safe to repeat:
    the same refund keeps its out_refund_no, WeChat refunds it once; a finished one is
    409 refund_not_pending. WeChat unreachable: 503, and the next try (or the sweep)
    sends it again with the same number."""
    actor = current_actor()
    with unit_of_work() as session:
        admin_school(session, actor, school_id)
        refund = session.scalar(
            sa.select(Refund).where(Refund.id == refund_id, Refund.school_id == school_id)
        )
        if refund is None:
            raise NotFound()
        ledger.lock(session, refund.statement_id)
        session.refresh(refund)
        wr = session.scalar(sa.select(WeChatRefund).where(WeChatRefund.refund_id == refund.id))
        if refund.status != "requested" or (wr and wr.status not in OPEN_REFUND_STATES):
            raise RefundNotPending()
        if wr is None:
            wr = _new_wechat_refund(session, refund, actor.id)
        wr_id = wr.id
    # Committed before the call: a crash after WeChat accepted it still leaves the row
    # (with its number) for the retry, never a second refund.
    outcome = send(wr_id)
    if outcome == "unreachable":
        raise PaymentsUnavailable(headers={"Retry-After": "5"})
    with unit_of_work() as session:
        wr = session.get(WeChatRefund, wr_id, populate_existing=True)
        if outcome == "refused":
            raise RefundRefused(errors={"wechat": [wr.last_error]})
        return view(wr, session.get(Refund, wr.refund_id, populate_existing=True))


def _locked(session, wr_id: int):
    """(refund sent to WeChat, its statement) with the statement's row lock taken first,
    the lock order every writer of a refund follows."""
    wr = session.get(WeChatRefund, wr_id)
    st = ledger.lock(session, wr.statement_id)
    session.refresh(wr)
    return wr, st


def send(wr_id: int) -> str:
    """(Re)send one open refund to WeChat and book its answer."""
    gateway = get_gateway()
    with unit_of_work() as session:
        wr, st = _locked(session, wr_id)
        if wr.status not in OPEN_REFUND_STATES:
            return wr.status
        order = session.get(WeChatPayOrder, wr.order_id)
        refund = session.get(Refund, wr.refund_id)
        wr.sent_at = now()
        try:
            answer = gateway.refund(
                out_refund_no=wr.out_refund_no,
                transaction_id=order.transaction_id,
                refund_fen=wr.amount_fen,
                total_fen=order.amount_fen,
                reason=refund.reason,
            )
        except PaymentsUnavailable:
            wr.last_error = "WeChat Pay unreachable"
            return "unreachable"
        except PayRefused as exc:
            log.error("wechat refused refund %s: %s", wr.out_refund_no, exc)
            wr.last_error = f"{exc.code}: {exc.message}"[:200]
            return "refused"
        return apply_refund_status(session, wr, st, answer)


def refresh(wr_id: int) -> str:
    """Ask WeChat how an accepted refund ended (the notification may be lost)."""
    gateway = get_gateway()
    with unit_of_work() as session:
        wr, st = _locked(session, wr_id)
        if wr.status != "processing":
            return wr.status
        answer = gateway.query_refund(wr.out_refund_no)
        if answer is None:
            # WeChat never got it: send again, with the same number.
            wr.status = refund_next(wr.status, "resend")
            return wr.status
        return apply_refund_status(session, wr, st, answer)
