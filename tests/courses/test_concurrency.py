"""Real concurrency on PostgreSQL: no oversold seat, one pupil's parallel taps serialize."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import time

import sqlalchemy as sa

from backend.courses.models import Course, Selection
from tests import factories as f


def _families(session, term, klass, n):
    out = []
    for _ in range(n):
        kid = f.student(session, klass)
        parent = f.user(session)
        f.guardian_of(session, parent, kid)
        f.enrolled(session, term, kid)
        out.append((kid.id, f.auth(session, user_row=parent)))
    return out


def _run(app, jobs):
    """Start every job's request at the same moment; return the responses' (status, json).

    The rate limiter is off meanwhile: 200 requests in flight in one process exceed
    redis-py's default pool of 100 connections (a production worker has 4 threads); this
    tests the seats, not the limiter.
    """
    from backend.extensions import limiter

    limiter.enabled = False
    try:
        return _run_all(app, jobs)
    finally:
        limiter.enabled = True


def _run_all(app, jobs):
    results = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def go(i, headers, body):
        with app.test_client() as c:
            barrier.wait()
            r = c.post("/api/v1/selections", json=body, headers=headers)
            results[i] = (r.status_code, r.get_json())

    threads = [threading.Thread(target=go, args=(i, *job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_200_guardians_for_30_seats_never_oversell(app, committed, requires_pg):
    s = f.school(committed)
    klass = f.klass(committed, f.grade(committed, s))
    term = f.term(committed, s)
    course = f.course(committed, term, capacity=30)
    families = _families(committed, term, klass, 200)
    committed.commit()
    engine = app.extensions["kehou"]["engine"]
    peak, stop = [0], threading.Event()

    def watch():
        # taken <= capacity at every moment a reader can see
        with engine.connect() as conn:
            while not stop.is_set():
                taken = conn.scalar(
                    sa.text("SELECT seats_taken FROM courses WHERE id = :i"), {"i": course.id}
                )
                peak[0] = max(peak[0], taken)
                conn.rollback()

    watcher = threading.Thread(target=watch)
    watcher.start()
    jobs = [
        (h, {"student_id": kid, "course_id": course.id, "join_waitlist": i % 2 == 0})
        for i, (kid, h) in enumerate(families)
    ]
    results = _run(app, jobs)
    stop.set()
    watcher.join()
    outcomes = Counter(
        body["status"] if status == 201 else body["error"] for status, body in results
    )
    assert not [r for r in results if r[0] >= 500], results
    assert outcomes["confirmed"] == 30
    assert outcomes["confirmed"] + outcomes["waitlisted"] + outcomes["course_full"] == 200
    assert outcomes["waitlisted"] >= 70  # every even-numbered guardian without a seat queued
    with engine.connect() as conn:
        taken = conn.scalar(sa.select(Course.seats_taken).where(Course.id == course.id))
        rows = dict(
            conn.execute(
                sa.select(Selection.status, sa.func.count())
                .where(Selection.course_id == course.id)
                .group_by(Selection.status)
            ).all()
        )
    assert taken == 30 and peak[0] <= 30
    assert rows == {"confirmed": 30, "waitlisted": outcomes["waitlisted"]}
    positions = sorted(
        body["waitlist_position"]
        for st, body in results
        if st == 201 and body["status"] == "waitlisted"
    )
    assert positions == list(range(1, outcomes["waitlisted"] + 1))


def test_one_pupils_parallel_taps_respect_limit_and_clashes(app, committed, requires_pg):
    s = f.school(committed)
    klass = f.klass(committed, f.grade(committed, s))
    term = f.term(committed, s, max_courses_per_student=1)
    # six different courses on different days: only the limit stops a second seat
    spread = [f.course(committed, term, weekdays=[d]) for d in (1, 2, 3, 4, 5)]
    # three courses at the same time on Tuesday: only the clash check stops a second
    term2 = f.term(committed, f.school(committed), max_courses_per_student=5)
    klass2 = f.klass(committed, f.grade(committed, committed.get(type(s), term2.school_id)))
    same = [
        f.course(committed, term2, weekdays=[2], start_time=time(16, 0), end_time=time(17, 0))
        for _ in range(3)
    ]
    ((kid, h),) = _families(committed, term, klass, 1)
    ((kid2, h2),) = _families(committed, term2, klass2, 1)
    committed.commit()
    limit = _run(app, [(h, {"student_id": kid, "course_id": c.id}) for c in spread])
    clash = _run(app, [(h2, {"student_id": kid2, "course_id": c.id}) for c in same])
    assert sorted(st for st, _ in limit) == [201] + [409] * 4, limit
    assert {b["error"] for st, b in limit if st == 409} == {"max_courses_reached"}
    assert sorted(st for st, _ in clash) == [201, 409, 409], clash
    assert {b["error"] for st, b in clash if st == 409} == {"time_conflict"}
    engine = app.extensions["kehou"]["engine"]
    with engine.connect() as conn:
        live = conn.scalar(
            sa.select(sa.func.count()).select_from(Selection).where(Selection.status != "dropped")
        )
        taken = conn.scalar(sa.select(sa.func.sum(Course.seats_taken)))
    assert live == 2 and taken == 2


def test_double_tap_with_one_key_in_parallel_creates_one_selection(app, committed, requires_pg):
    s = f.school(committed)
    klass = f.klass(committed, f.grade(committed, s))
    term = f.term(committed, s)
    course = f.course(committed, term)
    ((kid, h),) = _families(committed, term, klass, 1)
    committed.commit()
    keyed = {**h, "Idempotency-Key": "double-tap-1"}
    results = _run(app, [(keyed, {"student_id": kid, "course_id": course.id})] * 4)
    assert {st for st, _ in results} == {201}, results
    assert len({b["id"] for _, b in results}) == 1
    engine = app.extensions["kehou"]["engine"]
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(Selection)) == 1
        assert conn.scalar(sa.select(Course.seats_taken).where(Course.id == course.id)) == 1
