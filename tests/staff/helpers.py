"""Builders shared by the staff tests: a September 2026 term of school A with courses,
staff, a course teacher signed in, and pupils holding confirmed seats."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from backend.courses.models import Selection
from tests import factories as f

ADMIN = "/admin/api/v1/schools"
SEPT = "2026-09"
# The tests stand on a fixed "today" after September 2026 (attendance is never for a future day).
TODAY = date(2026, 10, 31)


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch):
    monkeypatch.setattr("backend.staff.attendance.today", lambda: TODAY)


def seat(db, course, student):
    """A confirmed seat of a pupil on a course."""
    db.add(
        Selection(
            term_id=course.term_id,
            course_id=course.id,
            student_id=student.id,
            school_id=course.school_id,
            status="confirmed",
        )
    )
    db.flush()


def staff(client, s, name, kind="teacher", provider_id=None):
    body = {"name": name, "kind": kind}
    if provider_id:
        body["provider_id"] = provider_id
    r = client.post(f"{ADMIN}/{s.sid}/staff", json=body, headers=s.office)
    assert r.status_code == 201, r.json
    return r.json["id"]


def teach(client, s, course_id, staff_ids):
    r = client.put(
        f"{ADMIN}/{s.sid}/courses/{course_id}/staff",
        json={"staff_ids": staff_ids},
        headers=s.office,
    )
    assert r.status_code == 200, r.json


def hours(client, s, staff_id, day, minutes, duty, course_id=None, headers=None):
    body = {"staff_id": staff_id, "date": day, "minutes": minutes, "duty": duty}
    if course_id:
        body["course_id"] = course_id
    return client.post(f"{ADMIN}/{s.sid}/staff-hours", json=body, headers=headers or s.office)


def course_teacher(db, s, staff_id):
    """A WeChat user holding the course_teacher grant of a staff record, signed in."""
    user = f.user(db)
    f.grant(db, user, s.school, "course_teacher", staff_id=staff_id)
    db.flush()
    return f.auth(db, user_row=user)


def take(client, headers, course_id, day, records):
    return client.put(
        f"/api/v1/courses/{course_id}/attendance?date={day}",
        json={"records": records},
        headers=headers,
    )


def setup(db, client):
    """School A (primary: 40-minute lessons), a September 2026 term, two pupils of class 1
    and one of class 2 on the Monday/Wednesday course `c1`; `c2` Tue/Thu; `c3` Friday."""
    w = f.World(db)
    a = w.schools[0]
    term = f.term(db, a["school"], starts_on=date(2026, 9, 1), ends_on=date(2027, 1, 15))
    c1 = f.course(db, term, name="足球", weekdays=[1, 3])
    c2 = f.course(db, term, name="书法", weekdays=[2, 4])
    c3 = f.course(db, term, name="机器人", weekdays=[5])
    kids = list(a["kids"])
    for kid in kids:
        seat(db, c1, kid)
    s = SimpleNamespace(
        w=w,
        a=a,
        school=a["school"],
        sid=a["school"].id,
        term=term,
        tid=term.id,
        c1=c1,
        c2=c2,
        c3=c3,
        kids=kids,
        office=f.auth(db, admin_row=a["office"]),
        office_b=f.auth(db, admin_row=w.schools[1]["office"]),
        platform=f.auth(db, admin_row=w.platform),
        parent=f.auth(db, user_row=a["parent"]),
        head_teacher=f.auth(db, user_row=a["teacher"]),
        p1=f.provider(db, a["school"], name="星光体育"),
        p2=f.provider(db, a["school"], name="未来科技"),
    )
    db.flush()
    return s
