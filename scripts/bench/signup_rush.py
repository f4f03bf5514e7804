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
helpers are selection_rush.py's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import tempfile
import time
from datetime import time as dtime
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import selection_rush as rush  # noqa: E402
import sqlalchemy as sa  # noqa: E402

# selection_rush's database helpers read this module global: a database of our own.
rush.DB_NAME = "kehou_bench_signup"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--redis", default="redis://127.0.0.1:6379/11")
    p.add_argument("--pupils", type=int, default=3000)
    p.add_argument("--classes", type=int, default=60)
    p.add_argument("--concurrency", type=int, default=100)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--port", type=int, default=18741)
    p.add_argument("--double-tap", action="store_true", help="every guardian sends twice")
    p.add_argument("--keep-db", action="store_true")
    return p.parse_args()


def seed(env: dict, args) -> tuple[list, int, int]:
    """Tables, one school, pupils with a signed-in guardian each, an open sign-up term.
    Returns ([(student_id, access_token)], term_id, agreement_id)."""
    from backend import create_app
    from backend.auth.models import User
    from backend.auth.sessions import open_session
    from backend.common.clock import now, today
    from backend.database import Base, get_session
    from backend.schools.models import Grade, GuardianLink, School, SchoolClass, Student
    from backend.settings import Settings
    from backend.terms.models import Agreement, Term

    settings = Settings.from_env(
        env="production",
        database_url=env["DATABASE_URL"],
        redis_url=env["REDIS_URL"],
        secret_key=env["SECRET_KEY"],
        wechat_api_base_url=env["WECHAT_API_BASE_URL"],
        wechat_appid=env["WECHAT_APPID"],
        wechat_secret=env["WECHAT_SECRET"],
        extra={"access_log": False},
    )
    app = create_app(settings)
    engine = app.extensions["kehou"]["engine"]
    Base.metadata.create_all(engine)
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
        users = [User(openid=f"o_signup_{i}") for i in range(args.pupils)]
        students = [
            Student(
                school_id=school.id,
                class_id=classes[i % len(classes)].id,
                student_no=f"S{i:05d}",
                name=f"学生{i}",
                priority_flags=[],
            )
            for i in range(args.pupils)
        ]
        s.add_all(users + students)
        s.flush()
        s.add_all(
            GuardianLink(user_id=u.id, student_id=st.id, relation="mother", verified_by="phone")
            for u, st in zip(users, students, strict=True)
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
        tap = ("POST", "/api/v1/applications", headers, body)
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
    # A second run would drop the first one's database under it.
    rush.require_free_port(args.port)
    import os

    import redis

    from backend.settings import DEMO_APPID
    from backend.wechat.fake_server import FakeWeChat

    assert DEMO_APPID != "wxbenchsignup001"
    wechat = FakeWeChat.start(appid="wxbenchsignup001", secret="bench-" + secrets.token_hex(8))
    db_url = rush.create_database(args.pg)
    env = {
        **os.environ,
        "KEHOU_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": db_url,
        "REDIS_URL": args.redis,
        "WECHAT_API_BASE_URL": wechat.base_url,
        "WECHAT_APPID": wechat.appid,
        "WECHAT_SECRET": wechat.secret,
        "GUNICORN_BIND": f"127.0.0.1:{args.port}",
        "GUNICORN_WORKERS": str(args.workers),
        "GUNICORN_THREADS": str(args.threads),
        "GUNICORN_LOG_LEVEL": "warning",
    }
    redis.Redis.from_url(args.redis).flushdb()  # this benchmark's own Redis db
    proc = None
    try:
        t0 = time.perf_counter()
        guardians, term_id, agreement_id = seed(env, args)
        print(
            f"seeded {len(guardians)} pupils with a signed-in guardian each in "
            f"{time.perf_counter() - t0:.1f}s"
        )
        log_path = Path(tempfile.gettempdir()) / "kehou-signup-rush-gunicorn.log"
        proc = rush.start_gunicorn(env, args, log_path)
        jobs = signup_jobs(guardians, term_id, agreement_id, args.double_tap)

        health = [[("GET", "/healthz", {}, b"")] for _ in range(len(jobs))]
        asyncio.run(rush.run_load(args.port, health[:500], args.concurrency))  # warm-up
        cpu0 = rush.cpu_seconds(proc.pid)
        h_secs, h_lat, h_status = asyncio.run(rush.run_load(args.port, health, args.concurrency))
        cpu1 = rush.cpu_seconds(proc.pid)
        a_secs, a_lat, a_status = asyncio.run(rush.run_load(args.port, jobs, args.concurrency))
        cpu2 = rush.cpu_seconds(proc.pid)
        db = from_database(db_url)

        h_rps, a_rps = len(h_status) / h_secs, len(a_status) / a_secs
        codes: dict[int, int] = {}
        for st in a_status:
            codes[st] = codes.get(st, 0) + 1
        non_2xx = {k: v for k, v in sorted(codes.items()) if not 200 <= k < 300}
        taps = "2 taps (same Idempotency-Key)" if args.double_tap else "1 tap"
        print(
            f"server: gunicorn {args.workers} workers x {args.threads} threads, production "
            f"settings, PostgreSQL + Redis; load: {args.concurrency} keep-alive connections, "
            f"{len(guardians)} guardians x {taps}"
        )
        print(
            f"/healthz        {len(h_status):6d} req  {h_rps:8.0f} req/s  "
            f"p50 {rush.pct(h_lat, 50):6.1f} ms  p99 {rush.pct(h_lat, 99):6.1f} ms"
        )
        print(
            f"/applications   {len(a_status):6d} req  {a_rps:8.0f} req/s  "
            f"p50 {rush.pct(a_lat, 50):6.1f} ms  p99 {rush.pct(a_lat, 99):6.1f} ms"
        )
        for label, a, b, n in (
            ("/healthz", cpu0, cpu1, len(h_status)),
            ("/applications", cpu1, cpu2, len(a_status)),
        ):
            print(
                f"CPU per request {label:14s} app {(b[0] - a[0]) / n * 1000:5.2f} ms  "
                f"postgres {(b[1] - a[1]) / n * 1000:5.2f} ms  (2 cores shared with the load)"
            )
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
    finally:
        if proc is not None:
            rush.stop_gunicorn(proc)
        wechat.stop()
        if not args.keep_db:
            rush.drop_database(args.pg)


if __name__ == "__main__":
    sys.exit(main())
