"""A pupil leaving the service (withdrawal, completed deletion, roster removal) ends their
seats, handoff codes, pickup notices and billing from that day, over HTTP; unbinding does not."""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime, time, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from backend.common.clock import SCHOOL_TZ, today
from backend.courses.models import Selection
from backend.fees.models import Statement
from backend.notifications.models import OutboxMessage
from backend.pickup.models import PickupNotice
from backend.signup.models import Application
from backend.terms import calendar as cal
from tests import factories as f
from tests.courses.helpers import select
from tests.pickup.conftest import LATE_EVENING, add_person, issue_code, serve_on

ADMIN = "/admin/api/v1/schools"
BASE_FEE = 6000


def _from_the_start(term, app) -> None:
    app.enrolled_at = datetime.combine(term.starts_on - timedelta(days=5), time(8), SCHOOL_TZ)


def _family(db, klass, term):
    """An enrolled pupil with a guardian of their own, and the guardian's headers."""
    child = f.student(db, klass)
    parent = f.user(db)
    f.guardian_of(db, parent, child)
    _from_the_start(term, f.enrolled(db, term, child))
    return SimpleNamespace(kid=child, user=parent, h=f.auth(db, user_row=parent))


def _world(db, client):
    """Course A (1 seat) held by the leaving pupil with another pupil waitlisted; course B
    (1 seat) held by the leaving pupil with a third pupil turned away; a code for today;
    notices for yesterday, today and tomorrow."""
    w = f.World(db)
    a = w.schools[0]
    klass = a["classes"][0]
    term = f.term(
        db,
        a["school"],
        billing_mode="term",
        base_fee_fen=BASE_FEE,
        pickup_cutoff_time=LATE_EVENING,
        service_end_time=LATE_EVENING,
    )
    day = today()
    for d in (day - timedelta(days=1), day, day + timedelta(days=1)):
        serve_on(db, term, d)
    kid = a["kids"][0]
    app = f.enrolled(db, term, kid, applicant=a["parent"])
    _from_the_start(term, app)
    s = SimpleNamespace(
        w=w,
        a=a,
        sid=a["school"].id,
        term=term,
        kid=kid,
        app=app,
        h_parent=f.auth(db, user_row=a["parent"]),
        office=f.auth(db, admin_row=a["office"]),
        gate=f.auth(db, user_row=a["gate"]),
        waiter=_family(db, klass, term),
        taker=_family(db, klass, term),
        day=day,
    )
    s.course_a = f.course(db, term, capacity=1, weekdays=[1, 3])
    s.course_b = f.course(db, term, capacity=1, weekdays=[2, 4])
    db.flush()
    for course in (s.course_a, s.course_b):
        assert select(client, s.h_parent, kid, course).json["status"] == "confirmed"
    r = select(client, s.waiter.h, s.waiter.kid, s.course_a, join_waitlist=True)
    assert r.json["status"] == "waitlisted", r.json
    r = select(client, s.taker.h, s.taker.kid, s.course_b)
    assert r.status_code == 409 and r.json["error"] == "course_full"
    ns = SimpleNamespace(kid=kid, h_parent=s.h_parent)
    s.code = issue_code(client, ns, add_person(client, ns)["id"])
    s.notices = {}
    for when, d in (("today", day), ("tomorrow", day + timedelta(days=1))):
        body = {"student_id": kid.id, "date": d.isoformat(), "kind": "regular"}
        r = client.post("/api/v1/pickup-notices", json=body, headers=s.h_parent)
        assert r.status_code == 201, r.json
        s.notices[when] = r.json["id"]
    past = PickupNotice(
        student_id=kid.id,
        school_id=s.sid,
        class_id=kid.class_id,
        term_id=term.id,
        day=day - timedelta(days=1),
        kind="regular",
        status="submitted",
        created_by=a["parent"].id,
    )
    db.add(past)
    db.flush()
    s.notices["yesterday"] = past.id
    return s


def _withdraw(client, s):
    r = client.post(
        f"/api/v1/applications/{s.app.id}/withdraw", json={"reason": "转学"}, headers=s.h_parent
    )
    assert r.status_code == 200 and r.json["state"] == "withdrawn", r.json


def _delete(client, s):
    r = client.post(
        "/api/v1/me/data-deletion-requests",
        json={"student_id": s.kid.id, "reason": "转学"},
        headers=s.h_parent,
    )
    assert r.status_code == 201, r.json
    url = f"{ADMIN}/{s.sid}/data-deletion-requests/{r.json['id']}/complete"
    r = client.post(url, json={"response": "已处理"}, headers=s.office)
    assert r.status_code == 200 and r.json["status"] == "completed", r.json


def _remove_from_roster(client, s):
    url = f"{ADMIN}/{s.sid}/students/{s.kid.id}"
    r = client.patch(url, json={"active": False}, headers=s.office)
    assert r.status_code == 200 and r.json["active"] is False, r.json


LEAVINGS = {"withdrawal": _withdraw, "deletion": _delete, "roster_removal": _remove_from_roster}


def _courses(client, s) -> dict[int, dict]:
    url = f"{ADMIN}/{s.sid}/terms/{s.term.id}/courses"
    r = client.get(url, headers=s.office)
    assert r.status_code == 200, r.json
    return {c["id"]: c for c in r.json}


def _expected_total(db, s) -> int:
    """The base fee for the days served before the leaving day, rounded half up."""
    days = cal.service_days(db, s.term, s.term.starts_on, s.term.ends_on)
    served = bisect_left(days, s.day)
    return (2 * BASE_FEE * served + len(days)) // (2 * len(days))


@pytest.mark.parametrize("how", list(LEAVINGS))
def test_leaving_frees_seats_ends_codes_and_notices_and_prorates(client, db, how):
    s = _world(db, client)
    assert _courses(client, s)[s.course_a.id]["seats_left"] == 0
    LEAVINGS[how](client, s)
    db.expire_all()

    # Course A: the seat went to the waitlisted pupil, who is told; still no seat left.
    a, b = _courses(client, s)[s.course_a.id], _courses(client, s)[s.course_b.id]
    assert (a["seats_left"], a["waitlist_length"]) == (0, 0)
    mine = client.get(f"/api/v1/selections?student_id={s.waiter.kid.id}", headers=s.waiter.h).json
    assert [(x["course_id"], x["status"]) for x in mine] == [(s.course_a.id, "confirmed")]
    promoted = db.scalars(
        sa.select(OutboxMessage.user_id).where(OutboxMessage.kind == "course_promoted")
    ).all()
    assert promoted == [s.waiter.user.id]
    # Course B: its seat is free again, and the pupil turned away before now gets it.
    assert b["seats_left"] == 1
    r = select(client, s.taker.h, s.taker.kid, s.course_b)
    assert r.status_code == 201 and r.json["status"] == "confirmed", r.json

    # The leaving pupil's code no longer opens the gate.
    r = client.post("/api/v1/gate/verify", json={"qr_token": s.code["qr_token"]}, headers=s.gate)
    if how == "deletion":  # the code went with the pupil's personal data
        assert r.status_code == 404 and r.json["error"] == "code_not_found"
    else:
        assert r.status_code == 410 and r.json["error"] == "code_void"

    # Notices from the leaving day on are cancelled; earlier ones kept.
    status = dict(
        db.execute(
            sa.select(PickupNotice.id, PickupNotice.status).where(
                PickupNotice.student_id == s.kid.id
            )
        ).all()
    )
    if how == "deletion":
        assert status == {}
    else:
        assert status == {
            s.notices["yesterday"]: "submitted",
            s.notices["today"]: "cancelled",
            s.notices["tomorrow"]: "cancelled",
        }

    # Billing: the term's statement charges the days served before the leaving day.
    app = db.get(Application, s.app.id)
    assert app.state == "withdrawn"
    assert app.withdrawn_at.astimezone(SCHOOL_TZ).date() == s.day
    url = f"{ADMIN}/{s.sid}/terms/{s.term.id}/statements/generate"
    r = client.post(url, json={"period": "term"}, headers=s.office)
    assert r.status_code == 200, r.json
    st = db.scalar(sa.select(Statement).where(Statement.student_id == s.kid.id))
    expected = _expected_total(db, s)
    assert 0 < expected < BASE_FEE
    assert st.total_fen == expected
    full = db.scalar(sa.select(Statement).where(Statement.student_id == s.waiter.kid.id))
    assert full.total_fen == BASE_FEE


def test_unbinding_is_not_a_leaving(client, db):
    s = _world(db, client)
    r = client.delete(f"/api/v1/me/children/{s.kid.id}", headers=s.h_parent)
    assert r.status_code in (200, 204), r.json
    db.expire_all()
    assert db.get(Application, s.app.id).state == "enrolled"
    held = db.scalars(
        sa.select(Selection.status).where(Selection.student_id == s.kid.id).order_by(Selection.id)
    ).all()
    assert held == ["confirmed", "confirmed"]
    courses = _courses(client, s)
    assert courses[s.course_a.id]["seats_left"] == 0
    assert courses[s.course_a.id]["waitlist_length"] == 1
    r = client.post("/api/v1/gate/verify", json={"qr_token": s.code["qr_token"]}, headers=s.gate)
    assert r.status_code == 200, r.json


def test_withdrawing_a_later_terms_application_leaves_todays_service_alone(client, db):
    s = _world(db, client)
    later = f.term(
        db,
        s.a["school"],
        starts_on=s.term.ends_on + timedelta(days=10),
        ends_on=s.term.ends_on + timedelta(days=120),
    )
    nxt = f.application(db, later, s.kid, s.a["parent"], state="submitted")
    r = client.post(f"/api/v1/applications/{nxt.id}/withdraw", json={}, headers=s.h_parent)
    assert r.status_code == 200 and r.json["state"] == "withdrawn", r.json
    db.expire_all()
    assert db.get(Application, s.app.id).state == "enrolled"
    assert _courses(client, s)[s.course_a.id]["waitlist_length"] == 1
    r = client.post("/api/v1/gate/verify", json={"qr_token": s.code["qr_token"]}, headers=s.gate)
    assert r.status_code == 200, r.json
