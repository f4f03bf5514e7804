"""Escalation to the district, the filer's feedback, and the district's reply (service
level: the district's routes come later and call district.district_reply)."""

from __future__ import annotations

import pytest

from backend.common.states import IllegalTransition
from backend.complaints.district import district_reply
from backend.complaints.models import Complaint
from backend.errors import NotFound, ValidationFailed
from backend.notifications.models import OutboxMessage
from tests.complaints.conftest import URL, admin_url, file, past_due, replied_ago


def _escalate(client, ns, cid):
    return client.post(f"{URL}/{cid}/escalate", headers=ns.h_parent)


def _answered(client, ns, resolution="rejected"):
    cid = file(client, ns).json["id"]
    client.post(admin_url(ns, f"/{cid}/accept"), headers=ns.h_office)
    r = client.post(
        admin_url(ns, f"/{cid}/reply"),
        json={"text": "经核查，情况不属实", "resolution": resolution},
        headers=ns.h_office,
    )
    assert r.status_code == 200, r.json
    return cid


def test_not_before_the_due_time(client, cw):
    a = cw.a
    cid = file(client, a).json["id"]
    r = _escalate(client, a, cid)
    assert r.status_code == 409 and r.json["error"] == "cannot_escalate"
    client.post(admin_url(a, f"/{cid}/accept"), headers=a.h_office)
    assert _escalate(client, a, cid).status_code == 409


def test_overdue_and_unanswered_may_be_escalated_once(client, db, cw):
    a = cw.a
    cid = file(client, a).json["id"]
    past_due(db, cid)
    assert client.get(f"{URL}/{cid}", headers=a.h_parent).json["can_escalate"] is True
    r = _escalate(client, a, cid)
    assert r.status_code == 200 and r.json["status"] == "escalated"
    assert r.json["events"][-1]["kind"] == "escalated"
    assert _escalate(client, a, cid).json["error"] == "cannot_escalate"
    # only the filer escalates; the school can no longer answer it
    assert client.post(f"{URL}/{cid}/escalate", headers=a.h_other_parent).status_code == 404
    r = client.post(
        admin_url(a, f"/{cid}/reply"),
        json={"text": "x", "resolution": "resolved"},
        headers=a.h_office,
    )
    assert r.status_code == 409


def test_a_reply_not_accepted_may_be_escalated_within_seven_days(client, db, cw):
    a = cw.a
    cid = _answered(client, a)
    replied_ago(db, cid, 6)
    assert _escalate(client, a, cid).status_code == 200
    late = _answered(client, a)
    replied_ago(db, late, 8)
    assert _escalate(client, a, late).json["error"] == "cannot_escalate"


def test_feedback_after_a_reply_once_and_satisfied_closes_escalation(client, cw):
    a = cw.a
    cid = file(client, a).json["id"]
    r = client.post(f"{URL}/{cid}/feedback", json={"satisfied": True}, headers=a.h_parent)
    assert r.status_code == 409 and r.json["error"] == "complaint_not_replied"
    cid = _answered(client, a, "resolved")
    bad = client.post(f"{URL}/{cid}/feedback", json={"satisfied": "yes"}, headers=a.h_parent)
    assert bad.status_code == 422
    other = client.post(f"{URL}/{cid}/feedback", json={"satisfied": True}, headers=a.h_other_parent)
    assert other.status_code == 404
    r = client.post(
        f"{URL}/{cid}/feedback", json={"satisfied": True, "comment": "满意"}, headers=a.h_parent
    )
    assert r.status_code == 200
    assert r.json["feedback"]["satisfied"] is True and r.json["can_escalate"] is False
    assert r.json["events"][-1] == {**r.json["events"][-1], "kind": "feedback", "text": "满意"}
    again = client.post(f"{URL}/{cid}/feedback", json={"satisfied": False}, headers=a.h_parent)
    assert again.status_code == 409 and again.json["error"] == "feedback_already_given"
    assert _escalate(client, a, cid).json["error"] == "cannot_escalate"
    office = client.get(admin_url(a, f"/{cid}"), headers=a.h_office).json
    assert office["feedback"]["comment"] == "满意"


def test_unsatisfied_feedback_then_escalation(client, cw):
    a = cw.a
    cid = _answered(client, a)
    client.post(f"{URL}/{cid}/feedback", json={"satisfied": False}, headers=a.h_parent)
    assert _escalate(client, a, cid).json["status"] == "escalated"


def test_district_reply(app, client, db, cw):
    a, b = cw.a, cw.b
    cid = _answered(client, a)
    open_one = file(client, a).json["id"]
    _escalate(client, a, cid)
    with app.test_request_context():
        with pytest.raises(NotFound):
            district_reply([b.sid], cid, "督办意见", "resolved")
        with pytest.raises(IllegalTransition):
            district_reply([a.sid, b.sid], open_one, "督办意见", "resolved")
        with pytest.raises(ValidationFailed):
            district_reply([a.sid], cid, "督办意见", "closed")
        with pytest.raises(ValidationFailed):
            district_reply([a.sid], cid, " ", "resolved")
        out = district_reply([a.sid], cid, "经督办，学校已整改", "resolved")
    assert out["status"] == "resolved" and out["replied_by"] == "district"
    assert "filer" not in out and "student" not in out and "student_id" not in out
    mine = client.get(f"{URL}/{cid}", headers=a.h_parent).json
    assert mine["reply_text"] == "经督办，学校已整改" and mine["feedback"] is None
    assert [e["by"] for e in mine["events"]][-2:] == ["filer", "district"]
    # the district's word is final: no second escalation, but it may be rated
    assert _escalate(client, a, cid).json["error"] == "cannot_escalate"
    r = client.post(f"{URL}/{cid}/feedback", json={"satisfied": False}, headers=a.h_parent)
    assert r.status_code == 200
    kinds = db.query(OutboxMessage.kind).filter(OutboxMessage.user_id == a.parent.id).all()
    assert [k for (k,) in kinds][-2:] == ["complaint_escalated", "complaint_replied"]
    assert db.get(Complaint, cid).replied_by == "district"
