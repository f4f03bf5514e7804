"""A family pays a statement: one open JSAPI order per statement, for the server's balance."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import require_user
from backend.auth.models import User
from backend.auth.scope import guardian_student
from backend.common.clock import SCHOOL_TZ, now
from backend.database import unit_of_work
from backend.errors import NotFound
from backend.fees import ledger, money
from backend.fees.statement_reads import FAMILY_STATES
from backend.payments.apply import apply_paid, close_order, transaction_problem
from backend.payments.client import PayRefused
from backend.payments.errors import NothingToPay, OrderBusy, PaymentRefused
from backend.payments.gateway import get_gateway
from backend.payments.models import WeChatPayOrder
from backend.schools.models import Student

log = logging.getLogger("kehou.payments")
PAYABLE = ("issued", "partially_paid")
# An open order is handed out again only if the family has this long left to pay it.
REUSE_MARGIN = timedelta(minutes=10)


def _view(order: WeChatPayOrder, gateway) -> dict:
    return {
        "payment_id": order.payment_id,
        "statement_id": order.statement_id,
        "out_trade_no": order.out_trade_no,
        "amount_fen": order.amount_fen,
        "status": order.status,
        "expires_at": order.expires_at,
        "pay_params": gateway.pay_params(order.prepay_id),
    }


def _open_order(session, statement_id: int) -> WeChatPayOrder | None:
    return session.scalar(
        sa.select(WeChatPayOrder).where(
            WeChatPayOrder.statement_id == statement_id, WeChatPayOrder.status == "created"
        )
    )


def new_out_trade_no() -> str:
    # 6-32 characters of [A-Za-z0-9]; unguessable, so nobody can probe other orders.
    return "KH" + now().astimezone(SCHOOL_TZ).strftime("%y%m%d") + secrets.token_hex(10)


def start_payment(statement_id: int) -> tuple[dict, int]:
    """201 with a new order for the balance, or 200 with the open one when it still fits
    (same amount, same payer, time left). An open order that no longer fits is settled
    with WeChat first (queried: paid -> booked; else closed) and a new one is made."""
    actor = require_user()
    gateway = get_gateway()
    for _ in range(3):
        with unit_of_work() as session:
            st = ledger.lock(session, statement_id)
            if st is None or st.status not in FAMILY_STATES:
                raise NotFound()
            guardian_student(session, actor, st.student_id)
            balance = money.balance(st.total_fen, st.paid_fen, st.refunded_fen, st.carried_out_fen)
            order = _open_order(session, st.id)
            payable = st.status in PAYABLE and balance > 0
            if order is None:
                if not payable:
                    raise NothingToPay()
                return _view(_create(session, gateway, st, actor.id, balance), gateway), 201
            fits = (
                payable
                and order.amount_fen == balance
                and order.payer_user_id == actor.id
                and order.expires_at > now() + REUSE_MARGIN
            )
            if fits:
                return _view(order, gateway), 200
            stale = order.out_trade_no
        retire(stale, "superseded")
    raise OrderBusy()


def _create(session, gateway, st, user_id: int, balance: int) -> WeChatPayOrder:
    user = session.get(User, user_id)
    student_name = session.scalar(sa.select(Student.name).where(Student.id == st.student_id))
    out_trade_no = new_out_trade_no()
    expires_at = now() + timedelta(minutes=gateway.config.order_ttl_minutes)
    payment = ledger.open_payment(
        session,
        st,
        amount_fen=balance,
        method="wechat",
        channel="jsapi",
        reference=out_trade_no,
        payer_user_id=user_id,
    )
    try:
        # Inside the statement lock: a second tap waits and then finds this order.
        prepay_id = gateway.create_jsapi(
            out_trade_no=out_trade_no,
            description=f"课后服务费 {st.period} {student_name}"[:127],
            amount_fen=balance,
            openid=user.openid,
            expires_at=expires_at,
        )
    except PayRefused as exc:
        log.error("wechat pay refused order %s: %s", out_trade_no, exc)
        raise PaymentRefused() from None
    order = WeChatPayOrder(
        payment_id=payment.id,
        school_id=st.school_id,
        statement_id=st.id,
        out_trade_no=out_trade_no,
        amount_fen=balance,
        status="created",
        payer_user_id=user_id,
        payer_openid=user.openid,
        prepay_id=prepay_id,
        expires_at=expires_at,
    )
    session.add(order)
    session.flush()
    record(
        session,
        action="payment.wechat_order",
        object_type="statement",
        object_id=st.id,
        school_id=st.school_id,
        after={"payment_id": payment.id, "out_trade_no": out_trade_no, "amount_fen": balance},
    )
    return order


def retire(out_trade_no: str, reason: str, *, close_unpaid: bool = True) -> str:
    """Settle an open order with WeChat: book it if it was paid, otherwise close it on
    both sides (or, with close_unpaid=False, only when WeChat has closed it). Returns
    "paid", "closed", "waiting" or "gone"."""
    gateway = get_gateway()
    with unit_of_work() as session:
        order = session.scalar(
            sa.select(WeChatPayOrder).where(WeChatPayOrder.out_trade_no == out_trade_no)
        )
        if order is None:
            return "gone"
        st = ledger.lock(session, order.statement_id)
        session.refresh(order)
        if order.status != "created":
            return "gone"
        order.last_queried_at = now()
        tx = gateway.query(out_trade_no)
        state = (tx or {}).get("trade_state")
        if state in ("SUCCESS", "REFUND"):
            problem = transaction_problem(gateway.config, order, tx)
            if problem:
                log.error("order %s: WeChat disagrees on %s", out_trade_no, problem)
                return "waiting"
            apply_paid(session, order, st, tx, via="query")
            return "paid"
        if state in ("SUCCESS", "REFUND", "CLOSED", "REVOKED", "PAYERROR"):
            pass
        elif not close_unpaid or (state == "USERPAYING" and reason != "expired"):
            return "waiting"
        if tx is not None and state not in ("CLOSED", "REVOKED", "PAYERROR"):
            try:
                gateway.close(out_trade_no)
            except PayRefused as exc:
                # ORDER_PAID: paid between our query and the close; the notification (or
                # the next sweep) books it. Anything else: try again on the next sweep.
                log.warning("closing order %s refused: %s", out_trade_no, exc)
                return "waiting"
        close_order(session, order, reason)
        return "closed"
