"""Statement generation over HTTP: worked examples per rule, to the fen."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.fees.models import Statement, StatementLine
from backend.notifications import worker
from backend.notifications.models import OutboxMessage
from tests import factories as f
from tests.fees.helpers import (
    ADMIN,
    SEPT,
    assert_totals_consistent,
    at,
    generate,
    issue_all,
    lines_of,
    sept_days,
    setup,
    statement_of,
)


def test_base_fee_statement_per_enrolled_pupil_and_generation_never_duplicates(client, db):
    s = setup(db)
    # a pupil whose application is not enrolled gets nothing
    other = f.student(db, s.a["classes"][1])
    f.application(db, s.term, other, f.user(db), state="approved")
    r = generate(client, s)
    assert r.status_code == 200, r.json
    assert r.json["created"] == 3 and r.json["service_days"] == 22
    assert r.json["statements"] == 3
    st = statement_of(db, s.kids[0])
    assert st.status == "draft" and st.total_fen == 8000
    assert lines_of(db, st) == [("base_fee", 8000)]
    assert statement_of(db, other) is None
    again = generate(client, s)
    assert again.json["created"] == 0 and again.json["unchanged"] == 3
    assert again.json["statements"] == 3
    count = db.scalar(sa.select(sa.func.count()).select_from(Statement))
    assert count == 3
    actions = db.scalars(sa.select(AuditLog.action).where(AuditLog.object_type == "term")).all()
    assert actions.count("statements.generate") == 2
    assert_totals_consistent(db)


def test_late_join_is_prorated_by_service_days_half_up(client, db):
    """8000 fen/month, 22 service days, joined with 15 days left: 8000×15÷22 = 5454.55
    -> 5455 fen, so the proration line is -2545."""
    s = setup(db)
    days = sept_days(db, s.term)
    assert len(days) == 22
    s.apps[1].enrolled_at = at(days[7], 10)  # the 8th service day: 15 days left
    db.flush()
    generate(client, s)
    st = statement_of(db, s.kids[1])
    assert lines_of(db, st) == [("base_fee", 8000), ("proration", -2545)]
    assert st.total_fen == 5455
    line = db.scalar(sa.select(StatementLine).where(StatementLine.kind == "proration"))
    assert "8000分×15÷22=5454.55分" in line.description
    assert "四舍五入到分为5455分" in line.description
    # joined before the period: no proration
    assert statement_of(db, s.kids[0]).total_fen == 8000


def test_withdrawal_is_prorated_and_a_pupil_gone_before_the_period_is_not_billed(client, db):
    """Withdrawn after 10 of 22 days: 6000×10÷22 = 2727.27 -> 2727 fen."""
    s = setup(db, base_fee_fen=6000)
    days = sept_days(db, s.term)
    s.apps[1].state, s.apps[1].withdrawn_at = "withdrawn", at(days[10], 9)
    s.apps[2].state, s.apps[2].withdrawn_at = "withdrawn", at(date(2026, 8, 30))
    db.flush()
    generate(client, s)
    st = statement_of(db, s.kids[1])
    assert lines_of(db, st) == [("base_fee", 6000), ("proration", 2727 - 6000)]
    assert st.total_fen == 2727
    assert statement_of(db, s.kids[2]) is None


def test_course_fees_from_confirmed_selections(client, db):
    from backend.courses.models import Selection

    s = setup(db)
    chess = f.course(db, s.term, name="围棋", fee_fen=1500)
    art = f.course(db, s.term, name="美术", fee_fen=1000)
    free = f.course(db, s.term, name="阅读", fee_fen=0)
    for course, status in ((chess, "confirmed"), (art, "waitlisted"), (free, "confirmed")):
        db.add(
            Selection(
                term_id=s.tid,
                course_id=course.id,
                student_id=s.kids[0].id,
                school_id=s.sid,
                status=status,
            )
        )
    db.flush()
    generate(client, s)
    st = statement_of(db, s.kids[0])
    assert lines_of(db, st) == [("base_fee", 8000), ("course_fee", 1500)]
    assert st.total_fen == 9500


def test_leave_refund_at_the_per_day_rate(client, db):
    """Two refundable leave days: 8000×2÷22 = 727.27 -> 727 fen back; a late (not
    refundable) day and a pending request give nothing."""
    s = setup(db)
    days = sept_days(db, s.term)
    _leave(db, s, s.kids[0], [days[3], days[4]], refundable=True)
    _leave(db, s, s.kids[0], [days[5]], refundable=False)
    _leave(db, s, s.kids[0], [days[6]], refundable=True, status="pending")
    generate(client, s)
    st = statement_of(db, s.kids[0])
    assert lines_of(db, st) == [("base_fee", 8000), ("leave_refund", -727)]
    line = db.scalar(sa.select(StatementLine).where(StatementLine.kind == "leave_refund"))
    assert "8000分×2÷22=727.27分" in line.description


def _leave(db, s, kid, days, *, refundable, status="approved"):
    from backend.pickup.models import LeaveDay, LeaveRequest

    req = LeaveRequest(
        student_id=kid.id,
        school_id=s.sid,
        class_id=kid.class_id,
        term_id=s.tid,
        reason="生病",
        status=status,
        requested_by=s.a["parent"].id,
    )
    db.add(req)
    db.flush()
    for day in days:
        db.add(
            LeaveDay(
                leave_request_id=req.id,
                student_id=kid.id,
                term_id=s.tid,
                day=day,
                refundable=refundable,
            )
        )
    db.flush()
    return req


def test_issue_notifies_guardians_and_the_family_sees_only_issued(client, db, fake_wechat):
    s = setup(db)
    generate(client, s)
    st = statement_of(db, s.kids[0])
    fam = client.get(f"/api/v1/students/{s.kids[0].id}/statements", headers=s.parent)
    assert fam.status_code == 200 and fam.json == []
    assert client.get(f"/api/v1/statements/{st.id}", headers=s.parent).status_code == 404
    r = issue_all(client, s)
    assert r.status_code == 200 and r.json == {"period": SEPT, "issued": 3}
    assert issue_all(client, s).json["issued"] == 0
    one = client.get(f"/api/v1/statements/{st.id}", headers=s.parent)
    assert one.status_code == 200
    assert one.json["status"] == "issued" and one.json["total_fen"] == 8000
    assert one.json["balance_fen"] == 8000 and one.json["paid_fen"] == 0
    assert one.json["lines"] == [
        {"kind": "base_fee", "description": "课后服务费（本期）", "amount_fen": 8000}
    ]
    listing = client.get(
        f"/api/v1/students/{s.kids[0].id}/statements?term_id={s.tid}", headers=s.parent
    ).json
    assert [x["id"] for x in listing] == [st.id], listing
    kinds = db.scalars(sa.select(OutboxMessage.kind)).all()
    assert kinds.count("statement_issued") == 1  # only kids[0] has a bound guardian
    with client.application.app_context():
        worker.run(burst=True)
    assert any(m["touser"] == s.a["parent"].openid for m in fake_wechat.sent_messages)


def test_single_issue_and_not_draft(client, db):
    s = setup(db)
    generate(client, s)
    st = statement_of(db, s.kids[1])
    url = f"{ADMIN}/{s.sid}/statements/{st.id}/issue"
    r = client.post(url, headers=s.office)
    assert r.status_code == 200 and r.json["status"] == "issued"
    r = client.post(url, headers=s.office)
    assert r.status_code == 409 and r.json["error"] == "statement_not_draft"


def test_change_after_issue_becomes_an_adjustment_line_never_a_silent_edit(client, db):
    s = setup(db)
    days = sept_days(db, s.term)
    generate(client, s)
    issue_all(client, s)
    st = statement_of(db, s.kids[0])
    before = lines_of(db, st)
    _leave(db, s, s.kids[0], [days[1]], refundable=True)  # 8000÷22 = 363.64 -> 364
    r = generate(client, s)
    assert r.json["adjusted"] == 1 and r.json["created"] == 0
    after = lines_of(db, st)
    assert after[: len(before)] == before  # nothing rewritten
    assert after[-1] == ("adjustment", -364)
    db.refresh(st)
    assert st.total_fen == 8000 - 364 and st.status == "issued"
    assert generate(client, s).json["adjusted"] == 0  # applied once
    assert db.scalars(sa.select(OutboxMessage.kind)).all().count("statement_adjusted") == 1
    assert_totals_consistent(db)


def test_drafts_are_recomputed_in_place(client, db):
    s = setup(db)
    generate(client, s)
    st = statement_of(db, s.kids[0])
    s.term.base_fee_fen = 7000
    db.flush()
    r = generate(client, s)
    assert r.json["recomputed"] == 3 and r.json["created"] == 0
    db.refresh(st)
    assert statement_of(db, s.kids[0]).id == st.id
    assert lines_of(db, st) == [("base_fee", 7000)] and st.total_fen == 7000
    # a pupil withdrawn before the period loses the draft nobody saw
    s.apps[2].state, s.apps[2].withdrawn_at = "withdrawn", at(date(2026, 8, 28))
    db.flush()
    r = generate(client, s)
    assert r.json["removed"] == 1 and statement_of(db, s.kids[2]) is None


def test_reissue_voids_and_issues_a_new_statement(client, db):
    s = setup(db)
    generate(client, s)
    issue_all(client, s)
    st = statement_of(db, s.kids[0])
    s.term.base_fee_fen = 7500
    db.flush()
    url = f"{ADMIN}/{s.sid}/statements/{st.id}/reissue"
    r = client.post(url, json={"reason": "收费标准更正"}, headers=s.office)
    assert r.status_code == 200, r.json
    assert r.json["voided"]["status"] == "void"
    new = r.json["statement"]
    assert new["status"] == "issued" and new["total_fen"] == 7500 and new["replaces_id"] == st.id
    # the family still sees the void one by id, but not in the list
    assert client.get(f"/api/v1/statements/{st.id}", headers=s.parent).json["status"] == "void"
    listing = client.get(f"/api/v1/students/{s.kids[0].id}/statements", headers=s.parent).json
    assert [x["id"] for x in listing] == [new["id"]]
    r = client.post(
        f"{ADMIN}/{s.sid}/statements/{st.id}/reissue", json={"reason": "x"}, headers=s.office
    )
    assert r.status_code == 409 and r.json["error"] == "statement_not_reissuable"


def test_manual_adjustment(client, db):
    s = setup(db)
    generate(client, s)
    issue_all(client, s)
    st = statement_of(db, s.kids[0])
    url = f"{ADMIN}/{s.sid}/statements/{st.id}/adjustments"
    r = client.post(url, json={"amount_fen": -500, "description": "活动取消退费"}, headers=s.office)
    assert r.status_code == 201 and r.json["total_fen"] == 7500
    assert r.json["lines"][-1] == {
        "kind": "adjustment",
        "description": "活动取消退费",
        "amount_fen": -500,
    }
    r = client.post(url, json={"amount_fen": 0, "description": "x"}, headers=s.office)
    assert r.status_code == 422 and "amount_fen" in r.json["errors"]
    r = client.post(url, json={"amount_fen": "5", "description": "x"}, headers=s.office)
    assert r.status_code == 422
    assert_totals_consistent(db)


def test_adjustment_may_not_make_a_total_negative(client, db):
    s = setup(db)
    generate(client, s)
    issue_all(client, s)
    st = statement_of(db, s.kids[0])
    url = f"{ADMIN}/{s.sid}/statements/{st.id}/adjustments"
    r = client.post(url, json={"amount_fen": -99999999, "description": "x"}, headers=s.office)
    assert r.status_code == 422 and r.json["error"] == "statement_total_negative", r.json
    assert "80.00" in r.json["message"] and "-999999.99" in r.json["message"]
    assert "amount_fen" in r.json["errors"]
    db.refresh(st)
    assert st.total_fen == 8000 and st.status == "issued"
    r = client.post(url, json={"amount_fen": -8001, "description": "x"}, headers=s.office)
    assert r.status_code == 422
    # down to zero is allowed (a full waiver), and a charge on top of it again
    r = client.post(url, json={"amount_fen": -8000, "description": "全免"}, headers=s.office)
    assert r.status_code == 201 and r.json["total_fen"] == 0
    r = client.post(url, json={"amount_fen": -1, "description": "x"}, headers=s.office)
    assert r.status_code == 422
    r = client.post(url, json={"amount_fen": 100, "description": "补收"}, headers=s.office)
    assert r.status_code == 201 and r.json["total_fen"] == 100
    assert_totals_consistent(db)


def test_period_validation(client, db):
    s = setup(db)
    for bad in ("2026-9", "2027-03", "term", "2026-13"):
        r = generate(client, s, period=bad)
        assert r.status_code == 422 and r.json["error"] == "invalid_period", bad
    r = client.post(
        f"{ADMIN}/{s.sid}/terms/{s.tid}/statements/generate",
        json={"period": SEPT, "extra": 1},
        headers=s.office,
    )
    assert r.status_code == 422 and r.json["error"] == "validation_error"
    assert db.scalar(sa.select(sa.func.count()).select_from(Statement)) == 0


def test_term_billing_uses_the_whole_term(client, db):
    s = setup(db, billing_mode="term", base_fee_fen=30000)
    assert generate(client, s, period=SEPT).json["error"] == "invalid_period"
    r = generate(client, s, period="term")
    assert r.status_code == 200 and r.json["created"] == 3
    st = statement_of(db, s.kids[0], period="term")
    assert st.total_fen == 30000 and st.service_days == r.json["service_days"]


def test_office_list_filters_and_export(client, db):
    import io

    import openpyxl

    s = setup(db)
    generate(client, s)
    issue_all(client, s)
    url = f"{ADMIN}/{s.sid}/statements"
    r = client.get(f"{url}?term_id={s.tid}&period={SEPT}&page_size=2", headers=s.office)
    assert r.status_code == 200 and len(r.json) == 2
    assert '"total": 3' in r.headers["X-Pagination"]
    cls = s.a["classes"][1].id
    r = client.get(f"{url}?class_id={cls}", headers=s.office)
    assert [x["student_id"] for x in r.json] == [s.kids[2].id]
    r = client.get(f"{url}?status=paid", headers=s.office)
    assert r.json == []
    r = client.get(f"{url}?status=bogus", headers=s.office)
    assert r.status_code == 422
    r = client.get(f"{url}/export?term_id={s.tid}", headers=s.office)
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    rows = list(wb.active.iter_rows(values_only=True))
    assert len(rows) == 4 and rows[1][6] == "80.00"


def test_bulk_issue_leaves_many_messages_to_the_sweep(client, db, fake_wechat, monkeypatch):
    from backend.fees import issuing

    monkeypatch.setattr(issuing, "WAKE_UP_LIMIT", 0)
    s = setup(db)
    for kid in s.kids[1:]:
        f.guardian_of(db, f.user(db), kid)
    generate(client, s)
    assert issue_all(client, s).json["issued"] == 3
    rows = db.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "statement_issued"))
    assert sorted(m.payload["fields"]["amount2"] for m in rows) == ["80.00元"] * 3
    with client.application.app_context():
        worker.run(burst=True)
    assert len(fake_wechat.sent_messages) == 3
