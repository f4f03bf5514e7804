"""First-come selection over HTTP: seats, waitlists, every refusal, drops and promotion."""

from __future__ import annotations

from datetime import time, timedelta

import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.common.clock import now
from backend.courses.models import Selection
from backend.notifications import worker
from backend.notifications.models import OutboxMessage
from tests import factories as f
from tests.courses.helpers import fcfs_world, select


def _count(db, model, *where):
    return db.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_select_takes_a_seat_and_shows_everywhere(client, db):
    x = fcfs_world(db)
    course = f.course(db, x.term, capacity=2, name="足球")
    r = select(client, x.h, x.kid, course)
    assert r.status_code == 201, r.json
    assert r.json["status"] == "confirmed" and "waitlist_position" not in r.json
    assert isinstance(r.json["id"], int)
    db.refresh(course)
    assert course.seats_taken == 1
    listing = client.get(
        f"/api/v1/terms/{x.term.id}/courses", query_string={"student_id": x.kid.id}, headers=x.h
    ).json
    row = next(c for c in listing if c["id"] == course.id)
    assert row["seats_left"] == 1 and row["waitlist_length"] == 0
    assert row["eligible"] is False and row["ineligible_reason"] == "already_selected"
    assert row["start_time"] == "16:00" and row["weekdays"] == [1, 3]
    mine = client.get(
        "/api/v1/selections",
        query_string={"student_id": x.kid.id, "term_id": x.term.id},
        headers=x.h,
    ).json
    assert [(s["course_id"], s["status"]) for s in mine] == [(course.id, "confirmed")]
    audit = db.scalar(sa.select(AuditLog).where(AuditLog.action == "selection.create"))
    assert audit.after["status"] == "confirmed" and audit.school_id == x.a["school"].id


def test_full_course_refuses_or_queues_with_positions(client, db):
    x = fcfs_world(db)
    course = f.course(db, x.term, capacity=1)
    (c1, _, h1), (c2, _, h2), (c3, _, h3) = x.families
    assert select(client, h1, c1, course).json["status"] == "confirmed"
    r = select(client, h2, c2, course)
    assert r.status_code == 409 and r.json["error"] == "course_full"
    assert r.json["message"] == "该课程名额已满"
    assert _count(db, Selection, Selection.student_id == c2.id) == 0
    r = select(client, h2, c2, course, join_waitlist=True)
    assert r.status_code == 201 and r.json == {
        **r.json,
        "status": "waitlisted",
        "waitlist_position": 1,
    }
    r = select(client, h3, c3, course, join_waitlist=True)
    assert r.json["waitlist_position"] == 2
    listing = client.get(
        f"/api/v1/terms/{x.term.id}/courses", query_string={"student_id": x.kid.id}, headers=x.h
    ).json
    row = next(c for c in listing if c["id"] == course.id)
    assert row["seats_left"] == 0 and row["waitlist_length"] == 2 and row["eligible"] is True


def test_every_refusal_has_its_code_and_writes_nothing(client, db):
    x = fcfs_world(db, max_courses_per_student=1)
    mon = f.course(db, x.term, weekdays=[1], start_time=time(16, 0), end_time=time(17, 0))
    clash = f.course(db, x.term, weekdays=[1, 2], start_time=time(16, 30), end_time=time(17, 30))
    tue = f.course(db, x.term, weekdays=[2])
    assert select(client, x.h, x.kid, mon).status_code == 201
    cases = [
        (select(client, x.h, x.kid, mon), 409, "already_selected"),
        (select(client, x.h, x.kid, clash), 409, "time_conflict"),
        (select(client, x.h, x.kid, tue), 409, "max_courses_reached"),
    ]
    high = f.course(db, x.term, min_grade=5, max_grade=6)
    cases.append((select(client, x.h, x.kid, high), 422, "grade_not_eligible"))
    # a pupil of the same family bound but not enrolled
    sibling = f.student(db, x.a["classes"][0])
    f.guardian_of(db, x.parent, sibling)
    cases.append((select(client, x.h, sibling, tue), 403, "not_enrolled"))
    for r, status, code in cases:
        assert (r.status_code, r.json["error"]) == (status, code), r.json
    assert "时间冲突" in cases[1][0].json["message"]
    assert _count(db, Selection) == 1
    db.refresh(tue)
    assert tue.seats_taken == 0
    # the course list tells the same reasons up front
    listing = client.get(
        f"/api/v1/terms/{x.term.id}/courses", query_string={"student_id": x.kid.id}, headers=x.h
    ).json
    reasons = {c["id"]: c["ineligible_reason"] for c in listing}
    assert reasons[mon.id] == "already_selected" and reasons[clash.id] == "time_conflict"
    assert reasons[tue.id] == "max_courses_reached" and reasons[high.id] == "grade_not_eligible"
    listing = client.get(
        f"/api/v1/terms/{x.term.id}/courses", query_string={"student_id": sibling.id}, headers=x.h
    ).json
    assert {c["ineligible_reason"] for c in listing} == {"not_enrolled"}


def test_window_lottery_and_closed_courses(client, db):
    x = fcfs_world(db)
    course = f.course(db, x.term)
    x.term.selection_opens_at = now() + timedelta(hours=1)
    db.flush()
    r = select(client, x.h, x.kid, course)
    assert r.status_code == 409 and r.json["error"] == "selection_closed"
    x.term.selection_opens_at = now() - timedelta(days=2)
    x.term.selection_closes_at = now() - timedelta(days=1)
    db.flush()
    assert select(client, x.h, x.kid, course).json["error"] == "selection_closed"
    x.term.selection_closes_at = now() + timedelta(days=1)
    x.term.selection_mode = "lottery"
    db.flush()
    assert select(client, x.h, x.kid, course).json["error"] == "lottery_term"
    x.term.selection_mode = "fcfs"
    course.status = "closed"
    db.flush()
    assert select(client, x.h, x.kid, course).status_code == 404
    assert _count(db, Selection) == 0


def test_bad_input_is_422(client, db):
    x = fcfs_world(db)
    course = f.course(db, x.term)
    for body in (
        {"student_id": x.kid.id, "course_id": course.id, "seat": 1},
        {"student_id": str(x.kid.id), "course_id": course.id},
        {"student_id": x.kid.id},
        {"student_id": x.kid.id, "course_id": course.id, "join_waitlist": "yes please"},
    ):
        r = client.post("/api/v1/selections", json=body, headers=x.h)
        assert r.status_code == 422 and r.json["error"] == "validation_error", body
    r = client.get(f"/api/v1/terms/{x.term.id}/courses", headers=x.h)
    assert r.status_code == 422 and "student_id" in r.json["errors"]
    assert _count(db, Selection) == 0


def test_double_tap_with_one_idempotency_key_creates_one_selection(client, db):
    x = fcfs_world(db)
    course = f.course(db, x.term)
    h = {**x.h, "Idempotency-Key": "tap-123"}
    first = select(client, h, x.kid, course)
    again = select(client, h, x.kid, course)
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert _count(db, Selection) == 1
    db.refresh(course)
    assert course.seats_taken == 1
    # without the key, the second tap is refused, not duplicated
    assert select(client, x.h, x.kid, course).json["error"] == "already_selected"


def _ids(db, course):
    return [
        (s.student_id, s.status)
        for s in db.scalars(
            sa.select(Selection)
            .where(Selection.course_id == course.id, Selection.status != "dropped")
            .order_by(Selection.id)
        )
    ]


def test_drop_promotes_first_pupil_it_still_fits_and_tells_guardians(app, client, db, fake_wechat):
    x = fcfs_world(db)
    office = x.office
    sid, tid = x.a["school"].id, x.term.id
    course = f.course(db, x.term, capacity=1, weekdays=[1], name="围棋")
    other = f.course(db, x.term, weekdays=[2], start_time=time(16, 0), end_time=time(17, 0))
    (c1, p1, h1), (c2, p2, h2), (c3, p3, h3) = x.families
    p3.openid = "o_promoted_parent"
    db.flush()
    mine = select(client, h1, c1, course).json["id"]
    assert select(client, h2, c2, other).json["status"] == "confirmed"
    assert select(client, h2, c2, course, join_waitlist=True).json["waitlist_position"] == 1
    assert select(client, h3, c3, course, join_waitlist=True).json["waitlist_position"] == 2
    # the office moves `other` onto Monday: c2 now clashes with the course it waits for
    r = client.patch(
        f"/admin/api/v1/schools/{sid}/terms/{tid}/courses/{other.id}",
        json={"weekdays": [1, 2]},
        headers=office,
    )
    assert r.status_code == 200, r.json
    db.query(OutboxMessage).delete()
    r = client.delete(f"/api/v1/selections/{mine}", headers=h1)
    assert r.status_code == 204
    assert _ids(db, course) == [(c2.id, "waitlisted"), (c3.id, "confirmed")]
    db.refresh(course)
    assert course.seats_taken == 1
    w2 = client.get("/api/v1/selections", query_string={"student_id": c2.id}, headers=h2).json
    assert {s["course_id"]: s.get("waitlist_position") for s in w2}[course.id] == 1
    assert [m.user_id for m in db.scalars(sa.select(OutboxMessage))] == [p3.id]
    with app.app_context():
        worker.run(burst=True)
    sent = [m for m in fake_wechat.sent_messages if m["touser"] == "o_promoted_parent"]
    assert sent and sent[0]["data"]["thing2"] == {"value": "围棋"}
    actions = set(db.scalars(sa.select(AuditLog.action)))
    assert {"selection.drop", "selection.promote"} <= actions
    # dropping again: gone
    assert client.delete(f"/api/v1/selections/{mine}", headers=h1).status_code == 404


def test_drop_with_nobody_fitting_frees_the_seat(client, db):
    x = fcfs_world(db, max_courses_per_student=1)
    course = f.course(db, x.term, capacity=1, weekdays=[1])
    other = f.course(db, x.term, weekdays=[4])
    (c1, _, h1), (c2, _, h2), _ = x.families
    mine = select(client, h1, c1, course).json["id"]
    assert select(client, h2, c2, other).json["status"] == "confirmed"
    # c2 is at the limit: may still not queue (the limit counts seats held)
    assert select(client, h2, c2, course, join_waitlist=True).json["error"] == "max_courses_reached"
    x.term.max_courses_per_student = 2
    db.flush()
    assert select(client, h2, c2, course, join_waitlist=True).json["status"] == "waitlisted"
    x.term.max_courses_per_student = 1
    db.flush()
    assert client.delete(f"/api/v1/selections/{mine}", headers=h1).status_code == 204
    db.refresh(course)
    assert course.seats_taken == 0
    assert _ids(db, course) == [(c2.id, "waitlisted")]
    # leaving a waitlist frees nothing
    waiting = db.scalar(
        sa.select(Selection.id).where(
            Selection.student_id == c2.id, Selection.course_id == course.id
        )
    )
    assert client.delete(f"/api/v1/selections/{waiting}", headers=h2).status_code == 204
    assert _ids(db, course) == []


def test_capacity_increase_promotes_waitlisted(client, db):
    x = fcfs_world(db)
    course = f.course(db, x.term, capacity=1)
    (c1, _, h1), (c2, _, h2), (c3, _, h3) = x.families
    select(client, h1, c1, course)
    select(client, h2, c2, course, join_waitlist=True)
    select(client, h3, c3, course, join_waitlist=True)
    url = f"/admin/api/v1/schools/{x.a['school'].id}/terms/{x.term.id}/courses/{course.id}"
    r = client.patch(url, json={"capacity": 2}, headers=x.office)
    assert r.status_code == 200 and r.json["seats_taken"] == 2 and r.json["waitlist_length"] == 1
    assert _ids(db, course) == [(c1.id, "confirmed"), (c2.id, "confirmed"), (c3.id, "waitlisted")]
    r = client.patch(url, json={"capacity": 1}, headers=x.office)
    assert r.status_code == 409 and r.json["error"] == "capacity_below_taken"


def test_timetable_and_head_teacher_class_view(client, db):
    x = fcfs_world(db)
    mon = f.course(db, x.term, weekdays=[1, 3], name="美术", location="美术室")
    fri = f.course(db, x.term, weekdays=[5], start_time=time(15, 30), end_time=time(16, 10))
    select(client, x.h, x.kid, mon)
    select(client, x.h, x.kid, fri)
    days = client.get(
        f"/api/v1/students/{x.kid.id}/timetable", query_string={"term_id": x.term.id}, headers=x.h
    ).json
    assert [d["weekday"] for d in days] == [1, 2, 3, 4, 5]
    assert [c["name"] for c in days[0]["courses"]] == ["美术"] and days[1]["courses"] == []
    assert days[4]["courses"][0]["start_time"] == "15:30"
    view = client.get(
        f"/api/v1/classes/{x.a['classes'][0].id}/courses",
        query_string={"term_id": x.term.id},
        headers=x.teacher,
    ).json
    names = {c["name"]: [s["student_id"] for s in c["students"]] for c in view}
    assert names["美术"] == [x.kid.id] and view[0]["location"] == "美术室"


def test_wrong_callers_of_the_app_endpoints(client, db):
    x = fcfs_world(db)
    course = f.course(db, x.term)
    sel = select(client, x.h, x.kid, course).json["id"]
    term_b = f.term(db, x.b["school"])
    admin_h = x.office
    q_student = {"student_id": x.kid.id}
    calls = [
        ("get", f"/api/v1/terms/{x.term.id}/courses", {"query_string": q_student}),
        ("post", "/api/v1/selections", {"json": {"student_id": x.kid.id, "course_id": course.id}}),
        ("get", "/api/v1/selections", {"query_string": q_student}),
        ("delete", f"/api/v1/selections/{sel}", {}),
        ("get", f"/api/v1/students/{x.kid.id}/timetable", {"query_string": {"term_id": x.term.id}}),
    ]
    for method, url, kw in calls:
        assert getattr(client, method)(url, **kw).status_code == 401, url
        assert getattr(client, method)(url, headers=admin_h, **kw).status_code == 401, url
        r = getattr(client, method)(url, headers=x.other_parent, **kw)
        assert r.status_code == 404 and r.json["error"] == "not_found", url
        # staff of the same school who are not this pupil's guardian see nothing either
        assert getattr(client, method)(url, headers=x.teacher, **kw).status_code == 404, url
    # my own child, but another school's term
    r = client.get(f"/api/v1/terms/{term_b.id}/courses", query_string=q_student, headers=x.h)
    assert r.status_code == 404
    cls = f"/api/v1/classes/{x.a['classes'][0].id}/courses"
    q = {"query_string": {"term_id": x.term.id}}
    assert client.get(cls, **q).status_code == 401
    assert client.get(cls, headers=admin_h, **q).status_code == 401
    assert client.get(cls, headers=x.h, **q).status_code == 403  # a guardian is no teacher
    other_class = f"/api/v1/classes/{x.a['classes'][1].id}/courses"
    assert client.get(other_class, headers=x.teacher, **q).status_code == 404
    other_teacher = f.auth(db, user_row=x.b["teacher"])
    assert client.get(cls, headers=other_teacher, **q).status_code == 404
    assert _count(db, Selection, Selection.status == "confirmed") == 1
    db.refresh(course)
    assert course.seats_taken == 1
