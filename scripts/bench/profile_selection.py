#!/usr/bin/env python3
"""A cProfile of POST /api/v1/selections on production settings (a script, not a test).

    .venv/bin/python scripts/bench/profile_selection.py [--pupils 200] [--top 20]

Seeds the selection benchmark's school (scripts/bench/selection_rush.py) into a fresh
database, then sends every guardian's two taps (with an Idempotency-Key) through the
Flask test client in this process, under cProfile after a short warm-up, and prints the
functions with the most cumulative and own CPU time. PostgreSQL and Redis are real; there is
no gunicorn and no network, so the figures are the app's own Python work per request.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import secrets
import sys
import time
from types import SimpleNamespace

import harness as h
import redis
import selection_rush as rush

PARTS = [
    ("authenticate (token, session, grants)", "context.py", "authenticate"),
    ("idempotency claim + finish", "idempotency.py", "wrapper"),
    ("select() use case", "selection.py", "select"),
    ("audit chain (seal at commit)", "service.py", "seal_pending"),
    ("SQL executed (all statements)", "base.py", "_execute_context"),
]


def print_parts(stats: pstats.Stats, n: int) -> None:
    """CPU ms per selection (cumulative) of the request's main parts, and calls per request."""
    for label, filename, func in PARTS:
        rows = stats.stats.items()
        total = sum(
            row[3] for (f, _, name), row in rows if (os.path.basename(f), name) == (filename, func)
        )
        print(f"  {label:40s} {total / n * 1000:6.2f} ms")
    print(f"  function calls per selection: {stats.total_calls / n:,.0f}")
    print("own CPU per selection by package:")
    for package, seconds in sorted(by_package(stats).items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {package:40s} {seconds / n * 1000:6.2f} ms")


def by_package(stats: pstats.Stats) -> dict[str, float]:
    """Own (not cumulative) CPU summed by the top-level package of each function's file."""
    totals: dict[str, float] = {}
    for (filename, _line, _name), row in stats.stats.items():
        parts = filename.split("/site-packages/")
        if len(parts) == 2:
            package = parts[1].split("/")[0]
        elif "/backend/" in filename:
            package = "backend." + filename.split("/backend/")[1].split("/")[0]
        else:
            package = "python (stdlib, builtins)"
        totals[package] = totals.get(package, 0.0) + row[2]
    return totals


def show_sql(engine, client, tap) -> None:
    """Print the statements (and transaction boundaries) of one selection, in order."""
    from sqlalchemy import event

    lines = []

    def on_execute(_conn, _cursor, statement, _params, _context, _many):
        lines.append(" ".join(statement.split())[:160])

    listeners = [
        ("before_cursor_execute", on_execute),
        ("begin", lambda _conn: lines.append("-- BEGIN")),
        ("commit", lambda _conn: lines.append("-- COMMIT")),
        ("rollback", lambda _conn: lines.append("-- ROLLBACK")),
    ]
    for name, fn in listeners:
        event.listen(engine, name, fn)
    _label, method, path, headers, body = tap
    client.open(path, method=method, headers=headers, data=body)
    for name, fn in listeners:
        event.remove(engine, name, fn)
    print(f"one selection: {sum(not x.startswith('--') for x in lines)} statements")
    print("\n".join(f"  {line}" for line in lines))


def main() -> int:
    p = h.arg_parser(__doc__, redis_db=10)
    p.add_argument("--pupils", type=int, default=200)
    p.add_argument("--top", type=int, default=20)
    p.add_argument("--db-name", default="kehou_bench_profile")
    p.add_argument("--show-sql", action="store_true", help="print one selection's statements")
    args = p.parse_args()
    db_url = h.create_database(args.pg, args.db_name)
    redis.Redis.from_url(args.redis).flushdb()
    env = {
        "DATABASE_URL": db_url,
        "REDIS_URL": args.redis,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "WECHAT_API_BASE_URL": "http://127.0.0.1:9",  # never called: sessions are seeded
        "WECHAT_APPID": "wxbenchprofile001",
        "WECHAT_SECRET": "bench-" + secrets.token_hex(8),
    }
    try:
        seeded = SimpleNamespace(pupils=args.pupils, courses=40, seats=30, picks=2)
        guardians, courses, _floor = rush.seed(env, seeded)
        app, engine = h.production_app(env)
        from backend.extensions import limiter

        limiter.enabled = False  # one client address sends every family's taps
        client = app.test_client()
        jobs = rush.selection_jobs(
            guardians, courses, SimpleNamespace(picks=2, no_idempotency_key=False)
        )
        taps = [tap for job in jobs for tap in job]
        for _label, method, path, headers, body in taps[:20]:  # warm-up
            client.open(path, method=method, headers=headers, data=body)
        if args.show_sql:
            show_sql(engine, client, taps[20])
        # CPU time, not wall time: the machine is shared, waiting on it is not our cost
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for _label, method, path, headers, body in taps[20:]:
            client.open(path, method=method, headers=headers, data=body)
        profile.disable()
        n = len(taps) - 20
        total = pstats.Stats(profile).total_tt
        print(f"{n} selections profiled: {total / n * 1000:.2f} ms of app CPU per selection")
        print_parts(pstats.Stats(profile), n)
        stats = pstats.Stats(profile).strip_dirs()
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
        engine.dispose()
    finally:
        h.drop_database(args.pg, args.db_name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
