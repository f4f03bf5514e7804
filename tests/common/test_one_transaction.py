"""A keyed write is one transaction: the auth read, the key's claim, the effect and the
stored answer commit together (or not at all), on the request's own connection."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from backend.common.models import IdempotencyKey
from backend.courses.models import Selection
from backend.database import get_session, one_transaction, unit_of_work
from tests import factories as f
from tests.courses.helpers import fcfs_world, select


@contextmanager
def transactions(app):
    """BEGIN / COMMIT / ROLLBACK on the app's engine inside the block, in order."""
    seen: list[str] = []
    engine = app.extensions["kehou"]["engine"]
    listeners = [
        ("begin", lambda _c: seen.append("begin")),
        ("commit", lambda _c: seen.append("commit")),
        ("rollback", lambda _c: seen.append("rollback")),
    ]
    for name, fn in listeners:
        event.listen(engine, name, fn)
    try:
        yield seen
    finally:
        for name, fn in listeners:
            event.remove(engine, name, fn)


def test_a_keyed_selection_is_one_transaction(app, committed):
    x = fcfs_world(committed)
    course = f.course(committed, x.term)
    committed.commit()
    keyed = {**x.h, "Idempotency-Key": "one-txn-1"}
    with app.test_client() as c, transactions(app) as seen:
        r = select(c, keyed, x.kid, course)
    assert r.status_code == 201, r.json
    # before: auth read (rolled back), claim, selection, answer = 4 transactions
    assert seen == ["begin", "commit"], seen
    with app.test_client() as c, transactions(app) as seen:
        again = select(c, keyed, x.kid, course)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == r.json
    assert "commit" not in seen  # a replay writes nothing
    row = committed.scalar(sa.select(IdempotencyKey))
    assert row.status_code == 201 and row.response_body
    assert committed.scalar(sa.select(sa.func.count()).select_from(Selection)) == 1


def _key_row(session, name: str) -> None:
    session.add(IdempotencyKey(principal="test:1", key=name, fingerprint="f" * 64))


def test_a_failed_unit_after_a_finished_one_keeps_the_finished_work(app, committed):
    with app.app_context():
        session = get_session()
        with one_transaction(session) as done:
            with unit_of_work():
                _key_row(session, "first")
            with pytest.raises(ValueError), unit_of_work():
                _key_row(session, "second")
                raise ValueError("the second unit fails")
            assert done()
            session.commit()
        session.close()
    keys = committed.scalars(sa.select(IdempotencyKey.key)).all()
    assert keys == ["first"]


def test_a_failed_first_unit_leaves_nothing(app, committed):
    with app.app_context():
        session = get_session()
        with one_transaction(session) as done:
            with pytest.raises(ValueError), unit_of_work():
                _key_row(session, "only")
                raise ValueError("the unit fails")
            assert not done()
            session.commit()
        session.close()
    assert committed.scalar(sa.select(sa.func.count()).select_from(IdempotencyKey)) == 0
