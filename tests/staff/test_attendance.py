"""Course teachers: the role grant and its code, the roster with leave, marks that make a
meeting held (and its lesson counted once), the days a course meets; head teachers' view."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from backend.pickup.models import LeaveDay, LeaveRequest
from backend.staff.models import StaffHours
from tests import factories as f
from tests.staff.helpers import ADMIN, course_teacher, setup, staff, take, teach


def _leave(db, s, kid, day):
    req = LeaveRequest(
        student_id=kid.id,
        school_id=s.sid,
        class_id=kid.class_id,
        term_id=s.tid,
        reason="看病",
        status="approved",
        requested_by=s.a["parent"].id,
    )
    db.add(req)
    db.flush()
    db.add(
        LeaveDay(
            leave_request_id=req.id, student_id=kid.id, term_id=s.tid, day=day, refundable=True
        )
    )
    db.flush()


def test_role_grant_with_code_makes_a_course_teacher(client, db):
    s = setup(db, client)
    zhang = staff(client, s, "张老师")
    teach(client, s, s.c1.id, [zhang])
    r = client.post(
        f"{ADMIN}/{s.sid}/role-grants",
        json={"role": "course_teacher", "name": "张老师"},
        headers=s.office,
    )
    assert r.status_code == 422 and "staff_id" in r.json["errors"]
    b_staff = client.post(
        f"{ADMIN}/{s.w.schools[1]['school'].id}/staff",
        json={"name": "B", "kind": "teacher"},
        headers=s.office_b,
    ).json["id"]
    r = client.post(
        f"{ADMIN}/{s.sid}/role-grants",
        json={"role": "course_teacher", "name": "张老师", "staff_id": b_staff},
        headers=s.office,
    )
    assert r.status_code == 422 and r.json["error"] == "staff_not_found"  # B's staff
    r = client.post(
        f"{ADMIN}/{s.sid}/role-grants",
        json={"role": "course_teacher", "name": "张老师", "staff_id": zhang},
        headers=s.office,
    )
    assert r.status_code == 201
    user = f.user(db)
    headers = f.auth(db, user_row=user)
    assert (
        client.get(f"/api/v1/courses/{s.c1.id}/roster?date=2026-09-07", headers=headers).status_code
        == 403
    )
    bound = client.post(
        "/api/v1/auth/role-binding", json={"binding_code": r.json["binding_code"]}, headers=headers
    )
    assert bound.status_code == 200 and bound.json["role"] == "course_teacher"
    assert bound.json["staff_id"] == zhang
    roster = client.get(f"/api/v1/courses/{s.c1.id}/roster?date=2026-09-07", headers=headers)
    assert roster.status_code == 200 and len(roster.json) == 3
    assert (
        client.get(f"/api/v1/courses/{s.c2.id}/roster?date=2026-09-08", headers=headers).status_code
        == 404
    )


def test_roster_shows_leave_and_marks_make_the_meeting_held(client, db):
    s = setup(db, client)
    zhang, ext = staff(client, s, "张老师"), staff(client, s, "外聘", "external", s.p1.id)
    teach(client, s, s.c1.id, [zhang, ext])
    t = course_teacher(db, s, zhang)
    _leave(db, s, s.kids[1], date(2026, 9, 7))
    roster = client.get(f"/api/v1/courses/{s.c1.id}/roster?date=2026-09-07", headers=t).json
    assert {r["student_id"]: (r["approved_leave"], r["status"]) for r in roster} == {
        s.kids[0].id: (False, None),
        s.kids[1].id: (True, None),
        s.kids[2].id: (False, None),
    }
    marks = [
        {"student_id": s.kids[0].id, "status": "present"},
        {"student_id": s.kids[1].id, "status": "leave"},
        {"student_id": s.kids[2].id, "status": "absent"},
    ]
    r = take(client, t, s.c1.id, "2026-09-07", marks)
    assert r.status_code == 200
    assert [x["status"] for x in sorted(r.json, key=lambda x: x["student_id"])] == [
        "present",
        "leave",
        "absent",
    ]
    marks[2]["status"] = "present"  # saving again corrects the mark, adds no lesson
    assert take(client, t, s.c1.id, "2026-09-07", marks).status_code == 200
    rows = db.execute(
        sa.select(StaffHours.staff_id, StaffHours.lessons, StaffHours.minutes, StaffHours.source)
    ).all()
    assert sorted(rows) == sorted([(zhang, 1, 40, "attendance"), (ext, 1, 40, "attendance")])
    view = client.get(
        f"/api/v1/classes/{s.a['classes'][0].id}/course-attendance?date=2026-09-07",
        headers=s.head_teacher,
    )
    assert view.status_code == 200
    assert {(x["student_id"], x["status"]) for x in view.json} == {
        (s.kids[0].id, "present"),
        (s.kids[1].id, "leave"),
    }  # class 1 only: kids[2] is in class 2
    other = client.get(
        f"/api/v1/classes/{s.a['classes'][1].id}/course-attendance?date=2026-09-07",
        headers=s.head_teacher,
    )
    assert other.status_code == 404
    assert (
        client.get(
            f"/api/v1/classes/{s.a['classes'][0].id}/course-attendance", headers=t
        ).status_code
        == 403
    )


def test_middle_school_lessons_are_45_minutes(client, db):
    s = setup(db, client)
    s.school.stage = "middle"
    db.flush()
    zhang = staff(client, s, "张老师")
    teach(client, s, s.c1.id, [zhang])
    take(client, course_teacher(db, s, zhang), s.c1.id, "2026-09-07", [])
    assert db.scalar(sa.select(StaffHours.minutes)) == 45


def test_only_days_the_course_meets(client, db):
    s = setup(db, client)
    zhang = staff(client, s, "张老师")
    teach(client, s, s.c3.id, [zhang])
    t = course_teacher(db, s, zhang)
    r = take(client, t, s.c3.id, "2026-09-25", [])  # Mid-Autumn Festival, a Friday
    assert r.status_code == 422 and r.json["error"] == "not_a_service_day"
    r = take(client, t, s.c3.id, "2026-09-24", [])  # a Thursday: 机器人 meets on Fridays
    assert r.status_code == 422 and r.json["error"] == "not_a_course_day"
    r = take(client, t, s.c3.id, "2026-08-28", [])  # before the term
    assert r.status_code == 422 and r.json["error"] == "not_a_service_day"
    r = take(client, t, s.c3.id, "2026-11-06", [])  # after "today"
    assert r.status_code == 422 and r.json["error"] == "date_in_future"
    r = take(client, t, s.c3.id, "2026-09-04", [{"student_id": s.kids[0].id, "status": "present"}])
    assert r.status_code == 422 and r.json["error"] == "validation_error"  # not on this course
    assert db.scalar(sa.select(sa.func.count()).select_from(StaffHours)) == 0


def test_wrong_callers_of_course_attendance(client, db):
    s = setup(db, client)
    zhang = staff(client, s, "张老师")
    teach(client, s, s.c1.id, [zhang])
    url = f"/api/v1/courses/{s.c1.id}/attendance?date=2026-09-07"
    assert client.put(url, json={"records": []}, headers=s.parent).status_code == 403
    assert client.put(url, json={"records": []}, headers=s.head_teacher).status_code == 403
    assert client.put(url, json={"records": []}, headers=s.office).status_code == 401
    assert client.put(url, json={"records": []}).status_code == 401
    li = staff(client, s, "李老师")  # a course teacher, but not of this course
    assert (
        client.put(url, json={"records": []}, headers=course_teacher(db, s, li)).status_code == 404
    )
