"""Outbox: messages are rows of the business transaction; delivery starts after commit."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from backend.common.clock import now
from backend.notifications.models import OutboxMessage
from backend.schools.models import GuardianLink

log = logging.getLogger("kehou.outbox")
QUEUE_NAME = "kehou-outbox"
_PENDING_KEY = "kehou_outbox_new"


def enqueue(session, *, kind: str, user_id: int | None, payload: dict, school_id=None):
    """Add a message to the caller's transaction; nothing is sent unless it commits."""
    msg = OutboxMessage(
        kind=kind,
        user_id=user_id,
        school_id=school_id,
        payload=payload,
        status="pending",
        next_attempt_at=now(),
    )
    session.add(msg)
    session.flush()
    session.info.setdefault(_PENDING_KEY, []).append(msg.id)
    return msg


def notify_guardians(
    session,
    student_id: int,
    *,
    kind: str,
    payload: dict,
    school_id=None,
    exclude_user_id: int | None = None,
) -> int:
    """One message per guardian bound to the pupil; returns how many were queued."""
    user_ids = session.scalars(
        sa.select(GuardianLink.user_id).where(GuardianLink.student_id == student_id)
    ).all()
    count = 0
    for user_id in user_ids:
        if user_id != exclude_user_id:
            enqueue(session, kind=kind, user_id=user_id, payload=payload, school_id=school_id)
            count += 1
    return count


def install() -> None:
    """Hook the outbox into every session (once, at app creation): a commit wakes the
    worker for what it wrote; a rolled-back transaction sends nothing."""
    if not event.contains(Session, "after_commit", dispatch_pending):
        event.listen(Session, "after_commit", dispatch_pending)
        event.listen(Session, "after_soft_rollback", forget_pending)


def forget_pending(session, previous_transaction=None) -> None:
    """After a rollback of the whole transaction: its messages were never written."""
    # A rolled-back savepoint leaves the outer transaction (and its rows) going on.
    if not session.in_transaction():
        session.info.pop(_PENDING_KEY, None)


def dispatch_pending(session) -> None:
    """After commit: wake the worker for the messages this transaction wrote.

    If Redis is down the messages simply wait: the worker's sweep finds every pending
    row whose time has come, so a failed wake-up delays a message but never loses it.
    """
    ids = session.info.pop(_PENDING_KEY, None)
    if not ids:
        return
    try:
        from flask import current_app
        from rq import Queue

        queue = Queue(QUEUE_NAME, connection=current_app.extensions["kehou"]["redis"])
        for message_id in ids:
            queue.enqueue("backend.notifications.worker.deliver_job", message_id)
    except Exception as exc:  # Redis down: the sweep delivers later
        log.warning("outbox wake-up failed, sweep will deliver: %s", exc.__class__.__name__)
