"""Expenses, term-end settlement and disclosures, with worked examples to the fen."""

from __future__ import annotations

import io

import openpyxl
import sqlalchemy as sa

from backend.fees.models import Refund, Statement, StatementLine
from tests.fees.helpers import (
    ADMIN,
    assert_totals_consistent,
    generate,
    issue_all,
    pay,
    setup,
    statement_of,
)


def _expense(client, s, category, amount, spent_on="2026-09-20"):
    return client.post(
        f"{ADMIN}/{s.sid}/terms/{s.tid}/expenses",
        json={"category": category, "amount_fen": amount, "spent_on": spent_on, "note": "x"},
        headers=s.office,
    )


def _paid_term(client, db, amounts=(8000, 8000, 5455)):
    """Three pupils billed for the term and paid in full: 8000 + 8000 + 5455 = 21455."""
    s = setup(db, billing_mode="term", base_fee_fen=8000)
    generate(client, s, period="term")
    third = statement_of(db, s.kids[2], period="term")
    client.post(
        f"{ADMIN}/{s.sid}/statements/{third.id}/adjustments",
        json={"amount_fen": amounts[2] - 8000, "description": "中途加入折算"},
        headers=s.office,
    )
    issue_all(client, s, period="term")
    for i, kid in enumerate(s.kids):
        st = statement_of(db, kid, period="term")
        assert pay(client, s, st.id, amounts[i], reference=f"T{i}").status_code == 201
    return s


def test_expenses_recorded_and_listed(client, db):
    s = setup(db)
    r = _expense(client, s, "staff", 12000)
    assert r.status_code == 201 and r.json["category_name"] == "人员劳务"
    assert _expense(client, s, "travel", 100).status_code == 422
    assert _expense(client, s, "staff", 0).status_code == 422
    r = _expense(client, s, "staff", 100, spent_on="2027-03-01")
    assert r.status_code == 422 and r.json["error"] == "spent_outside_term"
    rows = client.get(f"{ADMIN}/{s.sid}/terms/{s.tid}/expenses", headers=s.office).json
    assert [(x["category"], x["amount_fen"]) for x in rows] == [("staff", 12000)]


def test_surplus_is_refunded_by_largest_remainder(client, db):
    """Income 21455, expenses 20455 -> surplus 1000 split 373 / 373 / 254."""
    s = _paid_term(client, db)
    _expense(client, s, "staff", 15000)
    _expense(client, s, "materials", 5455)
    url = f"{ADMIN}/{s.sid}/terms/{s.tid}/settlement"
    assert client.get(url, headers=s.office).status_code == 404
    r = client.post(url, headers=s.office)
    assert r.status_code == 201, r.json
    assert r.json["status"] == "surplus"
    assert (r.json["income_fen"], r.json["expenses_fen"], r.json["surplus_fen"]) == (
        21455,
        20455,
        1000,
    )
    assert r.json["refunded_fen"] == 1000 and r.json["payers"] == 3
    parts = [
        db.scalar(
            sa.select(Refund.amount_fen).where(
                Refund.statement_id == statement_of(db, kid, "term").id, Refund.kind == "surplus"
            )
        )
        for kid in s.kids
    ]
    assert parts == [373, 373, 254] and sum(parts) == 1000
    st = statement_of(db, s.kids[0], "term")
    assert st.status == "settled"
    line = db.scalar(
        sa.select(StatementLine).where(
            StatementLine.statement_id == st.id, StatementLine.kind == "surplus_refund"
        )
    )
    assert line.amount_fen == -373 and "最大余数法" in line.description
    fam = client.get(f"/api/v1/statements/{st.id}", headers=s.parent).json
    assert fam["status"] == "settled" and fam["total_fen"] == 8000 - 373
    assert fam["refunded_fen"] == 373 and fam["balance_fen"] == 0
    again = client.post(url, headers=s.office)
    assert again.status_code == 409 and again.json["error"] == "already_settled"
    assert client.get(url, headers=s.office).json["surplus_fen"] == 1000
    # the term is closed for fee writes
    r = pay(client, s, st.id, 100, reference="late")
    assert r.status_code == 409 and r.json["error"] == "term_settled"
    assert _expense(client, s, "other", 100).json["error"] == "term_settled"
    assert generate(client, s, period="term").json["error"] == "term_settled"
    assert_totals_consistent(db)


def test_refund_completion(client, db):
    s = _paid_term(client, db)
    client.post(f"{ADMIN}/{s.sid}/terms/{s.tid}/settlement", headers=s.office)
    refunds = db.scalars(sa.select(Refund).order_by(Refund.id)).all()
    assert {r.status for r in refunds} == {"requested"}  # paid out by the office later
    url = f"{ADMIN}/{s.sid}/refunds/{refunds[0].id}/complete"
    r = client.post(url, json={"outcome": "succeeded"}, headers=s.office)
    assert r.status_code == 200 and r.json["status"] == "succeeded"
    r = client.post(url, json={"outcome": "failed"}, headers=s.office)
    assert r.status_code == 409 and r.json["error"] == "refund_not_pending"
    r = client.post(
        f"{ADMIN}/{s.sid}/refunds/{refunds[1].id}/complete",
        json={"outcome": "failed"},
        headers=s.office,
    )
    assert r.status_code == 200 and r.json["statement"]["balance_fen"] == -refunds[1].amount_fen
    assert_totals_consistent(db)


def test_no_expenses_refunds_everything_paid(client, db):
    s = _paid_term(client, db)
    r = client.post(f"{ADMIN}/{s.sid}/terms/{s.tid}/settlement", headers=s.office)
    assert r.json["surplus_fen"] == 21455 and r.json["refunded_fen"] == 21455
    for kid in s.kids:
        st = statement_of(db, kid, "term")
        assert st.total_fen == 0 and st.refunded_fen == st.paid_fen


def test_deficit_is_reported_never_charged(client, db):
    s = _paid_term(client, db)
    _expense(client, s, "provider", 30000)
    r = client.post(f"{ADMIN}/{s.sid}/terms/{s.tid}/settlement", headers=s.office)
    assert r.status_code == 201
    assert r.json["status"] == "deficit" and r.json["surplus_fen"] == 21455 - 30000
    assert r.json["refunded_fen"] == 0
    totals = db.scalars(sa.select(Statement.total_fen).order_by(Statement.id)).all()
    assert totals == [8000, 8000, 5455]  # nobody charged more
    assert db.scalar(sa.select(sa.func.count()).select_from(Refund)) == 0


def test_settlement_needs_every_statement_paid_and_refunds_open_credits(client, db):
    s = setup(db, billing_mode="term", base_fee_fen=8000, pupils=2)
    generate(client, s, period="term")
    url = f"{ADMIN}/{s.sid}/terms/{s.tid}/settlement"
    r = client.post(url, headers=s.office)
    assert r.status_code == 409 and r.json["error"] == "statements_open"
    assert r.json["errors"]["statuses"] == {"draft": 2}
    issue_all(client, s, period="term")
    a, b = (statement_of(db, k, "term") for k in s.kids)
    pay(client, s, a.id, 9000, reference="A")  # 1000 over-paid
    r = client.post(url, headers=s.office)
    assert r.json["errors"]["statuses"] == {"issued": 1}
    pay(client, s, b.id, 8000, reference="B")
    _expense(client, s, "staff", 15000)
    r = client.post(url, headers=s.office)
    assert r.status_code == 201
    # the 1000 over-payment goes back first; income 16000, surplus 1000 split 500/500
    assert r.json["credit_refunded_fen"] == 1000
    assert r.json["income_fen"] == 16000 and r.json["refunded_fen"] == 1000
    kinds = db.execute(
        sa.select(Refund.statement_id, Refund.kind, Refund.amount_fen).order_by(Refund.id)
    ).all()
    assert kinds == [(a.id, "credit", 1000), (a.id, "surplus", 500), (b.id, "surplus", 500)]
    assert_totals_consistent(db)


def test_disclosures_published_seen_by_the_school_and_exported(client, db):
    s = setup(db)
    generate(client, s)
    issue_all(client, s)
    st = statement_of(db, s.kids[0])
    pay(client, s, st.id, 8000, paid_on="2026-09-10")
    pay(client, s, statement_of(db, s.kids[1]).id, 8000, reference="R2", paid_on="2026-10-02")
    _expense(client, s, "staff", 5000)
    _expense(client, s, "utilities", 700, spent_on="2026-09-30")
    url = f"{ADMIN}/{s.sid}/terms/{s.tid}/disclosures"
    r = client.post(url, json={"period": "2026-09"}, headers=s.office)
    assert r.status_code == 201, r.json
    rep = r.json["report"]
    assert rep["income_fen"] == 8000 and rep["expenses_fen"] == 5700
    assert rep["expenses_by_category"]["utilities"] == 700
    assert rep["surplus_fen"] == 2300 and rep["statements"] == 3
    assert rep["billed_fen"] == 24000 and rep["exemptions"] == 0
    text = str(rep)
    for kid in s.kids:
        assert kid.name not in text  # no personal data
    term_r = client.post(url, json={"period": "term"}, headers=s.office).json
    assert term_r["report"]["income_fen"] == 16000 and term_r["version"] == 1
    again = client.post(url, json={"period": "2026-09"}, headers=s.office).json
    assert again["version"] == 2
    assert client.post(url, json={"period": "2027-05"}, headers=s.office).status_code == 422
    # guardians and staff of the school see them; another school's parent does not
    seen = client.get(f"/api/v1/schools/{s.sid}/disclosures?term_id={s.tid}", headers=s.parent)
    assert seen.status_code == 200 and len(seen.json) == 3
    from tests import factories as f

    gate = f.auth(db, user_row=s.a["gate"])
    assert len(client.get(f"/api/v1/schools/{s.sid}/disclosures", headers=gate).json) == 3
    other = client.get(f"/api/v1/schools/{s.sid}/disclosures", headers=s.parent_b)
    assert other.status_code == 404
    r = client.get(f"{ADMIN}/{s.sid}/disclosures/{r.json['id']}/export", headers=s.office)
    assert r.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True))
    flat = [c for row in rows for c in row if c is not None]
    assert "80.00" in flat and "57.00" in flat and "水电" in flat
