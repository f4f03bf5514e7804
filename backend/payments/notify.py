"""POST /api/v1/payments/wechat/notify: verify, decrypt, match, apply exactly once."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from backend.audit.service import record
from backend.database import unit_of_work
from backend.errors import DomainError
from backend.extensions import get_redis
from backend.fees import ledger
from backend.payments.apply import (
    apply_paid,
    apply_refund_status,
    lock_order,
    transaction_problem,
)
from backend.payments.client import NotificationRejected
from backend.payments.gateway import get_gateway
from backend.payments.models import WeChatRefund

log = logging.getLogger("kehou.payments")

# Unverified notifications from one address: past this many in the window the address
# gets 429 (verified ones are never limited: WeChat Pay's rush must always get through).
UNVERIFIED_LIMIT = 20
UNVERIFIED_WINDOW_SECONDS = 600
METRIC_UNVERIFIED = "kehou:metrics:notify_unverified"


class Rejected(Exception):
    """A verified notification we refuse: HTTP status and the reason (logged and audited)."""

    def __init__(self, status: int, reason: str, school_id=None, ref=None):
        super().__init__(reason)
        self.status, self.reason, self.school_id, self.ref = status, reason, school_id, ref


def _fail(status: int, message: str) -> tuple[int, dict]:
    # WeChat Pay's own failure body; it retries the notification later.
    return status, {"code": "FAIL", "message": message}


def _count_unverified(client_ip: str | None) -> int:
    """Count one unverified notification (per address and in total); the address's count
    in the current window, 0 when Redis is down (then nothing is limited)."""
    key = f"kehou:notify-unverified:{client_ip or 'unknown'}"
    try:
        redis = get_redis()
        redis.incr(METRIC_UNVERIFIED)
        count = int(redis.incr(key))
        if count == 1:
            redis.expire(key, UNVERIFIED_WINDOW_SECONDS)
        return count
    except Exception:  # the limit is a guard, not the truth: verification already refused it
        log.warning("redis unavailable: unverified notifications not counted")
        return 0


def _unverified(client_ip: str | None, exc: Exception) -> tuple[int, dict]:
    """Log and count an unverified notification; never audited: anyone can send one, and
    the audit chain is for what happened, not for what strangers claim."""
    count = _count_unverified(client_ip)
    log.warning(
        "wechat pay notification not verified from %s (%s in window): %.200s",
        client_ip,
        count,
        exc,
    )
    if count > UNVERIFIED_LIMIT:
        return _fail(429, "too many unverified notifications")
    return _fail(401, "签名验证失败")


def handle(headers, body: bytes, client_ip: str | None = None) -> tuple[int, dict | None]:
    """(HTTP status, body) in WeChat Pay's format: 204 once applied (or already applied)."""
    try:
        gateway = get_gateway()
    except DomainError:
        return _fail(500, "payments not configured")
    try:
        event = gateway.parse_notification(headers, body)
    except NotificationRejected as exc:
        return _unverified(client_ip, exc)
    kind = event.get("event_type", "")
    resource = event["resource"]
    try:
        if kind.startswith("TRANSACTION."):
            _payment(gateway, kind, resource)
        elif kind.startswith("REFUND."):
            _refund(gateway, resource)
        else:
            log.info("wechat pay notification %s ignored", kind)
    except Rejected as exc:
        _reject(exc)
        return _fail(exc.status, exc.reason)
    return 204, None


def _payment(gateway, kind: str, tx: dict) -> None:
    no = str(tx.get("out_trade_no") or "")
    with unit_of_work() as session:
        order, st = lock_order(session, no)
        if order is None:
            raise Rejected(404, "unknown out_trade_no", ref=no)
        if kind != "TRANSACTION.SUCCESS" or tx.get("trade_state") != "SUCCESS":
            log.info("order %s: %s / %s, nothing to book", no, kind, tx.get("trade_state"))
            return
        problem = transaction_problem(gateway.config, order, tx)
        if problem:
            raise Rejected(400, f"{problem} does not match our order", order.school_id, no)
        outcome = apply_paid(session, order, st, tx, via="notify")
        log.info("order %s notification: %s", no, outcome)


def _refund(gateway, r: dict) -> None:
    no = str(r.get("out_refund_no") or "")
    with unit_of_work() as session:
        wr = session.scalar(sa.select(WeChatRefund).where(WeChatRefund.out_refund_no == no))
        if wr is None:
            raise Rejected(404, "unknown out_refund_no", ref=no)
        st = ledger.lock(session, wr.statement_id)
        session.refresh(wr)
        amount = (r.get("amount") or {}).get("refund")
        if r.get("mchid") != gateway.config.mchid:
            raise Rejected(400, "mchid does not match", wr.school_id, no)
        if type(amount) is not int or amount != wr.amount_fen:
            raise Rejected(400, "refund amount does not match", wr.school_id, no)
        outcome = apply_refund_status(session, wr, st, r)
        log.info("refund %s notification: %s", no, outcome)


def _reject(exc: Rejected) -> None:
    """Log and audit a refused notification in its own transaction (nothing else)."""
    log.warning("wechat pay notification rejected (%s): %s", exc.ref, exc.reason)
    with unit_of_work() as session:
        record(
            session,
            action="payment.notify_rejected",
            object_type="wechat_notification",
            object_id=exc.ref,
            school_id=exc.school_id,
            after={"reason": exc.reason, "status": exc.status},
        )
