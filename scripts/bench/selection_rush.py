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

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from datetime import time as dtime
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

DB_NAME = "kehou_bench_rush"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--redis", default="redis://127.0.0.1:6379/8")
    p.add_argument("--pupils", type=int, default=3000)
    p.add_argument("--courses", type=int, default=40)
    p.add_argument("--seats", type=int, default=30)
    p.add_argument("--picks", type=int, default=2, help="selections per guardian")
    p.add_argument("--concurrency", type=int, default=100)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--port", type=int, default=18731)
    p.add_argument("--no-idempotency-key", action="store_true")
    p.add_argument("--keep-db", action="store_true")
    return p.parse_args()


# --- database and seed ---------------------------------------------------------------------
def create_database(admin_url: str) -> str:
    url = sa.make_url(admin_url)
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{DB_NAME}"'))
    engine.dispose()
    return url.set(database=DB_NAME).render_as_string(hide_password=False)


def drop_database(admin_url: str) -> None:
    engine = sa.create_engine(sa.make_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
    engine.dispose()


def seed(env: dict, args) -> tuple[list, list]:
    """Tables, one school, enrolled pupils with a signed-in guardian each, the courses.
    Returns ([(student_id, access_token)], [course rows as dicts])."""
    from backend import create_app
    from backend.auth.models import User
    from backend.auth.sessions import open_session
    from backend.common.clock import now, today
    from backend.courses.models import Course
    from backend.database import Base
    from backend.schools.models import Grade, GuardianLink, School, SchoolClass, Student
    from backend.settings import Settings
    from backend.signup.models import Application
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
        from backend.database import get_session

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
        users = [User(openid=f"o_rush_{i}") for i in range(args.pupils)]
        students = [
            Student(
                school_id=school.id,
                class_id=classes[i % len(classes)].id,
                student_no=f"R{i:05d}",
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
        s.add_all(
            Application(
                term_id=term.id,
                student_id=st.id,
                school_id=school.id,
                class_id=st.class_id,
                state="enrolled",
                applicant_user_id=u.id,
                agreement_id=agreement.id,
                agreed_at=moment,
                enrolled_at=moment,
            )
            for u, st in zip(users, students, strict=True)
        )
        tokens = [open_session(s, user_id=u.id)["access_token"] for u in users]
        s.commit()
        out_courses = [{"id": c.id, "weekday": c.weekdays[0]} for c in courses]
        out = [(st.id, tok) for st, tok in zip(students, tokens, strict=True)]
    engine.dispose()
    return out, out_courses


# --- the server ----------------------------------------------------------------------------
def require_free_port(port: int) -> None:
    import socket

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} is in use: is another run going?")


def start_gunicorn(env: dict, args, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")  # noqa: SIM115  (closed with the process)
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--no-control-socket",
            "backend:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    import http.client

    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited: see {log_path}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=2)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.3)
    stop_gunicorn(proc)
    raise SystemExit(f"gunicorn did not become ready: see {log_path}")


def stop_gunicorn(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


# --- the load: asyncio HTTP/1.1 keep-alive clients (stdlib only) ---------------------------
class Conn:
    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None

    async def request(self, method: str, path: str, headers: dict, body: bytes = b""):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        if not status_line:  # the server closed the kept-alive connection: reconnect once
            self.writer = None
            return await self.request(method, path, headers, body)
        status = int(status_line.split()[1])
        length, close = 0, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        data = await self.reader.readexactly(length) if length else b""
        if close:
            self.writer.close()
            self.writer = None
        return status, data


async def run_load(port: int, jobs: list, concurrency: int) -> tuple[float, list, list]:
    """jobs: a list of lists of requests; one list runs in order on one connection (one
    guardian's taps). Returns (seconds, latencies in ms, statuses)."""
    queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    latencies, statuses = [], []

    async def client():
        conn = Conn(port)
        while not queue.empty():
            for method, path, headers, body in queue.get_nowait():
                t0 = time.perf_counter()
                try:
                    status, _ = await conn.request(method, path, headers, body)
                except (ConnectionError, asyncio.IncompleteReadError):
                    conn.writer, status = None, 599
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses.append(status)
        if conn.writer is not None:
            conn.writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return time.perf_counter() - start, latencies, statuses


def cpu_seconds(master_pid: int) -> tuple[float, float]:
    """CPU time used so far by gunicorn (master + workers) and by all postgres processes."""
    tick = os.sysconf("SC_CLK_TCK")
    app = db = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        ppid, used = int(fields[1]), (int(fields[11]) + int(fields[12])) / tick
        if int(entry.name) == master_pid or ppid == master_pid:
            app += used
        elif name.startswith("postgres"):
            db += used
    return app, db


def pct(values: list, p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    args = parse_args()
    # A second run would drop the first one's database under it.
    require_free_port(args.port)
    from backend.settings import DEMO_APPID
    from backend.wechat.fake_server import FakeWeChat

    assert DEMO_APPID != "wxbenchrush00001"
    wechat = FakeWeChat.start(appid="wxbenchrush00001", secret="bench-" + secrets.token_hex(8))
    db_url = create_database(args.pg)
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
    import redis

    redis.Redis.from_url(args.redis).flushdb()  # this benchmark's own Redis db
    proc = None
    try:
        t0 = time.perf_counter()
        guardians, courses = seed(env, args)
        print(
            f"seeded {len(guardians)} enrolled pupils, {len(courses)} courses x {args.seats} "
            f"seats in {time.perf_counter() - t0:.1f}s"
        )
        log_path = Path(tempfile.gettempdir()) / "kehou-selection-rush-gunicorn.log"
        proc = start_gunicorn(env, args, log_path)
        n_requests = len(guardians) * args.picks

        health = [[("GET", "/healthz", {}, b"")] for _ in range(n_requests)]
        asyncio.run(run_load(args.port, health[:500], args.concurrency))  # warm-up
        cpu0 = cpu_seconds(proc.pid)
        h_secs, h_lat, h_status = asyncio.run(run_load(args.port, health, args.concurrency))
        cpu1 = cpu_seconds(proc.pid)

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
                taps.append(("POST", "/api/v1/selections", headers, body))
            jobs.append(taps)
        s_secs, s_lat, s_status = asyncio.run(run_load(args.port, jobs, args.concurrency))
        cpu2 = cpu_seconds(proc.pid)

        engine = sa.create_engine(db_url)
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
        codes: dict[int, int] = {}
        for st in s_status:
            codes[st] = codes.get(st, 0) + 1
        errors_5xx = sum(v for k, v in codes.items() if k >= 500)
        print(
            f"server: gunicorn {args.workers} workers x {args.threads} threads, production "
            f"settings, PostgreSQL + Redis; load: {args.concurrency} keep-alive connections"
        )
        print(
            f"/healthz      {len(h_status):6d} req  {h_rps:8.0f} req/s  "
            f"p50 {pct(h_lat, 50):6.1f} ms  p99 {pct(h_lat, 99):6.1f} ms"
        )
        print(
            f"/selections   {len(s_status):6d} req  {s_rps:8.0f} req/s  "
            f"p50 {pct(s_lat, 50):6.1f} ms  p99 {pct(s_lat, 99):6.1f} ms"
        )
        for label, a, b, n in (
            ("/healthz", cpu0, cpu1, len(h_status)),
            ("/selections", cpu1, cpu2, len(s_status)),
        ):
            print(
                f"CPU per request {label:12s} app {(b[0] - a[0]) / n * 1000:5.2f} ms  "
                f"postgres {(b[1] - a[1]) / n * 1000:5.2f} ms  (2 cores shared with the load)"
            )
        print(f"ratio (selection / healthz throughput): {s_rps / h_rps:.2f}   (target >= 0.5)")
        print(f"p99 selection latency: {pct(s_lat, 99):.0f} ms   (target <= 250)")
        print(f"status codes: {dict(sorted(codes.items()))}   5xx: {errors_5xx}   (target 0)")
        print(f"selections: {counts}")
        print(f"oversold seats: {oversold}   counter != confirmed rows: {mismatch}   (target 0)")
        return 0 if errors_5xx == 0 and oversold == 0 and mismatch == 0 else 1
    finally:
        if proc is not None:
            stop_gunicorn(proc)
        wechat.stop()
        if not args.keep_db:
            drop_database(args.pg)


if __name__ == "__main__":
    sys.exit(main())
