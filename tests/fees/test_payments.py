"""Offline payments and refunds: idempotent by reference, credits carried, refund caps."""

from __future__ import annotations

import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.fees.models import Payment, Statement
from tests.fees.helpers import (
    ADMIN,
    SEPT,
    assert_totals_consistent,
    generate,
    issue_all,
    lines_of,
    pay,
    setup,
    statement_of,
)


def _issued(client, db, **kw):
    s = setup(db, **kw)
    generate(client, s)
    issue_all(client, s)
    return s, statement_of(db, s.kids[0])


def test_partial_then_full_payment(client, db):
    s, st = _issued(client, db)
    r = pay(client, s, st.id, 3000, reference="RCPT-001")
    assert r.status_code == 201, r.json
    assert r.json["method"] == "offline" and r.json["channel"] == "cash"
    assert r.json["statement"]["status"] == "partially_paid"
    assert r.json["statement"]["balance_fen"] == 5000
    r = pay(client, s, st.id, 5000, reference="RCPT-002", method="bank_transfer")
    assert r.json["statement"]["status"] == "paid" and r.json["statement"]["balance_fen"] == 0
    fam = client.get(f"/api/v1/statements/{st.id}", headers=s.parent).json
    assert (fam["paid_fen"], fam["balance_fen"], fam["status"]) == (8000, 0, "paid")
    detail = client.get(f"{ADMIN}/{s.sid}/statements/{st.id}", headers=s.office).json
    assert [p["reference"] for p in detail["payments"]] == ["RCPT-001", "RCPT-002"]
    assert (
        db.scalar(
            sa.select(sa.func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "payment.record")
        )
        == 2
    )
    assert_totals_consistent(db)


def test_same_reference_is_the_same_payment(client, db):
    s, st = _issued(client, db)
    assert pay(client, s, st.id, 3000, reference="R9").status_code == 201
    again = pay(client, s, st.id, 3000, reference="R9")
    assert again.status_code == 200 and again.json["statement"]["paid_fen"] == 3000
    other = pay(client, s, st.id, 3500, reference="R9")
    assert other.status_code == 409 and other.json["error"] == "payment_reference_reused"
    assert db.scalar(sa.select(sa.func.count()).select_from(Payment)) == 1
    # an Idempotency-Key replays the first answer
    h = {**s.office, "Idempotency-Key": "k-1"}
    body = {"amount_fen": 100, "paid_on": "2026-09-11", "reference": "R10", "method": "other"}
    url = f"{ADMIN}/{s.sid}/statements/{st.id}/payments"
    first = client.post(url, json=body, headers=h)
    second = client.post(url, json=body, headers=h)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert db.scalar(sa.select(sa.func.count()).select_from(Payment)) == 2


def test_payment_validation_and_draft_refused(client, db):
    s = setup(db)
    generate(client, s)
    st = statement_of(db, s.kids[0])
    r = pay(client, s, st.id, 1000)
    assert r.status_code == 409 and r.json["error"] == "statement_not_payable"
    issue_all(client, s)
    url = f"{ADMIN}/{s.sid}/statements/{st.id}/payments"
    good = {"amount_fen": 100, "paid_on": "2026-09-11", "reference": "R", "method": "cash"}
    for bad in (
        {**good, "amount_fen": 0},
        {**good, "amount_fen": 10.5},
        {**good, "amount_fen": "100"},
        {**good, "method": "wechat"},
        {**good, "paid_on": "11/09/2026"},
        {**good, "reference": ""},
        {**good, "note": "x"},
    ):
        r = client.post(url, json=bad, headers=s.office)
        assert r.status_code == 422 and r.json["error"] == "validation_error", bad
    assert db.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0


def test_overpayment_becomes_a_credit_on_the_next_statement(client, db):
    s, st = _issued(client, db)
    r = pay(client, s, st.id, 10000, reference="R1")
    assert r.json["statement"]["balance_fen"] == -2000 and r.json["statement"]["status"] == "paid"
    october = "2026-10"
    assert generate(client, s, period=october).status_code == 200
    nxt = statement_of(db, s.kids[0], period=october)
    assert lines_of(db, nxt) == [("base_fee", 8000), ("credit", -2000)]
    assert nxt.total_fen == 6000
    db.refresh(st)
    assert st.carried_out_fen == 2000 and st.status == "paid"
    fam = client.get(f"/api/v1/statements/{st.id}", headers=s.parent).json
    assert fam["balance_fen"] == 0
    # regenerating does not carry it twice
    generate(client, s, period=october)
    assert lines_of(db, nxt) == [("base_fee", 8000), ("credit", -2000)]
    assert_totals_consistent(db)


def test_refunds_capped_by_paid_minus_refunded(client, db):
    s, st = _issued(client, db)
    url = f"{ADMIN}/{s.sid}/statements/{st.id}/refunds"
    r = client.post(url, json={"amount_fen": 1, "reason": "x"}, headers=s.office)
    assert r.status_code == 409 and r.json["error"] == "refund_exceeds_paid"
    pay(client, s, st.id, 8000)
    r = client.post(url, json={"amount_fen": 5000, "reason": "因病停课"}, headers=s.office)
    assert r.status_code == 201, r.json
    assert r.json["status"] == "succeeded" and r.json["statement"]["status"] == "partially_paid"
    assert r.json["statement"]["balance_fen"] == 5000
    r = client.post(url, json={"amount_fen": 3001, "reason": "x"}, headers=s.office)
    assert r.status_code == 409 and r.json["error"] == "refund_exceeds_paid"
    assert "最多可退30.00元" in r.json["message"]
    r = client.post(url, json={"amount_fen": 3000, "reason": "x"}, headers=s.office)
    assert r.status_code == 201 and r.json["statement"]["status"] == "issued"
    r = client.post(url, json={"amount_fen": 100}, headers=s.office)
    assert r.status_code == 422  # a reason is required
    st = db.get(Statement, st.id)
    db.refresh(st)
    assert (st.paid_fen, st.refunded_fen) == (8000, 8000)
    assert_totals_consistent(db)


def test_statement_list_by_status_after_payments(client, db):
    s, st = _issued(client, db)
    pay(client, s, st.id, 8000)
    rows = client.get(
        f"{ADMIN}/{s.sid}/statements?status=paid&period={SEPT}", headers=s.office
    ).json
    assert [r["id"] for r in rows] == [st.id] and rows[0]["student_name"] == s.kids[0].name


def test_refund_cannot_take_back_a_credit_already_carried(client, db):
    s, st = _issued(client, db)
    pay(client, s, st.id, 10000, reference="R1")  # 2000 over
    generate(client, s, period="2026-10")  # the 2000 is credited on October
    url = f"{ADMIN}/{s.sid}/statements/{st.id}/refunds"
    r = client.post(url, json={"amount_fen": 8001, "reason": "x"}, headers=s.office)
    assert r.status_code == 409 and r.json["error"] == "refund_exceeds_paid"
    assert (
        client.post(url, json={"amount_fen": 8000, "reason": "x"}, headers=s.office).status_code
        == 201
    )


def test_payment_dated_in_the_future_is_refused(client, db):
    s, st = _issued(client, db)
    r = pay(client, s, st.id, 100, paid_on="2099-01-01")
    assert r.status_code == 422 and "paid_on" in r.json["errors"]
