"""The selection's hot path in statements: the checks folded into one locking read and the
caller's grants served from Redis (a count, never a time)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from tests import factories as f
from tests.courses.helpers import fcfs_world, select


@contextmanager
def counted(app):
    """The statements the app's engine runs inside the block."""
    seen: list[str] = []

    def listener(_conn, _cursor, statement, *_args):
        seen.append(statement)

    engine = app.extensions["kehou"]["engine"]
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def test_a_seat_costs_at_most_eight_statements(client, db, app):
    x = fcfs_world(db)
    first, second = f.course(db, x.term, weekdays=[1]), f.course(db, x.term, weekdays=[2])
    assert select(client, x.h, x.kid, first).status_code == 201  # grants now cached
    with counted(app) as seen:
        r = select(client, x.h, x.kid, second)
    assert r.status_code == 201 and r.json["status"] == "confirmed"
    # the tests' savepoints stand for the transactions' BEGIN/COMMIT/ROLLBACK
    ours = [s for s in seen if "SAVEPOINT" not in s]
    # auth session; checks + enrolment lock; live seats; seat; insert; audit head, row, head
    assert len(ours) <= 8, ours
    assert not any("role_grants" in s for s in ours)


def test_refusals_still_name_the_missing_piece(client, db):
    x = fcfs_world(db)
    course = f.course(db, x.term)
    other_kid = f.student(db, x.a["classes"][0])
    f.enrolled(db, x.term, other_kid)
    assert select(client, x.h, other_kid, course).status_code == 404  # not my pupil
    lone = f.student(db, x.a["classes"][0])
    f.guardian_of(db, x.parent, lone)
    r = select(client, x.h, lone, course)
    assert r.status_code == 403 and r.json["error"] == "not_enrolled", r.json
