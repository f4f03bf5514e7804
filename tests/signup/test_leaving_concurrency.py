"""Real concurrency on PostgreSQL: pupils leaving at the same moment, each waitlisted on the
other's course, all leave, and every freed seat ends with the pupil who still fits."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from backend.courses.models import Course, Selection
from backend.signup.models import Application
from tests import factories as f

PAIRS = 12


def _pupil(session, klass, term):
    kid = f.student(session, klass)
    parent = f.user(session)
    f.guardian_of(session, parent, kid)
    app = f.enrolled(session, term, kid)
    return kid, app, f.auth(session, user_row=parent)


def _hold(session, term, course, kid, status):
    session.add(
        Selection(
            term_id=term.id,
            course_id=course.id,
            student_id=kid.id,
            school_id=term.school_id,
            status=status,
            source="fcfs",
        )
    )
    if status == "confirmed":
        course.seats_taken += 1


def _crossed_pairs(session):
    """Pairs (x, y): x holds course A and waits on B, y holds B and waits on A; a third
    pupil w waits behind them on both."""
    s = f.school(session)
    klass = f.klass(session, f.grade(session, s))
    term = f.term(session, s)
    pairs = []
    for _ in range(PAIRS):
        x, y, w = (_pupil(session, klass, term) for _ in range(3))
        a = f.course(session, term, capacity=1, weekdays=[1, 3])
        b = f.course(session, term, capacity=1, weekdays=[2, 4])
        session.flush()
        _hold(session, term, a, x[0], "confirmed")
        _hold(session, term, b, y[0], "confirmed")
        _hold(session, term, a, y[0], "waitlisted")
        _hold(session, term, b, x[0], "waitlisted")
        session.flush()
        _hold(session, term, a, w[0], "waitlisted")
        _hold(session, term, b, w[0], "waitlisted")
        pairs.append((x, y, w, a, b))
    session.commit()
    return pairs


def _withdraw_all(app, jobs):
    results = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def go(i, app_id, headers):
        with app.test_client() as c:
            barrier.wait()
            r = c.post(f"/api/v1/applications/{app_id}/withdraw", json={}, headers=headers)
            results[i] = (r.status_code, r.get_json())

    threads = [threading.Thread(target=go, args=(i, *job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_crossed_pupils_leaving_at_once_all_leave_and_seats_pass_on(app, committed, requires_pg):
    pairs = _crossed_pairs(committed)
    jobs = []
    for x, y, *_ in pairs:
        jobs += [(x[1].id, x[2]), (y[1].id, y[2])]
    results = _withdraw_all(app, jobs)
    assert [s for s, _ in results] == [200] * len(jobs), results
    engine = app.extensions["kehou"]["engine"]
    with engine.connect() as conn:
        for x, y, w, a, b in pairs:
            states = conn.scalars(
                sa.select(Application.state).where(Application.id.in_([x[1].id, y[1].id]))
            ).all()
            assert states == ["withdrawn", "withdrawn"]
            live = conn.execute(
                sa.select(Selection.course_id, Selection.student_id, Selection.status).where(
                    Selection.course_id.in_([a.id, b.id]), Selection.status != "dropped"
                )
            ).all()
            # each seat went to w, the one pupil it still fits; nobody waits any more
            assert sorted(live) == sorted(
                [(a.id, w[0].id, "confirmed"), (b.id, w[0].id, "confirmed")]
            )
            taken = conn.scalars(
                sa.select(Course.seats_taken).where(Course.id.in_([a.id, b.id]))
            ).all()
            assert taken == [1, 1]
