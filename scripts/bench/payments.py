#!/usr/bin/env python3
"""WeChat Pay under a rush, measured end to end (a script, not a test).

    .venv/bin/python scripts/bench/payments.py [--families 300] [--concurrency 16]

Creates the database kehou_bench_pay on the local PostgreSQL, seeds one school with N
pupils, each with a bound guardian and an issued statement, serves the app (werkzeug,
threaded, one process: the built-in fake WeChat Pay lives in it and its keys must match)
and runs over real HTTP at the given concurrency:
  1. every guardian taps "pay": POST /api/v1/statements/{id}/payments (JSAPI order at the
     fake, merchant-signed request, signed answer verified, pay_params signed),
  2. the fake pays every order and POSTs its signed, encrypted notification to
     /api/v1/payments/wechat/notify (RSA verify, AES-GCM decrypt, locked booking),
  3. one notification delivered 10 times at once,
and prints throughput and p50/p99 of each phase, non-2xx counts, and what the database
holds afterwards (N paid statements, N paid payments, N outbox messages).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import harness as h
import requests
import sqlalchemy as sa

DB_NAME = "kehou_bench_pay"


def parse_args():
    p = h.arg_parser(__doc__, redis_db=10)
    p.add_argument("--families", type=int, default=300)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--keep-db", action="store_true")
    return p.parse_args()


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def run_phase(name, items, fn, concurrency):
    local = threading.local()

    def call(item):
        if not hasattr(local, "http"):
            local.http = requests.Session()
        t0 = time.perf_counter()
        status = fn(local.http, item)
        return status, time.perf_counter() - t0

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(call, items))
    wall = time.perf_counter() - t0
    lat = [d for _, d in results]
    bad = sum(1 for s, _ in results if not 200 <= s < 300)
    print(
        f"{name:<28} {len(items):>5} in {wall:6.2f}s  {len(items) / wall:7.1f}/s  "
        f"p50 {pct(lat, 0.5):6.1f} ms  p99 {pct(lat, 0.99):6.1f} ms  non-2xx {bad}"
    )
    return results


def main():
    args = parse_args()
    db_url = h.create_database(args.pg, DB_NAME)
    os.environ.pop("WECHAT_PAY_MCHID", None)
    from werkzeug.serving import make_server

    from backend import create_app
    from backend.database import Base
    from backend.settings import Settings

    settings = Settings.from_env(
        env="testing",
        database_url=db_url,
        redis_url=args.redis,
        secret_key="bench-secret-" + "x" * 40,
        log_json=True,
        extra={"access_log": False, "ratelimit_enabled": False},
    )
    app = create_app(settings)
    import logging

    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    engine = app.extensions["kehou"]["engine"]
    Base.metadata.create_all(engine)
    from tests import factories as f
    from tests.payments.helpers import statement

    f.APP = app
    session = app.extensions["kehou"]["sessionmaker"]()
    school = f.school(session)
    term = f.term(session, school)
    classes = [f.klass(session, f.grade(session, school)) for _ in range(10)]
    families = []
    with app.app_context():
        for i in range(args.families):
            kid = f.student(session, classes[i % len(classes)])
            parent = f.user(session)
            f.guardian_of(session, parent, kid)
            st = statement(session, school, kid, total=8000, term=term)
            families.append((st.id, f.auth(session, user_row=parent)))
    session.commit()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    with app.app_context():
        from backend.payments.gateway import get_gateway

        fake = get_gateway().fake
    fake.notify_url_override = base + "/api/v1/payments/wechat/notify"
    print(f"{args.families} families, concurrency {args.concurrency}, PostgreSQL, werkzeug")

    orders = {}

    def tap(http, fam):
        st_id, headers = fam
        r = http.post(f"{base}/api/v1/statements/{st_id}/payments", headers=headers)
        if r.status_code == 201:
            orders[st_id] = r.json()["out_trade_no"]
        return r.status_code

    run_phase("POST .../payments (order)", families, tap, args.concurrency)
    run_phase("tap again (open order)", families, tap, args.concurrency)

    def pay(http, no):
        return fake.pay(no).status_code

    run_phase("notify (verify+book)", list(orders.values()), pay, args.concurrency)
    note = fake.payment_notification(next(iter(orders.values())))
    dup = run_phase(
        "same notify x10 at once",
        list(range(10)),
        lambda http, _: (
            http.post(
                fake.notify_url_override, data=note.body.encode(), headers=note.headers
            ).status_code
        ),
        10,
    )
    assert all(s == 204 for s, _ in dup)
    with engine.connect() as conn:
        paid = conn.scalar(sa.text("SELECT count(*) FROM fee_statements WHERE status='paid'"))
        pays = conn.scalar(sa.text("SELECT count(*) FROM fee_payments WHERE status='paid'"))
        msgs = conn.scalar(
            sa.text("SELECT count(*) FROM outbox_messages WHERE kind='payment_received'")
        )
    print(f"database: {paid} paid statements, {pays} paid payments, {msgs} messages")
    print(f"load average: {h.load_average()}")
    server.shutdown()
    engine.dispose()
    if not args.keep_db:
        h.drop_database(args.pg, DB_NAME)
    ok = paid == pays == msgs == len(orders) == args.families
    print("OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
