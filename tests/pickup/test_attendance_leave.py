"""Attendance sheets and leave requests (with the refundable flag the fees work reads)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.notifications.models import OutboxMessage
from backend.pickup.models import AttendanceRecord, LeaveDay, LeaveRequest
from tests import factories as f
from tests.pickup.conftest import add_person, close_on, issue_code, serve_on

LEAVE = "/api/v1/leave-requests"


def _att(ns):
    return f"/api/v1/classes/{ns.classes[0].id}/attendance"


def test_attendance_sheet_put_and_get(client, db, pk):
    a = pk.a
    r = client.get(_att(a), headers=a.h_teacher)
    assert r.status_code == 200
    assert [(x["student_id"], x["status"]) for x in r.json] == [
        (a.kid.id, None),
        (a.classmate.id, None),
    ]
    body = {
        "records": [
            {"student_id": a.kid.id, "status": "present"},
            {"student_id": a.classmate.id, "status": "absent"},
        ]
    }
    r = client.put(_att(a), json=body, headers=a.h_teacher)
    assert r.status_code == 200
    assert {x["student_id"]: x["status"] for x in r.json} == {
        a.kid.id: "present",
        a.classmate.id: "absent",
    }
    # correcting one mark changes one row and leaves a trace
    r = client.put(
        _att(a),
        json={"records": [{"student_id": a.classmate.id, "status": "leave"}]},
        headers=a.h_teacher,
    )
    assert {x["student_id"]: x["status"] for x in r.json}[a.classmate.id] == "leave"
    assert db.scalar(sa.select(sa.func.count()).select_from(AttendanceRecord)) == 2
    audits = db.scalars(sa.select(AuditLog.after).where(AuditLog.action == "attendance.mark")).all()
    assert len(audits) == 2 and audits[1]["changes"] == {str(a.classmate.id): ["absent", "leave"]}
    # the board shows the absent pupil as absent
    board = client.get(f"/api/v1/classes/{a.classes[0].id}/dismissal", headers=a.h_teacher).json
    assert {x["student_id"]: x["status"] for x in board}[a.classmate.id] == "absent"


def test_attendance_all_or_nothing_and_scope(client, db, pk):
    a = pk.a
    for records in (
        [
            {"student_id": a.kid.id, "status": "present"},
            {"student_id": a.other_class_kid.id, "status": "present"},
        ],
        [
            {"student_id": a.kid.id, "status": "present"},
            {"student_id": pk.b.kid.id, "status": "present"},
        ],
        [
            {"student_id": a.kid.id, "status": "present"},
            {"student_id": a.kid.id, "status": "absent"},
        ],
        [{"student_id": a.kid.id, "status": "late"}],
        [],
    ):
        r = client.put(_att(a), json={"records": records}, headers=a.h_teacher)
        assert r.status_code == 422 and r.json["error"] == "validation_error", records
    assert db.scalar(sa.select(sa.func.count()).select_from(AttendanceRecord)) == 0
    body = {"records": [{"student_id": a.kid.id, "status": "present"}]}
    r = client.put(
        _att(a),
        json=body,
        query_string={"date": str(pk.today + timedelta(days=1))},
        headers=a.h_teacher,
    )
    assert r.status_code == 422 and r.json["error"] == "date_in_future"
    assert client.put(_att(a), json=body, headers=a.h_parent).status_code == 403
    assert client.put(_att(a), json=body, headers=pk.b.h_teacher).status_code == 404
    assert client.get(_att(a), headers=a.h_gate).status_code == 403
    assert client.get(_att(a), headers=pk.b.h_teacher).status_code == 404


def _future_service_days(db, ns, count, start=1):
    days, day = [], ns.today + timedelta(days=start)
    while len(days) < count:
        serve_on(db, ns.term, day)
        days.append(day)
        day += timedelta(days=1)
    return days


def test_leave_request_refundable_and_decision(client, db, pk):
    a = pk.a
    days = _future_service_days(db, a, 2)
    r = client.post(
        LEAVE,
        json={
            "student_id": a.kid.id,
            "dates": [str(pk.today), *map(str, days)],
            "reason": "回老家",
        },
        headers=a.h_parent,
    )
    assert r.status_code == 201, r.json
    assert r.json["status"] == "pending"
    # asked today for today: honoured but not refunded; for later days: refundable
    assert r.json["days"] == [
        {"date": str(pk.today), "refundable": False},
        {"date": str(days[0]), "refundable": True},
        {"date": str(days[1]), "refundable": True},
    ]
    leave_id = r.json["id"]
    teachers = db.scalars(
        sa.select(OutboxMessage.user_id).where(OutboxMessage.kind == "leave_requested")
    ).all()
    assert teachers == [a.teacher.id]
    # the same day again is an overlap
    r = client.post(
        LEAVE,
        json={"student_id": a.kid.id, "dates": [str(days[1])], "reason": "x"},
        headers=a.h_other_parent,
    )
    assert r.status_code == 409 and r.json["error"] == "leave_overlap"
    # the head teacher lists the class's pending requests and decides
    listing = client.get(
        LEAVE, query_string={"class_id": a.classes[0].id, "status": "pending"}, headers=a.h_teacher
    )
    assert [x["id"] for x in listing.json] == [leave_id]
    url = f"{LEAVE}/{leave_id}/decision"
    assert client.post(url, json={"decision": "approve"}, headers=a.h_parent).status_code == 403
    assert client.post(url, json={"decision": "approve"}, headers=pk.b.h_teacher).status_code == 404
    r = client.post(url, json={"decision": "reject"}, headers=a.h_teacher)
    assert r.status_code == 422 and r.json["error"] == "leave_comment_required"
    r = client.post(url, json={"decision": "approve", "comment": "注意安全"}, headers=a.h_teacher)
    assert r.status_code == 200 and r.json["status"] == "approved"
    r = client.post(url, json={"decision": "reject", "comment": "改主意"}, headers=a.h_teacher)
    assert r.status_code == 409 and r.json["error"] == "leave_already_decided"
    told = db.scalars(
        sa.select(OutboxMessage.user_id).where(OutboxMessage.kind == "leave_decided")
    ).all()
    assert sorted(told) == sorted([a.parent.id, a.other_parent.id])
    # what the fees work reads
    refundable = db.scalars(
        sa.select(LeaveDay.day)
        .join(LeaveRequest, LeaveRequest.id == LeaveDay.leave_request_id)
        .where(
            LeaveRequest.student_id == a.kid.id,
            LeaveRequest.term_id == a.term.id,
            LeaveRequest.status == "approved",
            LeaveDay.refundable.is_(True),
        )
        .order_by(LeaveDay.day)
    ).all()
    assert refundable == days
    # the board shows the pupil absent on the approved day
    board = client.get(f"/api/v1/classes/{a.classes[0].id}/dismissal", headers=a.h_teacher).json
    row = {x["student_id"]: x for x in board}[a.kid.id]
    assert (row["plan"], row["status"]) == ("absent", "absent")
    mine = client.get(LEAVE, headers=a.h_parent).json
    assert [x["id"] for x in mine] == [leave_id]


def test_leave_dates_must_be_service_days_of_an_enrolled_term(client, db, pk):
    a = pk.a
    closed = pk.today + timedelta(days=3)
    close_on(db, a.term, closed)
    r = client.post(
        LEAVE,
        json={"student_id": a.kid.id, "dates": [str(closed)], "reason": "x"},
        headers=a.h_parent,
    )
    assert r.status_code == 422 and r.json["error"] == "not_a_service_day"
    assert r.json["errors"]["dates"] == [str(closed)]
    r = client.post(
        LEAVE,
        json={"student_id": a.kid.id, "dates": [str(pk.today - timedelta(days=1))], "reason": "x"},
        headers=a.h_parent,
    )
    assert r.status_code == 422 and r.json["error"] == "date_in_past"
    r = client.post(
        LEAVE,
        json={
            "student_id": a.kid.id,
            "dates": [str(pk.today + timedelta(days=500))],
            "reason": "x",
        },
        headers=a.h_parent,
    )
    assert r.status_code == 422
    outsider = f.student(db, a.classes[0])
    f.guardian_of(db, a.parent, outsider)
    r = client.post(
        LEAVE,
        json={"student_id": outsider.id, "dates": [str(pk.today)], "reason": "x"},
        headers=a.h_parent,
    )
    assert r.status_code == 403 and r.json["error"] == "not_enrolled"
    for body in (
        {"student_id": a.kid.id, "dates": [], "reason": "x"},
        {"student_id": a.kid.id, "dates": [str(pk.today)], "reason": ""},
        {"student_id": a.kid.id, "dates": ["soon"], "reason": "x"},
        {"student_id": a.kid.id, "dates": [str(pk.today)], "reason": "x", "refund": True},
    ):
        assert client.post(LEAVE, json=body, headers=a.h_parent).status_code == 422, body
    r = client.post(
        LEAVE,
        json={"student_id": a.kid.id, "dates": [str(pk.today)], "reason": "x"},
        headers=pk.b.h_parent,
    )
    assert r.status_code == 404
    assert db.scalar(sa.select(sa.func.count()).select_from(LeaveRequest)) == 0


def test_guardian_withdraws_a_pending_request(client, db, pk):
    a = pk.a
    leave_id = client.post(
        LEAVE,
        json={"student_id": a.kid.id, "dates": [str(pk.today)], "reason": "x"},
        headers=a.h_parent,
    ).json["id"]
    assert client.delete(f"{LEAVE}/{leave_id}", headers=pk.b.h_parent).status_code == 404
    assert client.delete(f"{LEAVE}/{leave_id}", headers=a.h_teacher).status_code == 404
    r = client.delete(f"{LEAVE}/{leave_id}", headers=a.h_other_parent)
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    assert client.delete(f"{LEAVE}/{leave_id}", headers=a.h_parent).status_code == 409
    # the day is free again
    r = client.post(
        LEAVE,
        json={"student_id": a.kid.id, "dates": [str(pk.today)], "reason": "y"},
        headers=a.h_parent,
    )
    assert r.status_code == 201
    assert (
        client.get(LEAVE, query_string={"student_id": a.kid.id}, headers=pk.b.h_parent).status_code
        == 404
    )
    assert (
        client.get(
            LEAVE, query_string={"class_id": a.classes[0].id}, headers=a.h_parent
        ).status_code
        == 403
    )


def test_pupil_released_at_the_gate_cannot_be_marked_absent(client, db, pk):
    a = pk.a
    person = add_person(client, a)
    code = issue_code(client, a, person["id"])
    r = client.post(
        "/api/v1/gate/handoffs",
        json={"code": code["code"], "outcome": "released"},
        headers=a.h_gate,
    )
    assert r.status_code == 201, r.json
    body = {
        "records": [
            {"student_id": a.kid.id, "status": "absent"},
            {"student_id": a.classmate.id, "status": "present"},
        ]
    }
    r = client.put(_att(a), json=body, headers=a.h_teacher)
    assert r.status_code == 409 and r.json["error"] == "attendance_contradicts_release", r.json
    assert r.json["errors"]["student_ids"] == [a.kid.id] and str(a.kid.id) in r.json["message"]
    assert db.scalar(sa.select(sa.func.count()).select_from(AttendanceRecord)) == 0  # all or none
    body["records"][0]["status"] = "present"
    assert client.put(_att(a), json=body, headers=a.h_teacher).status_code == 200


def test_pupil_released_by_the_teacher_cannot_be_marked_absent(client, db, pk):
    a = pk.a
    base = f"/api/v1/classes/{a.classes[0].id}/dismissal"
    r = client.post(f"{base}/{a.classmate.id}/release", json={}, headers=a.h_teacher)
    assert r.status_code in (200, 201), r.json
    r = client.put(
        _att(a),
        json={"records": [{"student_id": a.classmate.id, "status": "absent"}]},
        headers=a.h_teacher,
    )
    assert r.status_code == 409 and r.json["errors"]["student_ids"] == [a.classmate.id]
