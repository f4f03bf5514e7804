"""Races on PostgreSQL (real threads, real commits): one meeting saved from several phones,
one month generated and approved by several clerks."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from backend.fees.models import Expense
from backend.staff.models import CourseMeeting, PaySheet, StaffHours
from tests.staff.helpers import ADMIN, SEPT, course_teacher, hours, setup, staff, take, teach


def _race(app, n, call):
    results, barrier = [], threading.Barrier(n)

    def go(i):
        with app.test_client() as c:
            barrier.wait()
            r = call(c, i)
            results.append((r.status_code, r.get_json()))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _month(app, committed):
    s = setup(committed, None)
    committed.commit()
    with app.test_client() as c:
        zhang = staff(c, s, "张老师")
        teach(c, s, s.c1.id, [zhang])
        s.teacher = course_teacher(committed, s, zhang)
        committed.commit()
        for day in ("2026-09-07", "2026-09-09"):
            assert hours(c, s, zhang, day, 60, "supervision").status_code == 201
        rates = {"teaching_per_lesson_fen": 8000, "supervision_per_hour_fen": 3000}
        c.put(
            f"{ADMIN}/{s.sid}/terms/{s.tid}/pay-rates",
            json={**rates, "admin_monthly_fen": 0},
            headers=s.office,
        )
    return s


def test_one_meeting_saved_from_four_phones_counts_one_lesson(app, committed, requires_pg):
    s = _month(app, committed)
    marks = [{"student_id": k.id, "status": "present"} for k in s.kids]
    results = _race(app, 4, lambda c, i: take(c, s.teacher, s.c1.id, "2026-09-07", marks))
    assert [code for code, _ in results] == [200] * 4
    assert committed.scalar(sa.select(sa.func.count()).select_from(CourseMeeting)) == 1
    lessons = committed.scalar(sa.select(sa.func.sum(StaffHours.lessons)))
    assert lessons == 1


def test_four_clerks_generate_and_approve_one_month_once(app, committed, requires_pg):
    s = _month(app, committed)
    url = f"{ADMIN}/{s.sid}/terms/{s.tid}/pay-sheets"
    results = _race(app, 4, lambda c, i: c.post(url, json={"period": SEPT}, headers=s.office))
    assert [code for code, _ in results] == [201] * 4
    assert len({body["id"] for _, body in results}) == 1
    sheet_id = results[0][1]["id"]
    approve = f"{url}/{sheet_id}/approve"
    results = _race(app, 4, lambda c, i: c.post(approve, headers=s.office))
    assert sorted(code for code, _ in results) == [200, 409, 409, 409]
    assert committed.scalar(sa.select(sa.func.count()).select_from(PaySheet)) == 1
    amounts = committed.scalars(sa.select(Expense.amount_fen)).all()
    assert amounts == [6000]  # 2 x 60 min supervision at 30.00 an hour
