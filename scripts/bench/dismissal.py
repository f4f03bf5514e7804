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

import argparse
import asyncio
import json
import os
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

DB_NAME = "kehou_bench_dismissal"
GATE_ACCOUNTS = 50


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--redis", default="redis://127.0.0.1:6379/7")
    p.add_argument("--pupils", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=20)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--port", type=int, default=18751)
    p.add_argument(
        "--no-idempotency-key",
        action="store_true",
        help="confirm without the Idempotency-Key header (the gate app sends one)",
    )
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


def seed(env: dict, pupils: int) -> tuple[list, list]:
    """Tables and one school; returns ([(code, qr_token)] per pupil, [gate access tokens])."""
    from backend import create_app
    from backend.auth.models import User
    from backend.auth.sessions import open_session
    from backend.auth.tokens import digest
    from backend.common.clock import now, today
    from backend.database import Base, get_session
    from backend.pickup.codes import code_digest, make_token, nonce_digest
    from backend.pickup.common import end_of_day
    from backend.pickup.models import HandoffCode, PickupPerson
    from backend.schools.models import Grade, GuardianLink, RoleGrant, School, SchoolClass, Student
    from backend.settings import Settings
    from backend.signup.models import Application
    from backend.terms.models import Agreement, CalendarOverride, Term

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
        guardians = [User(openid=f"o_dismiss_{i}") for i in range(pupils)]
        gates = [User(openid=f"o_gate_{i}") for i in range(GATE_ACCOUNTS)]
        students = [
            Student(
                school_id=school.id,
                class_id=classes[i % len(classes)].id,
                student_no=f"D{i:05d}",
                name=f"学生{i}",
                priority_flags=[],
            )
            for i in range(pupils)
        ]
        s.add_all(guardians + gates + students)
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
        s.add_all(
            GuardianLink(user_id=u.id, student_id=st.id, relation="mother", verified_by="phone")
            for u, st in zip(guardians, students, strict=True)
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
            for u, st in zip(guardians, students, strict=True)
        )
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


# --- the server ----------------------------------------------------------------------------
def start_gunicorn(env: dict, port: int, log_path: Path) -> subprocess.Popen:
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
    import http.client

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited: see {log_path}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not become ready")


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


async def run_load(port: int, jobs: list, concurrency: int) -> tuple[float, dict, list]:
    """jobs: lists of (label, method, path, headers, body) run in order on one connection
    (one pupil at the gate: verify, then confirm). Returns (seconds, latencies in ms by
    label, [(label, status)])."""
    queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    latencies: dict[str, list] = {}
    statuses: list = []

    async def client():
        conn = Conn(port)
        while not queue.empty():
            for label, method, path, headers, body in queue.get_nowait():
                t0 = time.perf_counter()
                try:
                    status, _ = await conn.request(method, path, headers, body)
                except (ConnectionError, asyncio.IncompleteReadError):
                    conn.writer, status = None, 599
                latencies.setdefault(label, []).append((time.perf_counter() - t0) * 1000)
                statuses.append((label, status))
        if conn.writer is not None:
            conn.writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return time.perf_counter() - start, latencies, statuses


def pct(values: list, p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


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
    from backend.wechat.fake_server import FakeWeChat

    wechat = FakeWeChat.start(appid="wxbenchdismiss01", secret="bench-" + secrets.token_hex(8))
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
    load_before = os.getloadavg()[0]
    try:
        t0 = time.perf_counter()
        codes, gate_tokens = seed(env, args.pupils)
        print(
            f"seeded {len(codes)} enrolled pupils with a person and today's code each, "
            f"{len(gate_tokens)} gate accounts in {time.perf_counter() - t0:.1f}s"
        )
        log_path = Path(tempfile.gettempdir()) / "kehou-dismissal-gunicorn.log"
        proc = start_gunicorn(env, args.port, log_path)

        health = [[("healthz", "GET", "/healthz", {}, b"")] for _ in range(2 * len(codes))]
        asyncio.run(run_load(args.port, health[:300], args.concurrency))  # warm-up
        h_secs, h_lat, h_status = asyncio.run(run_load(args.port, health, args.concurrency))
        g_secs, g_lat, g_status = asyncio.run(
            run_load(
                args.port,
                gate_jobs(codes, gate_tokens, not args.no_idempotency_key),
                args.concurrency,
            )
        )
        load_after = os.getloadavg()[0]

        engine = sa.create_engine(db_url)
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
        print(
            f"/healthz           {len(h_status):6d} req  {h_rps:8.0f} req/s  "
            f"p50 {pct(h_lat['healthz'], 50):6.1f} ms  p99 {pct(h_lat['healthz'], 99):6.1f} ms"
        )
        for label in ("verify", "handoffs"):
            lat = g_lat[label]
            print(
                f"/gate/{label:<12} {len(lat):6d} req  {len(lat) / g_secs:8.0f} req/s  "
                f"p50 {pct(lat, 50):6.1f} ms  p99 {pct(lat, 99):6.1f} ms"
            )
        pairs_per_s = len(codes) / g_secs
        print(
            f"handoffs (verify + confirm): {len(codes)} in {g_secs:.1f}s = {pairs_per_s:.0f}/s "
            f"({len(g_status) / g_secs:.0f} req/s; {len(g_status) / g_secs / h_rps:.2f} of "
            f"/healthz)   (target: all within 300 s)"
        )
        worst = max(pct(g_lat["verify"], 99), pct(g_lat["handoffs"], 99))
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
    finally:
        if proc is not None:
            stop_gunicorn(proc)
        wechat.stop()
        if not args.keep_db:
            drop_database(args.pg)


if __name__ == "__main__":
    sys.exit(main())
