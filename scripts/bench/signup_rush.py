#!/usr/bin/env python3
"""The sign-up opening, measured on production settings (a script, not a test).

    .venv/bin/python scripts/bench/signup_rush.py [--pupils 3000] [--double-tap]

One run: creates the database kehou_bench_signup on the local PostgreSQL, seeds a school
of 3,000 pupils (one signed-in guardian each, nobody applied yet) and a term whose
sign-up window is open, starts gunicorn with KEHOU_ENV=production against it, Redis and a
fake WeChat, then
  1. measures /healthz (this stack's ceiling: routing, middleware, JSON, no database),
  2. lets every guardian apply at once: POST /api/v1/applications with the agreement and
     an Idempotency-Key, as the mini-program sends it, over keep-alive connections;
     with --double-tap every guardian sends it twice with the same key, the two taps on
     two connections at the same moment,
and prints throughput, the ratio, p50/p99 latency, answers by status, whether the whole
school got through within a minute, and from the database: applications per pupil
(exactly one each), duplicate live applications (0) and the outbox rows written.
The database is dropped afterwards. The server, the load client and the database
helpers are harness.py's.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from datetime import time as dtime
from datetime import timedelta

import harness as h
import sqlalchemy as sa

DB_NAME = "kehou_bench_signup"


def parse_args():
    p = h.arg_parser(__doc__, redis_db=11)
    p.add_argument("--pupils", type=int, default=3000)
    p.add_argument("--classes", type=int, default=60)
    h.add_server_args(p, concurrency=100, port=18741)
    p.add_argument("--double-tap", action="store_true", help="every guardian sends twice")
    p.add_argument("--keep-db", action="store_true")
    return p.parse_args()


def seed(env: dict, args) -> tuple[list, int, int]:
    """Tables, one school, pupils with a signed-in guardian each, an open sign-up term.
    Returns ([(student_id, access_token)], term_id, agreement_id)."""
    from backend.auth.sessions import open_session
    from backend.common.clock import now, today
    from backend.database import get_session
    from backend.schools.models import Grade, School, SchoolClass
    from backend.terms.models import Agreement, Term

    app, engine = h.production_app(env)
    moment = now()
    with app.app_context():
        s = get_session()
        school = School(name="报名压测小学", code="SIGNUP1")
        s.add(school)
        s.flush()
        grades = [Grade(school_id=school.id, name=f"{n}年级", level=n) for n in range(1, 7)]
        s.add_all(grades)
        s.flush()
        classes = [
            SchoolClass(school_id=school.id, grade_id=grades[i % len(grades)].id, name=f"{i + 1}班")
            for i in range(args.classes)
        ]
        s.add_all(classes)
        term = Term(
            school_id=school.id,
            name="报名压测学期",
            starts_on=today() + timedelta(days=14),
            ends_on=today() + timedelta(days=140),
            # the window opened a moment ago: everybody taps now
            signup_opens_at=moment - timedelta(minutes=1),
            signup_closes_at=moment + timedelta(days=7),
            selection_mode="fcfs",
            selection_opens_at=moment + timedelta(days=8),
            selection_closes_at=moment + timedelta(days=10),
            publicity_days=3,
            review_levels=["class", "grade", "school"],
            max_courses_per_student=2,
            billing_mode="monthly",
            base_fee_fen=6000,
            service_end_time=dtime(17, 30),
            pickup_cutoff_time=dtime(15, 0),
        )
        s.add(term)
        s.flush()
        agreement = Agreement(term_id=term.id, version=1, title="课后服务协议", body="……")
        s.add(agreement)
        users, students = h.seed_guardians(
            s, school.id, classes, args.pupils, openid="o_signup_", student_no="S"
        )
        tokens = [open_session(s, user_id=u.id)["access_token"] for u in users]
        s.commit()
        out = [(st.id, tok) for st, tok in zip(students, tokens, strict=True)]
        term_id, agreement_id = term.id, agreement.id
    engine.dispose()
    return out, term_id, agreement_id


def signup_jobs(guardians: list, term_id: int, agreement_id: int, double_tap: bool) -> list:
    """One job per tap. A double tap is two jobs side by side in the queue, so two
    connections send the same request (same Idempotency-Key) at the same moment."""
    jobs = []
    for student_id, token in guardians:
        body = json.dumps(
            {
                "term_id": term_id,
                "student_id": student_id,
                "agreement_id": agreement_id,
                "agree": True,
            }
        ).encode()
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": secrets.token_hex(8),
        }
        tap = ("applications", "POST", "/api/v1/applications", headers, body)
        jobs += [[tap], [tap]] if double_tap else [[tap]]
    return jobs


def from_database(db_url: str) -> dict:
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        out = {
            "applications": conn.scalar(sa.text("SELECT COUNT(*) FROM applications")),
            "pupils_applied": conn.scalar(
                sa.text("SELECT COUNT(DISTINCT student_id) FROM applications")
            ),
            # more than one live (not withdrawn) application for a pupil in a term
            "duplicate_live": conn.scalar(
                sa.text(
                    "SELECT COUNT(*) FROM (SELECT term_id, student_id FROM applications "
                    "WHERE state <> 'withdrawn' GROUP BY term_id, student_id "
                    "HAVING COUNT(*) > 1) d"
                )
            ),
            "states": dict(
                conn.execute(
                    sa.text("SELECT state, COUNT(*) FROM applications GROUP BY state")
                ).all()
            ),
            "outbox": conn.scalar(sa.text("SELECT COUNT(*) FROM outbox_messages")),
            "audit": conn.scalar(
                sa.text("SELECT COUNT(*) FROM audit_logs WHERE action LIKE 'application.%'")
            ),
        }
    engine.dispose()
    return out


def main() -> int:
    args = parse_args()
    with h.production_stack(args, DB_NAME, appid="wxbenchsignup001") as stack:
        t0 = time.perf_counter()
        guardians, term_id, agreement_id = seed(stack.env, args)
        print(
            f"seeded {len(guardians)} pupils with a signed-in guardian each in "
            f"{time.perf_counter() - t0:.1f}s"
        )
        proc = stack.start("kehou-signup-rush-gunicorn.log")
        jobs = signup_jobs(guardians, term_id, agreement_id, args.double_tap)

        health = h.healthz_jobs(len(jobs))
        h.load(args.port, health[:500], args.concurrency)  # warm-up
        cpu0 = h.cpu_seconds(proc.pid)
        h_secs, h_lat, h_status = h.load(args.port, health, args.concurrency)
        cpu1 = h.cpu_seconds(proc.pid)
        a_secs, a_lat, a_status = h.load(args.port, jobs, args.concurrency)
        cpu2 = h.cpu_seconds(proc.pid)
        db = from_database(stack.db_url)

        h_rps, a_rps = len(h_status) / h_secs, len(a_status) / a_secs
        codes = h.status_counts(a_status)
        non_2xx = {k: v for k, v in sorted(codes.items()) if not 200 <= k < 300}
        taps = "2 taps (same Idempotency-Key)" if args.double_tap else "1 tap"
        print(
            f"server: gunicorn {args.workers} workers x {args.threads} threads, production "
            f"settings, PostgreSQL + Redis; load: {args.concurrency} keep-alive connections, "
            f"{len(guardians)} guardians x {taps}"
        )
        h.print_figures("/healthz", h_lat["healthz"], h_secs, width=15)
        h.print_figures("/applications", a_lat["applications"], a_secs, width=15)
        h.print_cpu_per_request("/healthz", cpu0, cpu1, len(h_status), width=14)
        h.print_cpu_per_request("/applications", cpu1, cpu2, len(a_status), width=14)
        print(f"ratio (applications / healthz throughput): {a_rps / h_rps:.2f}")
        print(f"the whole school applied in {a_secs:.1f} s   (target: within 60 s)")
        print(f"status codes: {dict(sorted(codes.items()))}   non-2xx: {non_2xx or 0}")
        print(
            f"database: {db['applications']} applications for {db['pupils_applied']} of "
            f"{len(guardians)} pupils {db['states']}; duplicate live applications: "
            f"{db['duplicate_live']} (target 0); outbox rows {db['outbox']}, "
            f"audit rows {db['audit']}"
        )
        ok = (
            not non_2xx
            and db["duplicate_live"] == 0
            and db["applications"] == db["pupils_applied"] == len(guardians)
        )
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
