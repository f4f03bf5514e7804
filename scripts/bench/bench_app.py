"""The app as the benchmarks run it: backend.create_app() plus, for measuring only, the
floor endpoint and a statement counter (never mounted in production: gunicorn loads this
module only when a benchmark starts it as `bench_app:create_app()`).

- POST /__bench/floor {"student_id", "course_id"}: the bare seat transaction, one
  conditional UPDATE + one INSERT in one transaction, no auth, no checks, no audit: the
  floor any selection endpoint on this stack and database can reach.
- Every cursor execute and every commit/rollback of the app's engine is counted; a daemon
  thread writes each worker's counts to KEHOU_BENCH_COUNTS_DIR/<pid> every 0.2 s so the
  benchmark can sum them across workers between its phases.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from flask import jsonify, request
from sqlalchemy import event

from backend import create_app as _create_app

_counts = {"statements": 0, "transactions": 0}


def create_app():
    """The production app with the floor endpoint and the statement counter."""
    app = _create_app()
    engine = app.extensions["kehou"]["engine"]
    _count_statements(engine)
    _mount_floor(app, engine)
    return app


def _count_statements(engine) -> None:
    """Count statements and transaction ends; publish them to a file per worker."""

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(*_args):
        _counts["statements"] += 1

    @event.listens_for(engine, "commit")
    def _commit(_conn):
        _counts["transactions"] += 1

    @event.listens_for(engine, "rollback")
    def _rollback(_conn):
        _counts["transactions"] += 1

    folder = os.environ.get("KEHOU_BENCH_COUNTS_DIR")
    if not folder:
        return
    path = Path(folder) / str(os.getpid())

    def publish():
        while True:
            path.write_text(f"{_counts['statements']} {_counts['transactions']}")
            time.sleep(0.2)

    threading.Thread(target=publish, daemon=True).start()


def _mount_floor(app, engine) -> None:
    """POST /__bench/floor: take a seat (or queue) with one UPDATE and one INSERT."""
    from backend.courses.models import Course, Selection

    courses, selections = Course.__table__, Selection.__table__
    take = (
        sa.update(courses)
        .where(courses.c.id == sa.bindparam("cid"), courses.c.seats_taken < courses.c.capacity)
        .values(seats_taken=courses.c.seats_taken + 1)
    )

    @app.post("/__bench/floor")
    def floor():
        body = request.get_json()
        with engine.begin() as conn:
            seat = conn.execute(take, {"cid": body["course_id"]}).rowcount == 1
            status = "confirmed" if seat else "waitlisted"
            new_id = conn.execute(
                sa.insert(selections)
                .values(
                    term_id=body["term_id"],
                    course_id=body["course_id"],
                    student_id=body["student_id"],
                    school_id=body["school_id"],
                    status=status,
                    source="fcfs",
                    created_at=sa.func.now(),
                )
                .returning(selections.c.id)
            ).scalar_one()
        return jsonify({"id": new_id, "status": status}), 201

    from backend.extensions import limiter

    limiter.exempt(floor)  # the floor measures the transaction, not the per-IP limit
