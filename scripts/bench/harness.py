"""What the benchmark scripts share: database, gunicorn stack, keep-alive load, figures, CPU."""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


# --- arguments -----------------------------------------------------------------------------
def arg_parser(doc: str, redis_db: int | None = None) -> argparse.ArgumentParser:
    """A parser described by the script's first paragraph, with --pg (and --redis on the
    given Redis database number, one per benchmark)."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    p.add_argument("--pg", default=ADMIN_URL)
    if redis_db is not None:
        p.add_argument("--redis", default=f"redis://127.0.0.1:6379/{redis_db}")
    return p


def add_server_args(p: argparse.ArgumentParser, concurrency: int, port: int) -> None:
    """--concurrency (load connections), --workers, --threads (gunicorn) and --port."""
    p.add_argument("--concurrency", type=int, default=concurrency)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--port", type=int, default=port)


# --- the benchmark database ----------------------------------------------------------------
def create_database(admin_url: str, name: str) -> str:
    """(Re)create the database `name` next to admin_url's; returns its URL."""
    url = sa.make_url(admin_url)
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    """Drop the database `name`, disconnecting whoever is still on it."""
    engine = sa.create_engine(sa.make_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


# --- the production stack: FakeWeChat, gunicorn, Redis -------------------------------------
@dataclass
class Stack:
    """One benchmark's running stack: the environment gunicorn is started with."""

    env: dict
    db_url: str
    port: int
    proc: subprocess.Popen | None = None

    def start(self, log_name: str, app: str = "backend:create_app()") -> subprocess.Popen:
        """Start gunicorn (logging to log_name in the temp dir) and wait until it is ready."""
        import tempfile

        log = Path(tempfile.gettempdir()) / log_name
        self.proc = start_gunicorn(self.env, self.port, log, app=app)
        return self.proc


@contextmanager
def production_stack(args, db_name: str, appid: str):
    """A FakeWeChat with `appid`, a fresh database `db_name`, this benchmark's Redis db
    flushed and the gunicorn environment (KEHOU_ENV=production); on leaving, gunicorn and
    the fake are stopped and the database dropped (unless --keep-db)."""
    import redis

    from backend.settings import DEMO_APPID
    from backend.wechat.fake_server import FakeWeChat

    # A second run would drop the first one's database under it.
    require_free_port(args.port)
    assert appid != DEMO_APPID
    wechat = FakeWeChat.start(appid=appid, secret="bench-" + secrets.token_hex(8))
    db_url = create_database(args.pg, db_name)
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
    stack = Stack(env=env, db_url=db_url, port=args.port)
    try:
        yield stack
    finally:
        if stack.proc is not None:
            stop_gunicorn(stack.proc)
        wechat.stop()
        if not args.keep_db:
            drop_database(args.pg, db_name)


def production_app(env: dict):
    """The app on production settings from a stack's env (for seeding), tables created.
    Returns (app, engine)."""
    from backend import create_app
    from backend.database import Base
    from backend.settings import Settings

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
    return app, engine


def seed_guardians(s, school_id: int, classes: list, n: int, openid: str, student_no: str):
    """n pupils spread over classes, each with a guardian user (linked, verified by phone);
    openid and student_no are the prefixes of their identifiers. Returns (users, students)."""
    from backend.auth.models import User
    from backend.schools.models import GuardianLink, Student

    users = [User(openid=f"{openid}{i}") for i in range(n)]
    students = [
        Student(
            school_id=school_id,
            class_id=classes[i % len(classes)].id,
            student_no=f"{student_no}{i:05d}",
            name=f"学生{i}",
            priority_flags=[],
        )
        for i in range(n)
    ]
    s.add_all(users + students)
    s.flush()
    s.add_all(
        GuardianLink(user_id=u.id, student_id=st.id, relation="mother", verified_by="phone")
        for u, st in zip(users, students, strict=True)
    )
    return users, students


def enrol(s, term, agreement, users: list, students: list, moment) -> None:
    """An enrolled application for each pupil, made by its guardian at `moment`."""
    from backend.signup.models import Application

    s.add_all(
        Application(
            term_id=term.id,
            student_id=st.id,
            school_id=term.school_id,
            class_id=st.class_id,
            state="enrolled",
            applicant_user_id=u.id,
            agreement_id=agreement.id,
            agreed_at=moment,
            enrolled_at=moment,
        )
        for u, st in zip(users, students, strict=True)
    )


def require_free_port(port: int) -> None:
    """Exit if something already listens on 127.0.0.1:port."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} is in use: is another run going?")


def start_gunicorn(
    env: dict, port: int, log_path: Path, app: str = "backend:create_app()"
) -> subprocess.Popen:
    """gunicorn with the repository's config in its own process group; waits for /readyz.
    `app` is the app spec (scripts/bench's bench_app:create_app() for the floor endpoint)."""
    log = open(log_path, "wb")  # noqa: SIM115  (closed with the process)
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--no-control-socket",
            app,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
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
    stop_gunicorn(proc)
    raise SystemExit(f"gunicorn did not become ready: see {log_path}")


def stop_gunicorn(proc: subprocess.Popen) -> None:
    """SIGTERM the process group, SIGKILL after 30 s."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


# --- the load: asyncio HTTP/1.1 keep-alive clients (stdlib only) ---------------------------
class Conn:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1:port, reconnecting when closed."""

    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None

    async def request(self, method: str, path: str, headers: dict, body: bytes = b""):
        """Send one request; returns (status, body)."""
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


async def run_load(port, jobs: list, concurrency: int) -> tuple[float, dict, list]:
    """jobs: lists of (label, method, path, headers, body) run in order on one connection
    (one user's taps), `concurrency` connections at once. Returns (seconds, latencies in
    ms by label, [(label, status)])."""
    queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    latencies: dict[str, list] = {}
    statuses: list = []

    ports = port if isinstance(port, list) else [port]

    async def client(index: int):
        conn = Conn(ports[index % len(ports)])
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
    await asyncio.gather(*(client(i) for i in range(concurrency)))
    return time.perf_counter() - start, latencies, statuses


def load(port, jobs: list, concurrency: int) -> tuple[float, dict, list]:
    """run_load, run to completion (port: one, or a list the connections spread over)."""
    return asyncio.run(run_load(port, jobs, concurrency))


def healthz_jobs(n: int) -> list:
    """n single-request jobs GET /healthz (label "healthz")."""
    return [[("healthz", "GET", "/healthz", {}, b"")] for _ in range(n)]


def status_counts(statuses: list) -> dict[int, int]:
    """{status: count} of [(label, status)]."""
    codes: dict[int, int] = {}
    for _, st in statuses:
        codes[st] = codes.get(st, 0) + 1
    return codes


# --- figures -------------------------------------------------------------------------------
def pct(values: list, p: float) -> float:
    """The p-th percentile (nearest rank on 0..n-1) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def print_figures(label: str, latencies: list, seconds: float, width: int) -> None:
    """One line: label, requests, requests per second, p50 and p99 latency."""
    print(
        f"{label:<{width}} {len(latencies):6d} req  {len(latencies) / seconds:8.0f} req/s  "
        f"p50 {pct(latencies, 50):6.1f} ms  p99 {pct(latencies, 99):6.1f} ms"
    )


def print_cpu_per_request(label: str, before: tuple, after: tuple, n: int, width: int) -> None:
    """One line: app and postgres CPU ms per request between two cpu_seconds readings."""
    print(
        f"CPU per request {label:{width}s} app {(after[0] - before[0]) / n * 1000:5.2f} ms  "
        f"postgres {(after[1] - before[1]) / n * 1000:5.2f} ms  (2 cores shared with the load)"
    )


# --- machine readings ----------------------------------------------------------------------
def cpu_seconds(master_pid: int, db_name: str | None = None) -> tuple[float, float]:
    """CPU time used so far by gunicorn (master + workers) and by all postgres processes
    (with db_name: only the backends connected to that database, so that other users of
    a shared PostgreSQL do not count; the app's pooled connections stay open)."""
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
        elif name.startswith("postgres") and (db_name is None or _on_database(entry, db_name)):
            db += used
    return app, db


def _on_database(entry: Path, db_name: str) -> bool:
    """Whether the postgres process is a backend connected to db_name."""
    try:
        words = (entry / "cmdline").read_bytes().replace(b"\0", b" ").split()
    except OSError:
        return False
    # "postgres: 15/main: <user> <database> <client> <state>"
    return db_name.encode() in words[2:5] and words[2] != b"autovacuum"


def load_average() -> tuple[float, float, float]:
    """The machine's 1, 5 and 15 minute load averages."""
    return os.getloadavg()


# --- in-process benchmarks of one use case (statements, pay sheets, the district) ----------
def on_fresh_database(args, name: str, run) -> None:
    """Create the database `name`, run(url, args), drop it unless --keep-db."""
    url = create_database(args.pg, name)
    try:
        run(url, args)
    finally:
        if not getattr(args, "keep_db", False):
            drop_database(args.pg, name)


def testing_app(url: str):
    """The app on testing settings over `url` (no Redis, no access log), tables created.
    Returns (app, engine)."""
    from backend import create_app
    from backend.database import Base
    from backend.settings import Settings

    settings = Settings.from_env(
        env="testing",
        database_url=url,
        redis_url="",
        secret_key="bench-secret-" + "x" * 32,
        extra={"access_log": False},
    )
    app = create_app(settings)
    engine = app.extensions["kehou"]["engine"]
    Base.metadata.create_all(engine)
    return app, engine


class QueryCounter:
    """Counts the statements an engine sends (a before_cursor_execute listener)."""

    def __init__(self, engine):
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._on)

    def _on(self, *_args, **_kw):
        self.count += 1


def timed(counter: QueryCounter, fn):
    """(result, seconds, statements) of one call."""
    counter.count = 0
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started, counter.count
