"""Tracking numbers under concurrency (PostgreSQL, real threads and commits)."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from backend.complaints.models import Complaint
from tests import factories as f
from tests.complaints.conftest import URL

THREADS = 16


def test_concurrent_filings_get_distinct_consecutive_numbers(app, committed, requires_pg):
    db = committed
    school = f.school(db)
    klass = f.klass(db, f.grade(db, school))
    headers = []
    for _ in range(THREADS):
        parent = f.user(db)
        f.guardian_of(db, parent, f.student(db, klass))
        headers.append(f.auth(db, user_row=parent))
    db.commit()
    barrier = threading.Barrier(THREADS)
    results: list = []

    def run(h):
        client = app.test_client()
        barrier.wait()
        r = client.post(
            URL, json={"school_id": school.id, "category": "safety", "text": "同时提交"}, headers=h
        )
        results.append((r.status_code, r.get_json()))

    threads = [threading.Thread(target=run, args=(h,)) for h in headers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [s for s, _ in results] == [201] * THREADS, results
    numbers = sorted(int(body["tracking_no"].rsplit("-", 1)[1]) for _, body in results)
    assert numbers == list(range(1, THREADS + 1))
    stored = db.scalars(sa.select(Complaint.tracking_no)).all()
    assert len(set(stored)) == THREADS
