"""`flask --app backend payments sweep`: silent orders queried, expired ones closed,
refunds (re)sent and their outcome asked for when no notification came."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from backend.common.clock import now
from backend.database import unit_of_work
from backend.errors import DomainError
from backend.fees.models import Statement
from backend.payments import orders, refunds
from backend.payments.gateway import get_gateway
from backend.payments.models import WeChatPayOrder, WeChatRefund

log = logging.getLogger("kehou.payments")
BATCH = 500


def sweep() -> dict:
    """One pass; safe to run every minute and from several hosts (every step locks its
    statement and re-checks the state it acts on)."""
    config = get_gateway().config
    moment = now()
    silent_since = moment - timedelta(minutes=config.query_after_minutes)
    with unit_of_work() as session:
        rows, refund_rows = _due(session, moment, silent_since)
    out: Counter = Counter()
    for no, expires_at, st_status in rows:
        if expires_at <= moment:
            reason, close = "expired", True
        elif st_status not in orders.PAYABLE:
            reason, close = "statement_" + st_status, True
        else:
            reason, close = "silent", False
        try:
            out["orders_" + orders.retire(no, reason, close_unpaid=close)] += 1
        except DomainError as exc:
            log.warning("sweep: order %s: %s", no, exc.code)
            out["errors"] += 1
    for wr_id, status in refund_rows:
        try:
            step = refunds.send if status == "pending" else refunds.refresh
            out["refunds_" + step(wr_id)] += 1
        except DomainError as exc:
            log.warning("sweep: refund %s: %s", wr_id, exc.code)
            out["errors"] += 1
    return dict(sorted(out.items()))


def _due(session, moment, silent_since):
    """Open orders worth asking about and refunds to (re)send or to ask about."""
    rows = session.execute(
        sa.select(WeChatPayOrder.out_trade_no, WeChatPayOrder.expires_at, Statement.status)
        .join(Statement, Statement.id == WeChatPayOrder.statement_id)
        .where(
            WeChatPayOrder.status == "created",
            sa.or_(
                WeChatPayOrder.created_at <= silent_since,
                WeChatPayOrder.expires_at <= moment,
                Statement.status.not_in(orders.PAYABLE),
            ),
        )
        .order_by(WeChatPayOrder.id)
        .limit(BATCH)
    ).all()
    refund_rows = session.execute(
        sa.select(WeChatRefund.id, WeChatRefund.status)
        .where(
            sa.or_(
                WeChatRefund.status == "pending",
                sa.and_(WeChatRefund.status == "processing", WeChatRefund.sent_at <= silent_since),
            )
        )
        .order_by(WeChatRefund.id)
        .limit(BATCH)
    ).all()
    return rows, refund_rows
