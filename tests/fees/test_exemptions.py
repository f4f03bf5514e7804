"""Exemptions (R9): a guardian asks, the office decides, the statement shows it."""

from __future__ import annotations

import sqlalchemy as sa

from backend.fees.models import FeeExemption
from backend.notifications.models import OutboxMessage
from tests import factories as f
from tests.fees.helpers import (
    ADMIN,
    assert_totals_consistent,
    generate,
    issue_all,
    lines_of,
    setup,
    statement_of,
)


def _ask(client, s, kid=None, headers=None, **body):
    kid = kid or s.kids[0]
    payload = {"term_id": s.tid, "category": "dibao", "evidence_note": "低保证编号 123", **body}
    return client.post(
        f"/api/v1/students/{kid.id}/exemptions", json=payload, headers=headers or s.parent
    )


def _decide(client, s, exemption_id, **body):
    return client.post(
        f"{ADMIN}/{s.sid}/exemptions/{exemption_id}/decision", json=body, headers=s.office
    )


def test_request_and_full_approval_before_generation(client, db):
    s = setup(db)
    r = _ask(client, s)
    assert r.status_code == 201, r.json
    assert r.json["status"] == "pending" and r.json["category_name"] == "低保"
    again = _ask(client, s)
    assert again.status_code == 409 and again.json["error"] == "exemption_exists"
    pending = client.get(f"{ADMIN}/{s.sid}/exemptions?status=pending", headers=s.office).json
    assert [x["id"] for x in pending] == [r.json["id"]]
    d = _decide(client, s, r.json["id"], decision="approve")
    assert d.status_code == 200 and d.json["status"] == "approved" and d.json["percent"] == 100
    assert _decide(client, s, r.json["id"], decision="reject", comment="x").json["error"] == (
        "exemption_decided"
    )
    generate(client, s)
    st = statement_of(db, s.kids[0])
    assert lines_of(db, st) == [("base_fee", 8000), ("exemption", -8000)]
    assert st.total_fen == 0
    issue_all(client, s)
    fam = client.get(f"/api/v1/statements/{st.id}", headers=s.parent).json
    assert fam["status"] == "paid" and fam["balance_fen"] == 0  # nothing to pay
    assert fam["lines"][1]["description"].startswith("减免（低保）100%")
    mine = client.get(f"/api/v1/students/{s.kids[0].id}/exemptions", headers=s.parent).json
    assert mine[0]["status"] == "approved"
    assert "exemption_decided" in db.scalars(sa.select(OutboxMessage.kind)).all()


def test_partial_approval_after_issue_becomes_an_adjustment(client, db):
    s = setup(db)
    generate(client, s)
    issue_all(client, s)
    r = _ask(client, s, category="tekun")
    d = _decide(client, s, r.json["id"], decision="approve", percent=50, comment="半免")
    assert d.status_code == 200 and d.json["percent"] == 50
    st = statement_of(db, s.kids[0])
    assert lines_of(db, st) == [("base_fee", 8000), ("adjustment", -4000)]
    assert st.total_fen == 4000
    kinds = db.scalars(sa.select(OutboxMessage.kind)).all()
    assert "statement_adjusted" in kinds
    assert_totals_consistent(db)


def test_rejection_needs_a_comment_and_allows_a_new_request(client, db):
    s = setup(db)
    r = _ask(client, s)
    bad = _decide(client, s, r.json["id"], decision="reject")
    assert bad.status_code == 422 and bad.json["error"] == "comment_required"
    assert db.get(FeeExemption, r.json["id"]).status == "pending"
    ok = _decide(client, s, r.json["id"], decision="reject", comment="材料不全")
    assert ok.json["status"] == "rejected" and ok.json["comment"] == "材料不全"
    assert _ask(client, s, evidence_note="补充材料").status_code == 201
    assert _decide(client, s, r.json["id"], decision="approve", percent=0).status_code == 422
    assert _decide(client, s, r.json["id"], decision="maybe").status_code == 422


def test_request_validation(client, db):
    s = setup(db)
    assert _ask(client, s, category="rich").status_code == 422
    assert _ask(client, s, evidence_note="").status_code == 422
    assert _ask(client, s, term_id="1").status_code == 422
    other_term = f.term(db, s.b["school"])
    r = _ask(client, s, term_id=other_term.id)
    assert r.status_code == 404
    assert db.scalar(sa.select(sa.func.count()).select_from(FeeExemption)) == 0


def test_category_on_the_application_is_a_pending_request(client, db):
    s = setup(db)
    s.apps[1].exemption_category = "orphan"
    s.apps[1].note = "孤儿证明已交班主任"
    s.apps[2].exemption_category = "disabled"
    db.flush()
    _ask(client, s, kid=s.kids[0])
    rows = client.get(f"{ADMIN}/{s.sid}/exemptions?term_id={s.tid}", headers=s.office).json
    by_student = {x["student_id"]: x for x in rows}
    assert by_student[s.kids[1].id]["source"] == "application"
    assert by_student[s.kids[1].id]["evidence_note"] == "孤儿证明已交班主任"
    assert by_student[s.kids[2].id]["category"] == "disabled"
    assert len(rows) == 3
    # listing again does not duplicate
    again = client.get(f"{ADMIN}/{s.sid}/exemptions", headers=s.office).json
    assert len(again) == 3
    _decide(client, s, by_student[s.kids[1].id]["id"], decision="approve")
    generate(client, s)
    assert statement_of(db, s.kids[1]).total_fen == 0
