"""Races on PostgreSQL (real threads, real commits): generation, settlement, payments."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from backend.fees.models import Payment, Refund, Settlement, Statement, StatementLine
from tests.fees.helpers import ADMIN, SEPT, setup


def _race(app, n, call):
    results, barrier = [], threading.Barrier(n)

    def go(i):
        with app.test_client() as c:
            barrier.wait()
            r = call(c, i)
            results.append((r.status_code, r.get_json()))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_generations_at_once_make_one_set_of_statements(app, committed, requires_pg):
    s = setup(committed, pupils=6)
    committed.commit()
    url = f"{ADMIN}/{s.sid}/terms/{s.tid}/statements/generate"
    results = _race(app, 4, lambda c, i: c.post(url, json={"period": SEPT}, headers=s.office))
    assert [code for code, _ in results] == [200] * 4
    assert sorted(body["created"] for _, body in results) == [0, 0, 0, 6]
    count = committed.scalar(
        sa.select(sa.func.count()).select_from(Statement).where(Statement.term_id == s.tid)
    )
    assert count == 6
    lines = committed.scalar(sa.select(sa.func.count()).select_from(StatementLine))
    assert lines == 6


def test_two_settlements_at_once_settle_once(app, committed, requires_pg):
    s = setup(committed, billing_mode="term", pupils=2)
    committed.commit()
    with app.test_client() as c:
        c.post(
            f"{ADMIN}/{s.sid}/terms/{s.tid}/statements/generate",
            json={"period": "term"},
            headers=s.office,
        )
        c.post(
            f"{ADMIN}/{s.sid}/terms/{s.tid}/statements/issue",
            json={"period": "term"},
            headers=s.office,
        )
        for i, st_id in enumerate(committed.scalars(sa.select(Statement.id)).all()):
            c.post(
                f"{ADMIN}/{s.sid}/statements/{st_id}/payments",
                json={
                    "amount_fen": 8000,
                    "paid_on": "2026-09-10",
                    "reference": f"P{i}",
                    "method": "cash",
                },
                headers=s.office,
            )
    url = f"{ADMIN}/{s.sid}/terms/{s.tid}/settlement"
    results = _race(app, 4, lambda c, i: c.post(url, headers=s.office))
    codes = sorted(code for code, _ in results)
    assert codes == [201, 409, 409, 409]
    assert {b["error"] for code, b in results if code == 409} == {"already_settled"}
    assert committed.scalar(sa.select(sa.func.count()).select_from(Settlement)) == 1
    assert committed.scalar(sa.select(sa.func.sum(Refund.amount_fen))) == 16000


def test_racing_payments_and_refunds_on_one_statement(app, committed, requires_pg):
    s = setup(committed, pupils=1)
    committed.commit()
    with app.test_client() as c:
        c.post(
            f"{ADMIN}/{s.sid}/terms/{s.tid}/statements/generate",
            json={"period": SEPT},
            headers=s.office,
        )
        c.post(
            f"{ADMIN}/{s.sid}/terms/{s.tid}/statements/issue",
            json={"period": SEPT},
            headers=s.office,
        )
    st_id = committed.scalar(sa.select(Statement.id))
    pay_url = f"{ADMIN}/{s.sid}/statements/{st_id}/payments"
    body = {"amount_fen": 8000, "paid_on": "2026-09-10", "reference": "SAME", "method": "cash"}
    results = _race(app, 5, lambda c, i: c.post(pay_url, json=body, headers=s.office))
    assert sorted(code for code, _ in results) == [200, 200, 200, 200, 201]
    assert committed.scalar(sa.select(sa.func.count()).select_from(Payment)) == 1
    # five refunds of 3000 against 8000 paid: two fit, three are refused
    refund_url = f"{ADMIN}/{s.sid}/statements/{st_id}/refunds"
    results = _race(
        app,
        5,
        lambda c, i: c.post(refund_url, json={"amount_fen": 3000, "reason": "x"}, headers=s.office),
    )
    assert sorted(code for code, _ in results) == [201, 201, 409, 409, 409]
    committed.expire_all()
    st = committed.get(Statement, st_id)
    assert (st.paid_fen, st.refunded_fen) == (8000, 6000)
    assert committed.scalar(sa.select(sa.func.sum(Refund.amount_fen))) == 6000
