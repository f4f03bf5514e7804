"""Applying WeChat Pay outcomes to our books exactly once (shared by notify and sweep).

Every writer locks the statement row first, then changes the order or refund with a
conditional UPDATE on its status: concurrent deliveries of one outcome take turns, and
only the first finds the row still open.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from backend.audit.service import record
from backend.common.clock import now
from backend.fees import ledger
from backend.fees.issuing import notify_statements
from backend.fees.models import Payment, Refund, Statement
from backend.payments.client import parse_time
from backend.payments.models import WeChatPayOrder, WeChatRefund
from backend.payments.states import (
    OPEN_REFUND_STATES,
    REFUND_STATUS_ACTION,
    order_next,
    refund_next,
)

log = logging.getLogger("kehou.payments")


def lock_order(session, out_trade_no: str):
    """(order, statement) with the statement row locked, or (None, None)."""
    order = session.scalar(
        sa.select(WeChatPayOrder).where(WeChatPayOrder.out_trade_no == out_trade_no)
    )
    if order is None:
        return None, None
    st = ledger.lock(session, order.statement_id)
    session.refresh(order)
    return order, st


def transaction_problem(config, order: WeChatPayOrder, tx: dict) -> str | None:
    """Which field of WeChat's transaction disagrees with our order (None: all agree)."""
    amount = tx.get("amount") or {}
    total = amount.get("total")
    checks = (
        ("mchid", tx.get("mchid") == config.mchid),
        ("appid", tx.get("appid") == config.appid),
        ("out_trade_no", tx.get("out_trade_no") == order.out_trade_no),
        ("amount", type(total) is int and total == order.amount_fen),
        ("currency", amount.get("currency") == "CNY"),
        ("transaction_id", bool(tx.get("transaction_id"))),
    )
    return next((name for name, ok in checks if not ok), None)


def apply_paid(session, order: WeChatPayOrder, st: Statement, tx: dict, *, via: str) -> str:
    """Book a verified SUCCESS: "applied", "duplicate" (already booked) or "after_close"."""
    paid_at = parse_time(tx.get("success_time")) or now()
    done = session.execute(
        sa.update(WeChatPayOrder)
        .where(WeChatPayOrder.id == order.id, WeChatPayOrder.status == "created")
        .values(
            status=order_next("created", "pay"),
            transaction_id=tx["transaction_id"],
            paid_at=paid_at,
            paid_via=via,
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(order)
    if done.rowcount != 1:
        return _not_open(session, order, tx)
    payment = session.get(Payment, order.payment_id, populate_existing=True)
    before = {"status": st.status, "paid_fen": st.paid_fen}
    ledger.credit_payment(st, payment, paid_at=paid_at, transaction_id=tx["transaction_id"])
    session.flush()
    notify_statements(
        session,
        [st.id],
        kind="payment_received",
        note="微信支付成功",
        amounts={st.id: order.amount_fen},
    )
    record(
        session,
        action="payment.wechat_paid",
        object_type="statement",
        object_id=st.id,
        school_id=st.school_id,
        before=before,
        after={
            "status": st.status,
            "paid_fen": st.paid_fen,
            "payment_id": payment.id,
            "out_trade_no": order.out_trade_no,
            "transaction_id": order.transaction_id,
            "amount_fen": order.amount_fen,
            "via": via,
        },
    )
    return "applied"


def _not_open(session, order: WeChatPayOrder, tx: dict) -> str:
    """A SUCCESS for an order no longer open: already booked ("duplicate"), or closed
    before the money came ("after_close", recorded for the office)."""
    if order.status == "paid":
        if order.transaction_id != tx["transaction_id"]:
            log.error("order %s paid twice at WeChat?", order.out_trade_no)
        return "duplicate"
    # We closed it at WeChat first, so this should not happen; the money is real, so
    # it is recorded for the office and shows up in the reconciliation.
    log.error("order %s paid after it was closed", order.out_trade_no)
    record(
        session,
        action="payment.wechat_paid_after_close",
        object_type="wechat_order",
        object_id=order.id,
        school_id=order.school_id,
        after={"out_trade_no": order.out_trade_no, "transaction_id": tx["transaction_id"]},
    )
    return "after_close"


def close_order(session, order: WeChatPayOrder, reason: str) -> None:
    """Our side of a close; the caller has closed it at WeChat (or WeChat says closed)."""
    order.status = order_next(order.status, "close")
    order.closed_at, order.close_reason = now(), reason
    payment = ledger.close_payment(session, order.payment_id)
    session.flush()
    record(
        session,
        action="payment.wechat_closed",
        object_type="wechat_order",
        object_id=order.id,
        school_id=order.school_id,
        after={"out_trade_no": order.out_trade_no, "reason": reason, "payment_id": payment.id},
    )


def apply_refund_status(session, wr: WeChatRefund, st: Statement, answer: dict) -> str:
    """Book WeChat's word on a refund (from a notification, the send or a query)."""
    action = REFUND_STATUS_ACTION.get(answer.get("refund_status") or answer.get("status"))
    if action is None or wr.status not in OPEN_REFUND_STATES:
        return "duplicate" if action else "ignored"
    target = refund_next(wr.status, action)
    values = dict(
        status=target,
        wechat_refund_id=answer.get("refund_id") or wr.wechat_refund_id,
        wechat_status=answer.get("refund_status") or answer.get("status"),
        last_error=None,
    )
    if target != "processing":
        values["completed_at"] = parse_time(answer.get("success_time")) or now()
    done = session.execute(
        sa.update(WeChatRefund)
        .where(WeChatRefund.id == wr.id, WeChatRefund.status.in_(OPEN_REFUND_STATES))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(wr)
    if done.rowcount != 1:
        return "duplicate"
    if target == "processing":
        return target
    _book_refund_end(session, wr, st, target)
    return target


def _book_refund_end(session, wr: WeChatRefund, st: Statement, target: str) -> None:
    """WeChat finished the refund: the ledger finishes the fee refund, the family is told
    of a success, and the audit row says how it ended."""
    refund = session.get(Refund, wr.refund_id, populate_existing=True)
    if refund.status != "requested":
        # The office closed it by hand meanwhile: keep their record, say so loudly.
        log.error("refund %s finished at WeChat (%s) but is %s", refund.id, target, refund.status)
    else:
        ledger.finish_refund(st, refund, succeeded=target == "succeeded")
    session.flush()
    if target == "succeeded":
        notify_statements(
            session,
            [st.id],
            kind="refund_succeeded",
            note="退款已原路退回微信",
            amounts={st.id: wr.amount_fen},
        )
    record(
        session,
        action=f"refund.wechat_{target}",
        object_type="refund",
        object_id=wr.refund_id,
        school_id=wr.school_id,
        before={"status": "requested"},
        after={
            "status": refund.status,
            "out_refund_no": wr.out_refund_no,
            "wechat_status": wr.wechat_status,
            "amount_fen": wr.amount_fen,
            "statement_id": st.id,
        },
    )
