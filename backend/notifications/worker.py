"""Delivering outbox messages to WeChat with retries and backoff; failures are kept."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from backend.auth.models import User
from backend.common.clock import now
from backend.database import close_session, get_session, unit_of_work
from backend.notifications.models import OutboxMessage
from backend.notifications.outbox import QUEUE_NAME
from backend.notifications.templates import render

log = logging.getLogger("kehou.worker")
MAX_ATTEMPTS = 6
# WeChat answers that will not change on a retry: the user refused or is unknown.
PERMANENT_ERRCODES = {43101, 40003, 40037, 47003}


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def deliver(message_id: int) -> str:
    """Send one message if it is due; returns its status afterwards."""
    try:
        return _deliver(message_id)
    finally:
        close_session()  # a long-running worker must not read from a stale identity map


def _deliver(message_id: int) -> str:
    with unit_of_work() as session:
        query = sa.select(OutboxMessage).where(
            OutboxMessage.id == message_id, OutboxMessage.status == "pending"
        )
        if session.get_bind().dialect.name == "postgresql":
            # Another worker holding the row is already sending it.
            query = query.with_for_update(skip_locked=True)
        msg = session.scalar(query)
        if msg is None:
            return "skipped"
        moment = now()
        if msg.next_attempt_at and msg.next_attempt_at > moment:
            return "not_due"
        user = session.get(User, msg.user_id) if msg.user_id else None
        if user is None:
            msg.status, msg.last_error = "failed", "recipient no longer exists"
            return msg.status
        template_id, data, page = render(msg.kind, msg.payload)
        try:
            current_app.extensions["kehou"]["wechat"].send_subscribe_message(
                user.openid, template_id, data, page
            )
        except Exception as exc:  # every failure is kept with its reason
            msg.attempts += 1
            msg.last_error = f"{exc.__class__.__name__}: {exc}"[:1000]
            errcode = getattr(exc, "errcode", None)
            if errcode in PERMANENT_ERRCODES or msg.attempts >= MAX_ATTEMPTS:
                msg.status = "failed"
            else:
                msg.next_attempt_at = moment + backoff(msg.attempts)
            log.warning("outbox message %s not sent: %s", msg.id, msg.last_error)
            return msg.status
        msg.attempts += 1
        msg.status, msg.sent_at, msg.last_error = "sent", moment, None
        return msg.status


def deliver_job(message_id: int) -> str:
    """RQ entry point (runs inside the worker's app context)."""
    return deliver(message_id)


def due_message_ids(limit: int = 500) -> list[int]:
    session = get_session()
    ids = session.scalars(
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now())
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    session.rollback()
    return list(ids)


def sweep() -> int:
    """Deliver every due message directly (covers wake-ups lost while Redis was down)."""
    count = 0
    for message_id in due_message_ids():
        deliver(message_id)
        count += 1
    return count


def run(*, burst: bool = False, poll_seconds: float = 5.0) -> None:
    """The worker loop: drain the RQ queue, then sweep what is due, forever (or once)."""
    from rq import Queue, SimpleWorker

    redis = current_app.extensions["kehou"]["redis"]
    while True:
        try:
            queue = Queue(QUEUE_NAME, connection=redis)
            SimpleWorker([queue], connection=redis).work(burst=True, logging_level="WARNING")
        except Exception as exc:  # Redis down: the sweep still delivers from the database
            log.warning("queue unavailable (%s); sweeping the outbox table", exc.__class__.__name__)
        sweep()
        if burst:
            return
        time.sleep(poll_seconds)
