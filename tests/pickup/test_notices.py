"""Pickup notices: kinds, the calendar, enrollment, replacement, lateness, cancellation."""

from __future__ import annotations

from datetime import time, timedelta

import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.notifications.models import OutboxMessage
from backend.pickup.models import PickupNotice
from backend.signup.models import Application
from tests import factories as f
from tests.pickup.conftest import add_person, build, close_on, serve_on

URL = "/api/v1/pickup-notices"


def _post(client, ns, headers=None, **body):
    body = {"student_id": ns.kid.id, "date": ns.today.isoformat(), "kind": "regular", **body}
    return client.post(URL, json=body, headers=headers or ns.h_parent)


def _count(db, **where):
    query = sa.select(sa.func.count()).select_from(PickupNotice)
    for key, value in where.items():
        query = query.where(getattr(PickupNotice, key) == value)
    return db.scalar(query)


def test_each_kind_and_its_rules(client, db, pk):
    a = pk.a
    person = add_person(client, a)
    r = _post(client, a, kind="early", pickup_time="16:00", pickup_person_id=person["id"])
    assert r.status_code == 201, r.json
    assert r.json["status"] == "submitted" and r.json["late"] is False
    assert r.json["pickup_person"]["name"] == "王奶奶" and r.json["pickup_time"] == "16:00"
    # early without time or person
    r = _post(client, a, kind="early", pickup_time="16:00")
    assert r.status_code == 422 and "pickup_person_id" in r.json["errors"]
    r = _post(client, a, kind="early", pickup_person_id=person["id"])
    assert r.status_code == 422 and "pickup_time" in r.json["errors"]
    # regular and absent take no time; absent and self take no person
    assert _post(client, a, kind="regular", pickup_time="16:00").status_code == 422
    assert _post(client, a, kind="absent", pickup_person_id=person["id"]).status_code == 422
    # self needs the guardian's standing permission
    r = _post(client, a, kind="self")
    assert r.status_code == 409 and r.json["error"] == "self_leave_not_allowed"
    client.put(
        f"/api/v1/students/{a.kid.id}/self-leave", json={"allowed": True}, headers=a.h_parent
    )
    assert _post(client, a, kind="self").status_code == 201
    # someone who is not on the pupil's list (another pupil's person) is refused
    other = add_person(client, pk.b)
    r = _post(client, a, kind="early", pickup_time="16:00", pickup_person_id=other["id"])
    assert r.status_code == 422 and r.json["error"] == "invalid_pickup_person"
    # only the last two 201s are there: one open (self), the early one replaced
    assert _count(db, status="replaced") == 1 and _count(db, status="submitted") == 1


def test_pickup_time_must_be_before_service_end(client, db):
    w = build(db, end=time(17, 30))
    person = add_person(client, w.a)
    r = _post(client, w.a, kind="early", pickup_time="17:30", pickup_person_id=person["id"])
    assert r.status_code == 422 and r.json["error"] == "invalid_pickup_time"


def test_calendar_and_enrollment(client, db, pk):
    a = pk.a
    tomorrow = pk.today + timedelta(days=1)
    close_on(db, a.term, tomorrow)
    r = _post(client, a, date=tomorrow.isoformat())
    assert r.status_code == 422 and r.json["error"] == "not_a_service_day"
    r = _post(client, a, date=(pk.today + timedelta(days=400)).isoformat())
    assert r.status_code == 422 and r.json["error"] == "not_a_service_day"
    r = _post(client, a, date=(pk.today - timedelta(days=1)).isoformat())
    assert r.status_code == 422 and r.json["error"] == "date_in_past"
    # a pupil whose application is not (yet) enrolled
    app_row = db.scalar(sa.select(Application).where(Application.student_id == a.kid.id))
    app_row.state = "in_publicity"
    db.flush()
    r = _post(client, a)
    assert r.status_code == 403 and r.json["error"] == "not_enrolled"
    assert _count(db) == 0
    # a make-up day the office opened is a service day
    app_row.state = "enrolled"
    saturday = pk.today + timedelta(days=(5 - pk.today.weekday()) % 7 or 7)
    serve_on(db, a.term, saturday)
    assert _post(client, a, date=saturday.isoformat()).status_code == 201


def test_newer_notice_replaces_the_open_one_and_history_stays(client, db, pk):
    a = pk.a
    first = _post(client, a, kind="absent").json
    second = _post(client, a, kind="regular", note="奶奶来接", headers=a.h_other_parent).json
    assert db.get(PickupNotice, first["id"]).status == "replaced"
    assert db.get(PickupNotice, first["id"]).replaced_by_id == second["id"]
    listing = client.get(URL, query_string={"student_id": a.kid.id}, headers=a.h_parent)
    assert [n["id"] for n in listing.json] == [second["id"], first["id"]]
    assert [n["status"] for n in listing.json] == ["submitted", "replaced"]
    assert listing.headers["X-Pagination"]
    # each change tells the other guardian
    kinds = (
        db.execute(
            sa.select(OutboxMessage.user_id).where(OutboxMessage.kind == "pickup_notice_changed")
        )
        .scalars()
        .all()
    )
    assert kinds == [a.other_parent.id, a.parent.id]
    by_date = client.get(
        URL, query_string={"date": pk.today.isoformat()}, headers=a.h_other_parent
    ).json
    assert len(by_date) == 2
    assert (
        client.get(URL, query_string={"student_id": a.kid.id}, headers=pk.b.h_parent).status_code
        == 404
    )
    assert client.get(URL, query_string={"student_id": "x"}, headers=a.h_parent).status_code == 422
    assert client.get(URL, query_string={"nope": 1}, headers=a.h_parent).status_code == 422


def test_late_notice_needs_the_head_teacher(client, db):
    w = build(db, cutoff=time(0, 0))
    a = w.a
    r = _post(client, a, kind="absent")
    assert r.status_code == 201 and r.json["late"] is True
    notice_id = r.json["id"]
    teachers = db.scalars(
        sa.select(OutboxMessage.user_id).where(OutboxMessage.kind == "pickup_notice_late")
    ).all()
    assert teachers == [a.teacher.id]
    board = client.get(f"/api/v1/classes/{a.classes[0].id}/dismissal", headers=a.h_teacher).json
    row = next(r for r in board if r["student_id"] == a.kid.id)
    assert row["late"] is True and row["acknowledged"] is False
    ack = f"{URL}/{notice_id}/acknowledge"
    assert client.post(ack, headers=a.h_parent).status_code == 403
    assert client.post(ack, headers=w.b.h_teacher).status_code == 404
    r = client.post(ack, headers=a.h_teacher)
    assert r.status_code == 200 and r.json["status"] == "acknowledged"
    assert client.post(ack, headers=a.h_teacher).status_code == 200
    assert db.scalars(
        sa.select(OutboxMessage.user_id).where(OutboxMessage.kind == "pickup_notice_acknowledged")
    ).all() == [a.parent.id]
    # past the cutoff a guardian cannot cancel; a new notice (late again) is the way
    r = client.delete(f"{URL}/{notice_id}", headers=a.h_parent)
    assert r.status_code == 409 and r.json["error"] == "past_cutoff"
    assert _post(client, a, kind="regular").json["late"] is True


def test_cancel_before_the_cutoff(client, db, pk):
    a = pk.a
    notice = _post(client, a, kind="absent").json
    url = f"{URL}/{notice['id']}"
    assert client.delete(url, headers=pk.b.h_parent).status_code == 404
    assert client.delete(url, headers=a.h_teacher).status_code == 404
    assert client.delete(url, headers=a.h_other_parent).status_code == 204
    assert db.get(PickupNotice, notice["id"]).status == "cancelled"
    r = client.delete(url, headers=a.h_parent)
    assert r.status_code == 409 and r.json["error"] == "notice_closed"
    r = client.post(f"{URL}/{notice['id']}/acknowledge", headers=a.h_teacher)
    assert r.status_code == 409
    assert (
        db.scalar(
            sa.select(sa.func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "pickup_notice.cancel")
        )
        == 1
    )


def test_withdrawing_self_leave_cancels_open_self_notices(client, db, pk):
    a = pk.a
    url = f"/api/v1/students/{a.kid.id}/self-leave"
    client.put(url, json={"allowed": True}, headers=a.h_parent)
    notice = _post(client, a, kind="self").json
    client.put(url, json={"allowed": False}, headers=a.h_other_parent)
    assert db.get(PickupNotice, notice["id"]).status == "cancelled"


def test_bad_input(client, db, pk):
    a = pk.a
    for body in (
        {"student_id": a.kid.id, "date": "2026-13-01", "kind": "regular"},
        {"student_id": a.kid.id, "date": pk.today.isoformat(), "kind": "teleport"},
        {"student_id": str(a.kid.id), "date": pk.today.isoformat(), "kind": "regular"},
        {"student_id": a.kid.id, "date": pk.today.isoformat(), "kind": "regular", "x": 1},
        {
            "student_id": a.kid.id,
            "date": pk.today.isoformat(),
            "kind": "early",
            "pickup_time": "4pm",
            "pickup_person_id": 1,
        },
        {"student_id": a.kid.id, "date": pk.today.isoformat()},
    ):
        r = client.post(URL, json=body, headers=a.h_parent)
        assert r.status_code == 422 and r.json["error"] == "validation_error", body
    assert _count(db) == 0
    r = _post(client, a, headers=pk.b.h_parent)
    assert r.status_code == 404
    stranger = f.auth(db, user_row=f.user(db))
    assert _post(client, a, headers=stranger).status_code == 404
