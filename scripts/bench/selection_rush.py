#!/usr/bin/env python3
"""The opening rush of course selection, measured on production settings (a script, not a test).

    .venv/bin/python scripts/bench/selection_rush.py [--pupils 3000] [--concurrency 100]

One run: creates the database kehou_bench_rush on the local PostgreSQL, seeds a school of
3,000 enrolled pupils (one guardian each, signed in) and 40 courses x 30 seats, starts
gunicorn with KEHOU_ENV=production against it, Redis and a fake WeChat, then
  1. measures /healthz (this stack's ceiling: routing, middleware, JSON, no database),
  2. the floor: the same taps on a second set of 40 courses through POST /__bench/floor,
     the bare seat transaction (one conditional UPDATE + one INSERT, no auth), mounted
     only in the benchmark's gunicorn (scripts/bench/bench_app.py),
  3. lets every guardian choose two courses at once (6,000 POST /api/v1/selections at
     the given concurrency over keep-alive connections, each with an Idempotency-Key as
     the mini-program sends it, join_waitlist when full),
and prints throughput, the ratios (to /healthz and to the floor), p50/p99 latency, app and
PostgreSQL CPU, statements and transactions per request (counted in the app's engine),
5xx count and oversold seats (read from the database at the end). The database is
dropped afterwards.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import sys
import time
from datetime import time as dtime
from datetime import timedelta

import harness as h
import sqlalchemy as sa

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
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
    p.add_argument("--db-name", default=DB_NAME, help="one per concurrent run on the machine")
    p.add_argument(
        "--instances",
        type=int,
        choices=(1, 2),
        default=1,
        help="2: a second gunicorn on --port + 1 sharing PostgreSQL and Redis, the load "
        "spread over both, and every Idempotency-Key replayed on both instances",
    )
    return p.parse_args()


_TERM_FIELDS = [
    "school_id",
    "starts_on",
    "ends_on",
    "signup_opens_at",
    "signup_closes_at",
    "selection_mode",
    "selection_opens_at",
    "selection_closes_at",
    "publicity_days",
    "max_courses_per_student",
    "billing_mode",
    "base_fee_fen",
    "service_end_time",
    "pickup_cutoff_time",
]


# --- seed ----------------------------------------------------------------------------------
def seed(env: dict, args) -> tuple[list, list]:
    """Tables, one school, enrolled pupils with a signed-in guardian each, the courses.
    Returns ([(student_id, access_token)], [course rows as dicts], [floor course rows])."""
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
        # The floor's courses live in a twin term: its taps never count against the real
        # ones (limit, clashes) and the floor's rows are told apart by term.
        twin = Term(**{k: getattr(term, k) for k in _TERM_FIELDS}, name="基线学期")
        s.add_all([term, twin])
        s.flush()
        agreement = Agreement(term_id=term.id, version=1, title="协议", body="……")
        s.add(agreement)
        courses = [
            Course(
                school_id=school.id,
                term_id=term.id if prefix == "课程" else twin.id,
                name=f"{prefix}{i + 1}",
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
            for prefix in ("课程", "基线")
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
        out_courses = [
            {"id": c.id, "weekday": c.weekdays[0], "term_id": c.term_id, "school_id": school.id}
            for c in courses
        ]
        out = [(st.id, tok) for st, tok in zip(students, tokens, strict=True)]
    engine.dispose()
    return out, out_courses[: args.courses], out_courses[args.courses :]


def selection_jobs(guardians: list, courses: list, args, floor: bool = False) -> list:
    """One job per guardian: `picks` taps on courses of different weekdays (on the floor
    endpoint with floor=True)."""
    rng = random.Random(20260901)
    by_day: dict[int, list] = {}
    for c in courses:
        by_day.setdefault(c["weekday"], []).append(c["id"])
    jobs = []
    for student_id, token in guardians:
        days = rng.sample(sorted(by_day), args.picks)
        taps = []
        for day in days:
            data = {"student_id": student_id, "course_id": rng.choice(by_day[day])}
            headers = {"Content-Type": "application/json"}
            if floor:
                data.update(term_id=courses[0]["term_id"], school_id=courses[0]["school_id"])
                body = json.dumps(data).encode()
                taps.append(("floor", "POST", "/__bench/floor", headers, body))
                continue
            body = json.dumps({**data, "join_waitlist": True}).encode()
            headers["Authorization"] = f"Bearer {token}"
            if not args.no_idempotency_key:
                headers["Idempotency-Key"] = secrets.token_hex(8)
            taps.append(("selections", "POST", "/api/v1/selections", headers, body))
        jobs.append(taps)
    return jobs


def counts(folder: str) -> tuple[int, int]:
    """(statements, transactions) so far, summed over the workers' count files."""
    time.sleep(0.5)  # each worker publishes its counts every 0.2 s
    total = [0, 0]
    for name in os.listdir(folder):
        with open(os.path.join(folder, name)) as f:
            for i, value in enumerate(f.read().split()):
                total[i] += int(value)
    return total[0], total[1]


def print_statements(label: str, before: tuple, after: tuple, n: int) -> None:
    """One line: statements and transactions per request between two counts() readings."""
    print(
        f"statements per request {label:12s} {(after[0] - before[0]) / n:5.1f}  "
        f"transactions {(after[1] - before[1]) / n:4.1f}"
    )


def main() -> int:
    import tempfile

    args = parse_args()
    with h.production_stack(args, args.db_name, appid="wxbenchrush00001") as stack:
        t0 = time.perf_counter()
        guardians, courses, floor_courses = seed(stack.env, args)
        print(
            f"seeded {len(guardians)} enrolled pupils, {len(courses)} courses x {args.seats} "
            f"seats (and as many for the floor) in {time.perf_counter() - t0:.1f}s"
        )
        count_dir = tempfile.mkdtemp(prefix="kehou-bench-counts-")
        path = stack.env.get("PYTHONPATH")
        stack.env["PYTHONPATH"] = BENCH_DIR + (os.pathsep + path if path else "")
        stack.env["KEHOU_BENCH_COUNTS_DIR"] = count_dir
        proc = stack.start("kehou-selection-rush-gunicorn.log", app="bench_app:create_app()")
        second = start_second(stack, args)
        try:
            return run(stack, args, proc, second, guardians, courses, floor_courses, count_dir)
        finally:
            if second is not None:
                h.stop_gunicorn(second)


def start_second(stack, args):
    """With --instances 2: the same app on --port + 1, same database and Redis."""
    if args.instances == 1:
        return None
    import tempfile
    from pathlib import Path

    port = args.port + 1
    h.require_free_port(port)
    env = {**stack.env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
    log = Path(tempfile.gettempdir()) / "kehou-selection-rush-gunicorn-2.log"
    return h.start_gunicorn(env, port, log, app="bench_app:create_app()")


def replay_everywhere(ports: list, jobs: list, concurrency: int, db_url: str, first) -> bool:
    """Every tap sent again, same Idempotency-Key and body, to each instance: each must
    answer as the first time (`first`: {status: count}), with no new row (a store not
    shared across instances would answer 409 already_selected instead of the stored 201)."""
    engine = sa.create_engine(db_url)
    count = sa.text("SELECT COUNT(*) FROM selections")
    with engine.connect() as conn:
        before = conn.scalar(count)
    taps = [[tap] for job in jobs for tap in job]
    codes: dict = {}
    for port in ports:
        _, _, statuses = h.load(port, taps, concurrency)
        for code, n in h.status_counts(statuses).items():
            codes[code] = codes.get(code, 0) + n
    with engine.connect() as conn:
        after = conn.scalar(count)
    engine.dispose()
    print(
        f"replayed {len(taps)} Idempotency-Keys on each of {len(ports)} instances: "
        f"{dict(sorted(codes.items()))}, new selection rows: {after - before}   (target 0)"
    )
    return after == before and codes == {k: v * len(ports) for k, v in first.items()}


def run(stack, args, proc, second, guardians, courses, floor_courses, count_dir) -> int:
    """The phases and the figures (one or two instances)."""
    ports = [args.port] if second is None else [args.port, args.port + 1]
    masters = [p.pid for p in (proc, second) if p is not None]

    def cpu() -> tuple[float, float]:
        app = sum(h.cpu_seconds(pid, args.db_name)[0] for pid in masters)
        return app, h.cpu_seconds(masters[0], args.db_name)[1]

    n_requests = len(guardians) * args.picks

    health = h.healthz_jobs(n_requests)
    h.load(ports, health[:500], args.concurrency)  # warm-up
    cpu0 = cpu()
    h_secs, h_lat, h_status = h.load(ports, health, args.concurrency)
    cpu_h1 = cpu()
    n0 = counts(count_dir)
    cpu_f0 = cpu()
    f_jobs = selection_jobs(guardians, floor_courses, args, floor=True)
    f_secs, f_lat, f_status = h.load(ports, f_jobs, args.concurrency)
    cpu_f1 = cpu()
    n1 = counts(count_dir)
    cpu1 = cpu()
    jobs = selection_jobs(guardians, courses, args)
    s_secs, s_lat, s_status = h.load(ports, jobs, args.concurrency)
    cpu2 = cpu()
    n2 = counts(count_dir)

    replay_ok = True
    if second is not None:
        first = h.status_counts(s_status)
        replay_ok = replay_everywhere(ports, jobs, args.concurrency, stack.db_url, first)

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
        by_status = dict(
            conn.execute(
                sa.text(
                    "SELECT s.status, COUNT(*) FROM selections s JOIN courses c "
                    "ON c.id = s.course_id WHERE c.name LIKE '课程%' GROUP BY s.status"
                )
            ).all()
        )
    engine.dispose()

    h_rps, s_rps = len(h_status) / h_secs, len(s_status) / s_secs
    f_rps = len(f_status) / f_secs
    codes = h.status_counts(s_status)
    f_codes = h.status_counts(f_status)
    errors_5xx = sum(v for k, v in {**codes, **f_codes}.items() if k >= 500)
    print(
        f"server: {len(ports)} x gunicorn {args.workers} workers x {args.threads} threads, "
        "production "
        f"settings, PostgreSQL + Redis; load: {args.concurrency} keep-alive connections"
    )
    h.print_figures("/healthz", h_lat["healthz"], h_secs, width=13)
    h.print_figures("floor", f_lat["floor"], f_secs, width=13)
    h.print_figures("/selections", s_lat["selections"], s_secs, width=13)
    h.print_cpu_per_request("/healthz", cpu0, cpu_h1, len(h_status), width=12)
    h.print_cpu_per_request("floor", cpu_f0, cpu_f1, len(f_status), width=12)
    h.print_cpu_per_request("/selections", cpu1, cpu2, len(s_status), width=12)
    print_statements("floor", n0, n1, len(f_status))
    print_statements("/selections", n1, n2, len(s_status))
    s_p99 = h.pct(s_lat["selections"], 99)
    print(f"ratio (selection / healthz throughput): {s_rps / h_rps:.2f}")
    print(f"ratio (selection / floor throughput): {s_rps / f_rps:.2f}   (target >= 0.5)")
    print(f"p99 selection latency: {s_p99:.0f} ms   (target <= 250)")
    print(f"status codes: {dict(sorted(codes.items()))}   5xx: {errors_5xx}   (target 0)")
    print(f"floor status codes: {dict(sorted(f_codes.items()))}")
    print(f"selections: {by_status}")
    print(f"oversold seats: {oversold}   counter != confirmed rows: {mismatch}   (target 0)")
    ok = errors_5xx == 0 and oversold == 0 and mismatch == 0 and replay_ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
