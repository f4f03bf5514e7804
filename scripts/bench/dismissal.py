#!/usr/bin/env python3
"""The 18:00 queue at the gate, measured on production settings (a script, not a test).

    .venv/bin/python scripts/bench/dismissal.py [--pupils 1000] [--concurrency 20]

One run: creates the database kehou_bench_dismissal on the local PostgreSQL, seeds one
school through the models (1,000 enrolled pupils with a guardian, an authorised pickup
person and today's handoff code each, 50 gate staff accounts, today made a service day),
starts gunicorn (--no-control-socket, KEHOU_ENV=production, several workers) against it
and Redis, then
  1. measures /healthz (this stack's ceiling: routing, middleware, JSON, no database),
  2. runs every handoff as the gate does it: POST /api/v1/gate/verify then
     POST /api/v1/gate/handoffs (released), half by QR token and half by 6-digit code,
     at the given concurrency over keep-alive connections, each connection one gate
     account at a time (the per-account rate limit of 60/minute is left as in production,
     so the accounts share the queue as a real gate's staff would),
and prints throughput, p50/p99 of each call, the non-2xx count and what the database
holds afterwards (one released handoff per pupil, every code used, an outbox message per
guardian). The database is dropped at the end (--keep-db keeps it).
Targets: the 1,000 handoffs within five minutes, p99 <= 200 ms, 0 errors.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from datetime import time as dtime
from datetime import timedelta

import harness as h
import sqlalchemy as sa

DB_NAME = "kehou_bench_dismissal"
GATE_ACCOUNTS = 50


def parse_args():
    p = h.arg_parser(__doc__, redis_db=7)
    p.add_argument("--pupils", type=int, default=1000)
    h.add_server_args(p, concurrency=20, port=18751)
    p.add_argument(
        "--no-idempotency-key",
        action="store_true",
        help="confirm without the Idempotency-Key header (the gate app sends one)",
    )
    p.add_argument("--keep-db", action="store_true")
    return p.parse_args()


# --- seed ----------------------------------------------------------------------------------
def seed(env: dict, pupils: int) -> tuple[list, list]:
    """Tables and one school; returns ([(code, qr_token)] per pupil, [gate access tokens])."""
    from backend.auth.models import User
    from backend.auth.sessions import open_session
    from backend.auth.tokens import digest
    from backend.common.clock import now, today
    from backend.database import get_session
    from backend.pickup.codes import code_digest, make_token, nonce_digest
    from backend.pickup.models import HandoffCode, PickupPerson
    from backend.pickup.queries import end_of_day
    from backend.schools.models import Grade, RoleGrant, School, SchoolClass
    from backend.terms.models import Agreement, CalendarOverride, Term

    app, engine = h.production_app(env)
    moment, day = now(), today()
    with app.app_context():
        s = get_session()
        school = School(name="接送压测小学", code="DISMISS1")
        s.add(school)
        s.flush()
        grade = Grade(school_id=school.id, name="二年级", level=2)
        s.add(grade)
        s.flush()
        classes = [
            SchoolClass(school_id=school.id, grade_id=grade.id, name=f"{i}班") for i in range(1, 26)
        ]
        s.add_all(classes)
        term = Term(
            school_id=school.id,
            name="压测学期",
            starts_on=day - timedelta(days=30),
            ends_on=day + timedelta(days=90),
            signup_opens_at=moment - timedelta(days=40),
            signup_closes_at=moment - timedelta(days=35),
            selection_mode="fcfs",
            selection_opens_at=moment - timedelta(days=34),
            selection_closes_at=moment - timedelta(days=33),
            publicity_days=3,
            max_courses_per_student=2,
            billing_mode="monthly",
            base_fee_fen=6000,
            service_end_time=dtime(17, 30),
            pickup_cutoff_time=dtime(15, 0),
        )
        s.add(term)
        s.flush()
        # The benchmark runs on any day of the week: today is a service day by override.
        s.add(CalendarOverride(term_id=term.id, day=day, is_service_day=True))
        agreement = Agreement(term_id=term.id, version=1, title="协议", body="……")
        s.add(agreement)
        guardians, students = h.seed_guardians(
            s, school.id, classes, pupils, openid="o_dismiss_", student_no="D"
        )
        gates = [User(openid=f"o_gate_{i}") for i in range(GATE_ACCOUNTS)]
        s.add_all(gates)
        s.flush()
        s.add_all(
            RoleGrant(
                school_id=school.id,
                role="gate_staff",
                name=f"门卫{i}",
                code_hash=digest(f"bench-gate-{i}"),
                code_expires_at=moment,
                user_id=u.id,
                bound_at=moment,
            )
            for i, u in enumerate(gates)
        )
        h.enrol(s, term, agreement, guardians, students, moment)
        persons = [
            PickupPerson(
                student_id=st.id,
                school_id=school.id,
                name=f"奶奶{i}",
                relation="grandmother",
                phone=f"135{i:08d}",
                created_by=u.id,
            )
            for i, (u, st) in enumerate(zip(guardians, students, strict=True))
        ]
        s.add_all(persons)
        s.flush()
        codes, nonces = [f"{i:06d}" for i in range(100000, 100000 + pupils)], []
        rows = []
        for u, st, p, code in zip(guardians, students, persons, codes, strict=True):
            nonce = secrets.token_urlsafe(24)
            nonces.append(nonce)
            rows.append(
                HandoffCode(
                    school_id=school.id,
                    student_id=st.id,
                    person_id=p.id,
                    service_date=day,
                    code_hash=code_digest(code),
                    token_hash=nonce_digest(nonce),
                    status="active",
                    expires_at=end_of_day(day),
                    created_by=u.id,
                )
            )
        s.add_all(rows)
        s.flush()
        handoff_codes = [
            (code, make_token(row.id, nonce))
            for code, row, nonce in zip(codes, rows, nonces, strict=True)
        ]
        gate_tokens = [open_session(s, user_id=u.id)["access_token"] for u in gates]
        s.commit()
    engine.dispose()
    return handoff_codes, gate_tokens


def gate_jobs(codes: list, gate_tokens: list, idempotency_key: bool = True) -> list:
    jobs = []
    for i, (code, qr_token) in enumerate(codes):
        headers = {
            "Authorization": f"Bearer {gate_tokens[i % len(gate_tokens)]}",
            "Content-Type": "application/json",
        }
        key = {"qr_token": qr_token} if i % 2 == 0 else {"code": code}
        jobs.append(
            [
                ("verify", "POST", "/api/v1/gate/verify", headers, json.dumps(key).encode()),
                (
                    "handoffs",
                    "POST",
                    "/api/v1/gate/handoffs",
                    {**headers, "Idempotency-Key": secrets.token_hex(8)}
                    if idempotency_key
                    else headers,
                    json.dumps({**key, "outcome": "released"}).encode(),
                ),
            ]
        )
    return jobs


def main() -> int:
    args = parse_args()
    with h.production_stack(args, DB_NAME, appid="wxbenchdismiss01") as stack:
        load_before = h.load_average()[0]
        t0 = time.perf_counter()
        codes, gate_tokens = seed(stack.env, args.pupils)
        print(
            f"seeded {len(codes)} enrolled pupils with a person and today's code each, "
            f"{len(gate_tokens)} gate accounts in {time.perf_counter() - t0:.1f}s"
        )
        stack.start("kehou-dismissal-gunicorn.log")

        health = h.healthz_jobs(2 * len(codes))
        h.load(args.port, health[:300], args.concurrency)  # warm-up
        h_secs, h_lat, h_status = h.load(args.port, health, args.concurrency)
        g_secs, g_lat, g_status = h.load(
            args.port,
            gate_jobs(codes, gate_tokens, not args.no_idempotency_key),
            args.concurrency,
        )
        load_after = h.load_average()[0]

        engine = sa.create_engine(stack.db_url)
        with engine.connect() as conn:
            released = conn.scalar(
                sa.text("SELECT COUNT(*) FROM handoffs WHERE outcome = 'released'")
            )
            double = conn.scalar(
                sa.text(
                    "SELECT COUNT(*) FROM (SELECT student_id FROM handoffs "
                    "GROUP BY student_id HAVING COUNT(*) > 1) x"
                )
            )
            used = conn.scalar(sa.text("SELECT COUNT(*) FROM handoff_codes WHERE status = 'used'"))
            messages = conn.scalar(
                sa.text("SELECT COUNT(*) FROM outbox_messages WHERE kind = 'handoff_released'")
            )
            attempts = conn.scalar(sa.text("SELECT COUNT(*) FROM gate_attempts"))
        engine.dispose()

        by_status: dict[str, dict[int, int]] = {}
        for label, st in g_status:
            by_status.setdefault(label, {}).setdefault(st, 0)
            by_status[label][st] += 1
        non_2xx = sum(1 for _, st in g_status if not 200 <= st < 300)
        h_rps = len(h_status) / h_secs
        print(
            f"server: gunicorn {args.workers} workers x {args.threads} threads, production "
            f"settings, PostgreSQL + Redis; load: {args.concurrency} keep-alive connections, "
            f"{len(gate_tokens)} gate accounts; Idempotency-Key on confirms: "
            f"{'no' if args.no_idempotency_key else 'yes'}"
        )
        print(
            f"machine: {os.cpu_count()} CPUs, load average {load_before:.1f} before and "
            f"{load_after:.1f} after the run (the load generator and PostgreSQL share them)"
        )
        h.print_figures("/healthz", h_lat["healthz"], h_secs, width=18)
        for label in ("verify", "handoffs"):
            h.print_figures(f"/gate/{label}", g_lat[label], g_secs, width=18)
        pairs_per_s = len(codes) / g_secs
        print(
            f"handoffs (verify + confirm): {len(codes)} in {g_secs:.1f}s = {pairs_per_s:.0f}/s "
            f"({len(g_status) / g_secs:.0f} req/s; {len(g_status) / g_secs / h_rps:.2f} of "
            f"/healthz)   (target: all within 300 s)"
        )
        worst = max(h.pct(g_lat["verify"], 99), h.pct(g_lat["handoffs"], 99))
        print(f"worst p99: {worst:.0f} ms   (target <= 200)")
        print(f"status codes: {by_status}   non-2xx: {non_2xx}   (target 0)")
        print(
            f"database: {released} released handoffs, {double} pupils released twice, "
            f"{used} codes used, {messages} guardian messages queued, {attempts} attempts logged"
        )
        ok = (
            non_2xx == 0
            and released == len(codes) == used == messages
            and double == 0
            and g_secs <= 300
        )
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
