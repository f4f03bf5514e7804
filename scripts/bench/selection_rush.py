#!/usr/bin/env python3
"""The opening rush of course selection, measured on production settings (a script, not a test).

    .venv/bin/python scripts/bench/selection_rush.py [--pupils 3000] [--concurrency 100]

One run: creates the database kehou_bench_rush on the local PostgreSQL, seeds a school of
3,000 enrolled pupils (one guardian each, signed in) and 40 courses x 30 seats, starts
gunicorn with KEHOU_ENV=production against it, Redis and a fake WeChat, then
  1. measures /healthz (this stack's ceiling: routing, middleware, JSON, no database),
  2. lets every guardian choose two courses at once (6,000 POST /api/v1/selections at
     the given concurrency over keep-alive connections, each with an Idempotency-Key as
     the mini-program sends it, join_waitlist when full),
and prints throughput, the ratio, p50/p99 latency, 5xx count and oversold seats (read
from the database at the end). The database is dropped afterwards.
"""

from __future__ import annotations

import json
import random
import secrets
import sys
import time
from datetime import time as dtime
from datetime import timedelta

import harness as h
import sqlalchemy as sa

DB_NAME = "kehou_bench_rush"


def parse_args():
    p = h.arg_parser(__doc__, redis_db=8)
    p.add_argument("--pupils", type=int, default=3000)
    p.add_argument("--courses", type=int, default=40)
    p.add_argument("--seats", type=int, default=30)
    p.add_argument("--picks", type=int, default=2, help="selections per guardian")
    h.add_server_args(p, concurrency=100, port=18731)
    p.add_argument("--no-idempotency-key", action="store_true")
    p.add_argument("--keep-db", action="store_true")
    return p.parse_args()


# --- seed ----------------------------------------------------------------------------------
def seed(env: dict, args) -> tuple[list, list]:
    """Tables, one school, enrolled pupils with a signed-in guardian each, the courses.
    Returns ([(student_id, access_token)], [course rows as dicts])."""
    from backend.auth.sessions import open_session
    from backend.common.clock import now, today
    from backend.courses.models import Course
    from backend.database import get_session
    from backend.schools.models import Grade, School, SchoolClass
    from backend.terms.models import Agreement, Term

    app, engine = h.production_app(env)
    moment = now()
    with app.app_context():
        s = get_session()
        school = School(name="压测小学", code="RUSH001")
        s.add(school)
        s.flush()
        grade = Grade(school_id=school.id, name="三年级", level=3)
        s.add(grade)
        s.flush()
        classes = [
            SchoolClass(school_id=school.id, grade_id=grade.id, name=f"{i}班") for i in range(1, 61)
        ]
        s.add_all(classes)
        term = Term(
            school_id=school.id,
            name="压测学期",
            starts_on=today() - timedelta(days=10),
            ends_on=today() + timedelta(days=120),
            signup_opens_at=moment - timedelta(days=20),
            signup_closes_at=moment - timedelta(days=15),
            selection_mode="fcfs",
            selection_opens_at=moment - timedelta(minutes=5),
            selection_closes_at=moment + timedelta(days=1),
            publicity_days=3,
            max_courses_per_student=args.picks,
            billing_mode="monthly",
            base_fee_fen=6000,
            service_end_time=dtime(17, 30),
            pickup_cutoff_time=dtime(15, 0),
        )
        s.add(term)
        s.flush()
        agreement = Agreement(term_id=term.id, version=1, title="协议", body="……")
        s.add(agreement)
        courses = [
            Course(
                school_id=school.id,
                term_id=term.id,
                name=f"课程{i + 1}",
                category="体育" if i % 2 else "艺术",
                kind="enrichment",
                # 8 courses per weekday at 16:00-17:00: two picks on different days never clash
                weekdays=[i % 5 + 1],
                start_time=dtime(16, 0),
                end_time=dtime(17, 0),
                capacity=args.seats,
                seats_taken=0,
                min_grade=1,
                max_grade=6,
                fee_fen=0,
                status="open",
            )
            for i in range(args.courses)
        ]
        s.add_all(courses)
        s.flush()
        users, students = h.seed_guardians(
            s, school.id, classes, args.pupils, openid="o_rush_", student_no="R"
        )
        h.enrol(s, term, agreement, users, students, moment)
        tokens = [open_session(s, user_id=u.id)["access_token"] for u in users]
        s.commit()
        out_courses = [{"id": c.id, "weekday": c.weekdays[0]} for c in courses]
        out = [(st.id, tok) for st, tok in zip(students, tokens, strict=True)]
    engine.dispose()
    return out, out_courses


def selection_jobs(guardians: list, courses: list, args) -> list:
    """One job per guardian: `picks` taps on courses of different weekdays."""
    rng = random.Random(20260901)
    by_day: dict[int, list] = {}
    for c in courses:
        by_day.setdefault(c["weekday"], []).append(c["id"])
    jobs = []
    for student_id, token in guardians:
        days = rng.sample(sorted(by_day), args.picks)
        taps = []
        for day in days:
            body = json.dumps(
                {
                    "student_id": student_id,
                    "course_id": rng.choice(by_day[day]),
                    "join_waitlist": True,
                }
            ).encode()
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            if not args.no_idempotency_key:
                headers["Idempotency-Key"] = secrets.token_hex(8)
            taps.append(("selections", "POST", "/api/v1/selections", headers, body))
        jobs.append(taps)
    return jobs


def main() -> int:
    args = parse_args()
    with h.production_stack(args, DB_NAME, appid="wxbenchrush00001") as stack:
        t0 = time.perf_counter()
        guardians, courses = seed(stack.env, args)
        print(
            f"seeded {len(guardians)} enrolled pupils, {len(courses)} courses x {args.seats} "
            f"seats in {time.perf_counter() - t0:.1f}s"
        )
        proc = stack.start("kehou-selection-rush-gunicorn.log")
        n_requests = len(guardians) * args.picks

        health = h.healthz_jobs(n_requests)
        h.load(args.port, health[:500], args.concurrency)  # warm-up
        cpu0 = h.cpu_seconds(proc.pid)
        h_secs, h_lat, h_status = h.load(args.port, health, args.concurrency)
        cpu1 = h.cpu_seconds(proc.pid)
        jobs = selection_jobs(guardians, courses, args)
        s_secs, s_lat, s_status = h.load(args.port, jobs, args.concurrency)
        cpu2 = h.cpu_seconds(proc.pid)

        engine = sa.create_engine(stack.db_url)
        with engine.connect() as conn:
            oversold = conn.scalar(
                sa.text("SELECT COALESCE(SUM(GREATEST(seats_taken - capacity, 0)), 0) FROM courses")
            )
            mismatch = conn.scalar(
                sa.text(
                    "SELECT COUNT(*) FROM courses c WHERE c.seats_taken <> (SELECT COUNT(*) "
                    "FROM selections s WHERE s.course_id = c.id AND s.status = 'confirmed')"
                )
            )
            counts = dict(
                conn.execute(
                    sa.text("SELECT status, COUNT(*) FROM selections GROUP BY status")
                ).all()
            )
        engine.dispose()

        h_rps, s_rps = len(h_status) / h_secs, len(s_status) / s_secs
        codes = h.status_counts(s_status)
        errors_5xx = sum(v for k, v in codes.items() if k >= 500)
        print(
            f"server: gunicorn {args.workers} workers x {args.threads} threads, production "
            f"settings, PostgreSQL + Redis; load: {args.concurrency} keep-alive connections"
        )
        h.print_figures("/healthz", h_lat["healthz"], h_secs, width=13)
        h.print_figures("/selections", s_lat["selections"], s_secs, width=13)
        h.print_cpu_per_request("/healthz", cpu0, cpu1, len(h_status), width=12)
        h.print_cpu_per_request("/selections", cpu1, cpu2, len(s_status), width=12)
        s_p99 = h.pct(s_lat["selections"], 99)
        print(f"ratio (selection / healthz throughput): {s_rps / h_rps:.2f}   (target >= 0.5)")
        print(f"p99 selection latency: {s_p99:.0f} ms   (target <= 250)")
        print(f"status codes: {dict(sorted(codes.items()))}   5xx: {errors_5xx}   (target 0)")
        print(f"selections: {counts}")
        print(f"oversold seats: {oversold}   counter != confirmed rows: {mismatch}   (target 0)")
        return 0 if errors_5xx == 0 and oversold == 0 and mismatch == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
