"""Outbox: written with the transaction, sent after commit by the worker, never lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.common.clock import now
from backend.database import unit_of_work
from backend.notifications import worker
from backend.notifications.models import OutboxMessage
from backend.notifications.outbox import enqueue
from tests import factories as f


class Boom(Exception):
    pass


def _queue(app, user, kind="test_message"):
    with app.test_request_context():
        with unit_of_work() as session:
            msg = enqueue(
                session,
                kind=kind,
                user_id=user.id,
                payload={"fields": {"thing1": "张小明", "time2": "17:30"}},
            )
        return msg.id


def test_rolled_back_transaction_sends_nothing(app, db, fake_wechat):
    user = f.user(db)
    with app.test_request_context():
        with pytest.raises(Boom), unit_of_work() as session:
            enqueue(session, kind="test_message", user_id=user.id, payload={"a": 1})
            raise Boom()
        worker.run(burst=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    assert fake_wechat.sent_messages == []


def test_committed_message_reaches_fake_wechat_over_http(app, db, fake_wechat):
    user = f.user(db, openid="o_outbox_1")
    msg_id = _queue(app, user)
    with app.app_context():
        worker.run(burst=True)
    sent = fake_wechat.sent_messages
    assert len(sent) == 1 and sent[0]["touser"] == "o_outbox_1"
    assert sent[0]["data"]["thing1"] == {"value": "张小明"}
    row = db.get(OutboxMessage, msg_id)
    db.refresh(row)
    assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None


def test_failures_retry_with_backoff_then_are_kept(app, db, fake_wechat):
    user = f.user(db)
    msg_id = _queue(app, user)
    fake_wechat.fail_next(100, "500")
    with app.app_context():
        for attempt in range(1, worker.MAX_ATTEMPTS + 1):
            assert worker.deliver(msg_id) in ("pending", "failed")
            row = db.get(OutboxMessage, msg_id)
            db.refresh(row)
            assert row.attempts == attempt and row.last_error
            if row.status == "pending":
                wait = row.next_attempt_at - now()
                assert timedelta(seconds=20) < wait <= worker.backoff(attempt)
                assert worker.deliver(msg_id) == "not_due"
                row.next_attempt_at = now() - timedelta(seconds=1)
                db.flush()
    assert row.status == "failed" and row.attempts == worker.MAX_ATTEMPTS
    assert fake_wechat.sent_messages == []


def test_refused_user_fails_at_once_without_retry(app, db, fake_wechat):
    user = f.user(db, openid="o_refuser")
    fake_wechat.refuse_user("o_refuser")
    msg_id = _queue(app, user)
    with app.app_context():
        assert worker.deliver(msg_id) == "failed"
    row = db.get(OutboxMessage, msg_id)
    db.refresh(row)
    assert row.attempts == 1 and "43101" in row.last_error


def test_message_waits_when_redis_is_down_and_sweep_sends_it(app, db, fake_wechat):
    user = f.user(db, openid="o_sweep")
    ext = app.extensions["kehou"]
    real = ext["redis"]
    import redis

    ext["redis"] = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    try:
        msg_id = _queue(app, user)  # the wake-up fails quietly
        with app.app_context():
            worker.run(burst=True)  # queue unreachable: the sweep delivers from the table
    finally:
        ext["redis"] = real
    row = db.get(OutboxMessage, msg_id)
    db.refresh(row)
    assert row.status == "sent"
    assert [m["touser"] for m in fake_wechat.sent_messages] == ["o_sweep"]
