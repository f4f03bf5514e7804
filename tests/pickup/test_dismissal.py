"""The dismissal board, releases, overdue pupils and the sweep job."""

from __future__ import annotations

from datetime import time, timedelta

import sqlalchemy as sa

from backend.notifications.models import OutboxMessage
from backend.pickup import jobs
from backend.pickup.models import HandoffCode, PickupAlert, PickupNotice
from backend.signup.models import Application
from tests import factories as f
from tests.pickup.conftest import add_person, build, close_on, issue_code

NOTICES = "/api/v1/pickup-notices"


def _board(client, ns, **query):
    r = client.get(
        f"/api/v1/classes/{ns.classes[0].id}/dismissal", query_string=query, headers=ns.h_teacher
    )
    assert r.status_code == 200, r.json
    return r.json


def _notice(client, ns, student, **body):
    r = client.post(
        NOTICES,
        json={"student_id": student.id, "date": str(ns.today), **body},
        headers=ns.h_parent,
    )
    assert r.status_code == 201, r.json
    return r.json


def test_board_plans_statuses_and_order(client, db):
    w = build(db, end=time(17, 30))
    a = w.a
    for kid in (a.classmate,):
        f.guardian_of(db, a.parent, kid)
    extra = f.student(db, a.classes[0], name="晚退学生")
    f.enrolled(db, a.term, extra)
    f.guardian_of(db, a.parent, extra)
    not_enrolled = f.student(db, a.classes[0], name="未报名")
    person = add_person(client, a)
    _notice(client, a, a.kid, kind="early", pickup_time="15:30", pickup_person_id=person["id"])
    _notice(client, a, a.classmate, kind="absent")
    rows = _board(client, a)
    names = [r["name"] for r in rows]
    assert not_enrolled.name not in names and a.other_class_kid.name not in names
    assert [r["student_id"] for r in rows] == [a.kid.id, extra.id, a.classmate.id]
    early, regular, absent = rows
    assert (early["plan"], early["pickup_time"], early["status"]) == ("early", "15:30", "in_school")
    assert early["person"]["name"] == "王奶奶"
    assert (regular["plan"], regular["pickup_time"], regular["person"]) == (
        "regular",
        "17:30",
        None,
    )
    assert (absent["plan"], absent["pickup_time"], absent["status"]) == ("absent", None, "absent")
    # the office's later end time for the day is the regular pickup time
    other_day = w.today + timedelta(days=1)
    from tests.pickup.conftest import serve_on

    serve_on(db, a.term, other_day, end=time(16, 45))
    rows = _board(client, a, date=other_day.isoformat())
    assert {r["pickup_time"] for r in rows} == {"16:45"}
    close_on(db, a.term, w.today + timedelta(days=2))
    r = client.get(
        f"/api/v1/classes/{a.classes[0].id}/dismissal",
        query_string={"date": (w.today + timedelta(days=2)).isoformat()},
        headers=a.h_teacher,
    )
    assert r.status_code == 422 and r.json["error"] == "not_a_service_day"


def test_board_scope(client, db, pk):
    a, b = pk.a, pk.b
    url = f"/api/v1/classes/{a.classes[0].id}/dismissal"
    assert client.get(url, headers=a.h_parent).status_code == 403
    assert client.get(url, headers=a.h_gate).status_code == 403
    assert client.get(url, headers=b.h_teacher).status_code == 404
    assert (
        client.get(f"/api/v1/classes/{a.classes[1].id}/dismissal", headers=a.h_teacher).status_code
        == 404
    )
    assert (
        client.get(url, query_string={"date": "tomorrow"}, headers=a.h_teacher).status_code == 422
    )
    assert client.get(url, query_string={"x": "1"}, headers=a.h_teacher).status_code == 422


def test_release_to_gate_and_self_leave(client, db, pk):
    a = pk.a
    f.guardian_of(db, a.parent, a.classmate)
    base = f"/api/v1/classes/{a.classes[0].id}/dismissal"
    r = client.post(f"{base}/{a.kid.id}/release", json={}, headers=a.h_teacher)
    assert r.status_code == 200 and r.json["at_gate"] is True and r.json["status"] == "in_school"
    r = client.post(f"{base}/{a.kid.id}/release", json={"to": "left"}, headers=a.h_teacher)
    assert r.status_code == 409 and r.json["error"] == "self_leave_not_allowed"
    client.put(
        f"/api/v1/students/{a.classmate.id}/self-leave", json={"allowed": True}, headers=a.h_parent
    )
    _notice(client, a, a.classmate, kind="self")
    grandpa = client.post(
        f"/api/v1/students/{a.classmate.id}/pickup-persons",
        json={"name": "赵爷爷", "relation": "grandfather", "phone": "13300000001"},
        headers=a.h_parent,
    ).json
    early_code = issue_code(client, a, grandpa["id"], student=a.classmate)
    r = client.post(f"{base}/{a.classmate.id}/release", json={}, headers=a.h_teacher)
    assert r.status_code == 200 and r.json["status"] == "left"
    # the code issued before the pupil left cannot hand the pupil over again
    r = client.post(
        "/api/v1/gate/handoffs",
        json={"code": early_code["code"], "outcome": "released"},
        headers=a.h_gate,
    )
    assert r.status_code == 409 and r.json["error"] == "already_handed_over"
    notice = db.scalar(sa.select(PickupNotice).where(PickupNotice.student_id == a.classmate.id))
    assert notice.status == "left"
    told = db.scalars(
        sa.select(OutboxMessage.user_id).where(OutboxMessage.kind == "pupil_left")
    ).all()
    assert told == [a.parent.id]
    r = client.post(f"{base}/{a.classmate.id}/release", json={}, headers=a.h_teacher)
    assert r.status_code == 409 and r.json["error"] == "already_handed_over"
    # a pupil who has left cannot be handed over at the gate afterwards
    r = client.post(
        f"/api/v1/students/{a.classmate.id}/handoff-codes",
        json={"pickup_person_id": grandpa["id"]},
        headers=a.h_parent,
    )
    assert r.status_code == 409
    # wrong callers and wrong pupils
    assert client.post(f"{base}/{a.kid.id}/release", json={}, headers=a.h_parent).status_code == 403
    assert (
        client.post(f"{base}/{a.kid.id}/release", json={}, headers=pk.b.h_teacher).status_code
        == 404
    )
    r = client.post(f"{base}/{a.other_class_kid.id}/release", json={}, headers=a.h_teacher)
    assert r.status_code == 404
    r = client.post(f"{base}/{pk.b.kid.id}/release", json={}, headers=a.h_teacher)
    assert r.status_code == 404
    assert (
        client.post(
            f"{base}/{a.kid.id}/release", json={"to": "home"}, headers=a.h_teacher
        ).status_code
        == 422
    )


def test_absent_pupil_is_not_released(client, db, pk):
    a = pk.a
    _notice(client, a, a.kid, kind="absent")
    r = client.post(
        f"/api/v1/classes/{a.classes[0].id}/dismissal/{a.kid.id}/release",
        json={},
        headers=a.h_teacher,
    )
    assert r.status_code == 409 and r.json["error"] == "student_absent"


def test_overdue_list_and_sweep_alert_once(client, db, app):
    w = build(db, end=time(0, 0), grace=0)
    a = w.a
    person = add_person(client, a)
    # kid: handed over; classmate: still in school; a pupil of another class too
    code = issue_code(client, a, person["id"])
    client.post(
        "/api/v1/gate/handoffs",
        json={"code": code["code"], "outcome": "released"},
        headers=a.h_gate,
    )
    url = f"/api/v1/classes/{a.classes[0].id}/dismissal/overdue"
    rows = client.get(url, headers=a.h_teacher).json
    assert [r["student_id"] for r in rows] == [a.classmate.id]
    assert rows[0]["alerted"] is False and rows[0]["overdue_since"].endswith("+08:00")
    f.guardian_of(db, w.a.other_parent, a.classmate)
    with app.test_request_context():
        result = jobs.sweep()
    assert result["alerts"] == 2 + 3  # school a: classmate and other-class kid; school b: all
    with app.test_request_context():
        assert jobs.sweep()["alerts"] == 0
    assert client.get(url, headers=a.h_teacher).json[0]["alerted"] is True
    guardians = db.scalars(
        sa.select(OutboxMessage.user_id).where(
            OutboxMessage.kind == "pickup_overdue", OutboxMessage.school_id == a.school.id
        )
    ).all()
    assert a.other_parent.id in guardians
    teacher = db.scalars(
        sa.select(OutboxMessage).where(
            OutboxMessage.kind == "pickup_overdue_class", OutboxMessage.user_id == a.teacher.id
        )
    ).all()
    assert len(teacher) == 1 and teacher[0].payload["fields"]["number2"] == 1
    assert db.scalar(sa.select(sa.func.count()).select_from(PickupAlert)) == 5
    assert client.get(url, headers=a.h_parent).status_code == 403
    assert client.get(url, headers=w.b.h_teacher).status_code == 404


def test_nothing_is_overdue_before_service_end_plus_grace(client, db, pk, app):
    rows = client.get(
        f"/api/v1/classes/{pk.a.classes[0].id}/dismissal/overdue", headers=pk.a.h_teacher
    )
    assert rows.status_code == 200 and rows.json == []
    with app.test_request_context():
        assert jobs.sweep()["alerts"] == 0


def test_end_of_day_expires_open_codes_and_notices(client, db, pk, app):
    a = pk.a
    person = add_person(client, a)
    code = issue_code(client, a, person["id"])
    notice = _notice(client, a, a.kid, kind="regular")
    with app.test_request_context():
        assert jobs.expire_day() == {"codes_expired": 0, "notices_expired": 0}
    db.get(HandoffCode, code["id"]).service_date = pk.today - timedelta(days=1)
    db.get(PickupNotice, notice["id"]).day = pk.today - timedelta(days=1)
    db.flush()
    with app.test_request_context():
        assert jobs.expire_day() == {"codes_expired": 1, "notices_expired": 1}
    db.expire_all()
    assert db.get(HandoffCode, code["id"]).status == "expired"
    assert db.get(PickupNotice, notice["id"]).status == "expired"


def test_sweep_cli(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["pickup", "sweep"])
    assert result.exit_code == 0, result.output
    assert "codes_expired" in result.output


def test_withdrawn_pupil_leaves_the_board(client, db, pk):
    a = pk.a
    app_row = db.scalar(sa.select(Application).where(Application.student_id == a.classmate.id))
    app_row.state = "withdrawn"
    db.flush()
    ids = [r["student_id"] for r in _board(client, a)]
    assert a.classmate.id not in ids and a.kid.id in ids
