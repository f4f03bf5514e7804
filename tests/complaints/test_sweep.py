"""The daily sweep flags overdue complaints once; the district's counts and lists."""

from __future__ import annotations

import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.complaints import jobs, queries
from backend.complaints.models import Complaint
from backend.database import get_session
from backend.notifications import worker
from backend.notifications.models import OutboxMessage
from tests.complaints.conftest import URL, admin_url, file, past_due


def test_sweep_flags_each_overdue_complaint_once(app, client, db, cw, fake_wechat):
    a = cw.a
    late = file(client, a).json["id"]
    accepted_late = file(client, a).json["id"]
    on_time = file(client, a).json["id"]
    answered = file(client, a).json["id"]
    client.post(admin_url(a, f"/{accepted_late}/accept"), headers=a.h_office)
    client.post(admin_url(a, f"/{answered}/accept"), headers=a.h_office)
    client.post(
        admin_url(a, f"/{answered}/reply"),
        json={"text": "已处理", "resolution": "resolved"},
        headers=a.h_office,
    )
    for cid in (late, accepted_late, answered):
        past_due(db, cid)
    with app.test_request_context():
        assert jobs.sweep() == {"flagged": 2}
        assert jobs.sweep() == {"flagged": 0}
    db.expire_all()
    flagged = db.scalars(
        sa.select(Complaint.id).where(Complaint.overdue_flagged_at.is_not(None))
    ).all()
    assert sorted(flagged) == sorted([late, accepted_late])
    assert db.get(Complaint, late).status == "submitted"  # a flag, not a state change
    assert db.get(Complaint, on_time).overdue_flagged_at is None
    audits = db.scalars(sa.select(AuditLog).where(AuditLog.action == "complaint.overdue")).all()
    assert len(audits) == 2 and {r.actor_kind for r in audits} == {"system"}
    listed = client.get(admin_url(a), query_string={"overdue": "true"}, headers=a.h_office).json
    assert sorted(c["id"] for c in listed) == sorted([late, accepted_late])
    assert all(c["overdue_flagged_at"] for c in listed)
    events = client.get(f"{URL}/{late}", headers=a.h_parent).json["events"]
    assert [e["kind"] for e in events] == ["submitted", "overdue"]
    with app.app_context():
        worker.run(burst=True)
    overdue_msgs = [
        m for m in fake_wechat.sent_messages if m["template_id"] == "tmpl-complaint_overdue"
    ]
    assert len(overdue_msgs) == 2 and overdue_msgs[0]["touser"] == a.parent.openid


def test_the_command(app, db, client, cw):
    cid = file(client, cw.a).json["id"]
    past_due(db, cid)
    result = app.test_cli_runner().invoke(args=["complaints", "sweep"])
    assert "'flagged': 1" in result.output
    assert db.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 1


def test_counts_by_school_and_the_district_list(app, client, db, cw):
    a, b = cw.a, cw.b
    late = file(client, a).json["id"]
    file(client, a)
    escalated = file(client, b).json["id"]
    closed = file(client, b).json["id"]
    past_due(db, late)
    past_due(db, escalated)
    client.post(f"{URL}/{escalated}/escalate", headers=b.h_parent)
    client.post(admin_url(b, f"/{closed}/accept"), headers=b.h_office)
    client.post(
        admin_url(b, f"/{closed}/reply"),
        json={"text": "已处理", "resolution": "resolved"},
        headers=b.h_office,
    )
    with app.test_request_context():
        session = get_session()
        counts = queries.counts_by_school(session, [a.sid, b.sid, 999])
        assert counts == {
            a.sid: {"open": 2, "overdue": 1},
            b.sid: {"open": 1, "overdue": 0},
            999: {"open": 0, "overdue": 0},
        }
        both, total = queries.escalated_or_overdue(session, [a.sid, b.sid], None, 1, 20)
        assert total == 2 and {c["id"] for c in both} == {late, escalated}
        only, _ = queries.escalated_or_overdue(session, [a.sid, b.sid], "escalated", 1, 20)
        assert [c["id"] for c in only] == [escalated]
        assert queries.escalated_or_overdue(session, [b.sid], "submitted", 1, 20) == ([], 0)
        assert queries.escalated_or_overdue(session, [], None, 1, 20) == ([], 0)
