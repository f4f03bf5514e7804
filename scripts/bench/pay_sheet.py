#!/usr/bin/env python3
"""Monthly staff pay sheets for 200 staff and 40 courses over a term on PostgreSQL.

    .venv/bin/python scripts/bench/pay_sheet.py [--staff 200] [--courses 40]

Creates the database kehou_bench_pay_sheet on the local PostgreSQL, seeds one school in
bulk through the models (teachers, admin staff and external staff of five providers, two
of them paid as a package; every course taught by two staff and held on each of its
service days, with its lessons recorded; daily supervision and admin duty entries), then
calls the pay-sheet service (backend.staff.pay_sheets.generate) for October 2026 and for
every month of the term, printing the time and the queries. Goal: under 2 s. The database
is dropped afterwards.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from datetime import time as dtime

import harness as h
import sqlalchemy as sa

DB_NAME = "kehou_bench_pay_sheet"
MONTHS = ("2026-09", "2026-10", "2026-11", "2026-12", "2027-01")


def parse_args():
    p = h.arg_parser(__doc__)
    p.add_argument("--staff", type=int, default=200)
    p.add_argument("--courses", type=int, default=40)
    p.add_argument("--keep-db", action="store_true")
    return p.parse_args()


def _school_and_term(session):
    from backend.auth.models import AdminAccount
    from backend.common.clock import SCHOOL_TZ
    from backend.schools.models import School
    from backend.terms.models import Term

    school = School(name="压测小学", code="PAY001", monthly_fee_cap_fen=8000)
    session.add(school)
    session.flush()
    term = Term(
        school_id=school.id,
        name="2026年秋季学期",
        starts_on=date(2026, 9, 1),
        ends_on=date(2027, 1, 15),
        signup_opens_at=datetime(2026, 8, 1, 8, tzinfo=SCHOOL_TZ),
        signup_closes_at=datetime(2026, 8, 10, 18, tzinfo=SCHOOL_TZ),
        selection_mode="fcfs",
        selection_opens_at=datetime(2026, 8, 20, 8, tzinfo=SCHOOL_TZ),
        selection_closes_at=datetime(2026, 8, 25, 18, tzinfo=SCHOOL_TZ),
        publicity_days=3,
        billing_mode="monthly",
        base_fee_fen=8000,
        service_end_time=dtime(17, 30),
        pickup_cutoff_time=dtime(15, 0),
    )
    admin = AdminAccount(username="bench-office", password_hash="!", school_id=None)
    session.add_all([term, admin])
    session.flush()
    return school, term, admin


def _staff(session, school, n: int) -> tuple[list, list, list]:
    """(teaching staff ids, supervision-only ids, admin ids); externals of 5 providers."""
    from backend.courses.models import Provider
    from backend.staff.models import ProviderPayTerms, StaffMember

    providers = [
        Provider(school_id=school.id, name=f"机构{i}", licence_no=f"L{i}", qualification="许可")
        for i in range(5)
    ]
    session.add_all(providers)
    session.flush()
    session.add_all(
        ProviderPayTerms(
            school_id=school.id, provider_id=p.id, mode="package", package_monthly_fen=200000
        )
        for p in providers[:2]
    )
    externals, admins = n // 5, n // 10
    rows = []
    for i in range(n):
        if i < externals:
            rows.append({"kind": "external", "provider_id": providers[i % 5].id})
        elif i < externals + admins:
            rows.append({"kind": "admin", "provider_id": None})
        else:
            rows.append({"kind": "teacher", "provider_id": None})
    session.execute(
        sa.insert(StaffMember),
        [{"school_id": school.id, "name": f"职工{i}", **r} for i, r in enumerate(rows)],
    )
    ids = session.execute(sa.select(StaffMember.id, StaffMember.kind).order_by(StaffMember.id))
    by_kind: dict[str, list] = {"teacher": [], "admin": [], "external": []}
    for sid, kind in ids:
        by_kind[kind].append(sid)
    teaching = by_kind["external"] + by_kind["teacher"]
    return teaching, by_kind["teacher"], by_kind["admin"]


def _courses(session, school, term, n: int, teaching: list) -> dict[int, list]:
    """n courses on rotating weekdays, each taught by two staff: course id -> staff ids."""
    from backend.courses.models import Course
    from backend.staff.models import CourseStaff

    patterns = ([1, 3], [2, 4], [5], [1, 4], [2, 5])
    courses = [
        Course(
            school_id=school.id,
            term_id=term.id,
            name=f"社团{i}",
            category="体育",
            kind="enrichment",
            weekdays=patterns[i % len(patterns)],
            start_time=dtime(16),
            end_time=dtime(17),
            capacity=40,
            min_grade=1,
            max_grade=9,
        )
        for i in range(n)
    ]
    session.add_all(courses)
    session.flush()
    staff_of = {
        c.id: [teaching[(2 * i + k) % len(teaching)] for k in (0, 1)] for i, c in enumerate(courses)
    }
    session.execute(
        sa.insert(CourseStaff),
        [{"course_id": c, "staff_id": s} for c, ids in staff_of.items() for s in ids],
    )
    return {c.id: (c.weekdays, staff_of[c.id]) for c in courses}


def _meetings(session, school, term, courses: dict, days: list) -> list:
    """Every course held on each of its service days: (meeting id, course id, day)."""
    from backend.auth.models import User
    from backend.common.clock import SCHOOL_TZ
    from backend.staff.models import CourseMeeting

    teacher_user = User(openid="o_bench_teacher", phone=None)
    session.add(teacher_user)
    session.flush()
    moment = datetime(2026, 9, 1, 17, tzinfo=SCHOOL_TZ)
    session.execute(
        sa.insert(CourseMeeting),
        [
            {
                "school_id": school.id,
                "term_id": term.id,
                "course_id": c,
                "day": d,
                "taken_by": teacher_user.id,
                "updated_at": moment,
            }
            for c, (weekdays, _) in courses.items()
            for d in days
            if d.isoweekday() in weekdays
        ],
    )
    return session.execute(
        sa.select(CourseMeeting.id, CourseMeeting.course_id, CourseMeeting.day)
    ).all()


def _entry(base, staff_id, day, duty, minutes, lessons=0, course_id=None, meeting_id=None):
    source = "attendance" if meeting_id else "office"
    return {
        **base,
        "staff_id": staff_id,
        "day": day,
        "duty": duty,
        "minutes": minutes,
        "lessons": lessons,
        "course_id": course_id,
        "meeting_id": meeting_id,
        "source": source,
    }


def seed(session, n_staff: int, n_courses: int) -> dict:
    """Bulk inserts through the mapped classes (executemany), a few statements in all."""
    from backend.staff.models import PayRates, StaffHours
    from backend.terms import calendar as cal

    school, term, admin = _school_and_term(session)
    teaching, supervisors, admins = _staff(session, school, n_staff)
    courses = _courses(session, school, term, n_courses, teaching)
    days = cal.service_days(session, term)
    base = {"school_id": school.id, "term_id": term.id}
    entries = [
        _entry(base, s, d, "teaching", 40, 1, c, m)
        for m, c, d in _meetings(session, school, term, courses, days)
        for s in courses[c][1]
    ]
    entries += [_entry(base, s, d, "supervision", 60) for s in supervisors for d in days]
    entries += [_entry(base, s, d, "admin", 120) for s in admins for d in days]
    session.execute(sa.insert(StaffHours), entries)
    session.add(
        PayRates(
            school_id=school.id,
            term_id=term.id,
            teaching_per_lesson_fen=8000,
            supervision_per_hour_fen=3000,
            admin_monthly_fen=20000,
        )
    )
    session.commit()
    return {
        "school_id": school.id,
        "term_id": term.id,
        "admin_id": admin.id,
        "entries": len(entries),
    }


def main() -> None:
    h.on_fresh_database(parse_args(), DB_NAME, run)


def run(url: str, args) -> None:
    from flask import g

    from backend.auth.context import Actor
    from backend.database import close_session, get_session
    from backend.staff import pay_sheets

    app, engine = h.testing_app(url)
    with app.app_context():
        started = time.perf_counter()
        ids = seed(get_session(), args.staff, args.courses)
        close_session()
        print(
            f"seeded {args.staff} staff, {args.courses} courses, {ids['entries']} hours entries "
            f"in {time.perf_counter() - started:.1f} s"
        )
    counter = h.QueryCounter(engine)
    sid, tid = ids["school_id"], ids["term_id"]

    def as_office(fn):
        def call():
            with app.test_request_context("/admin/api/v1/bench"):
                g.actor = Actor("admin", ids["admin_id"], 0, school_id=None)
                try:
                    return fn()
                finally:
                    close_session()

        return call

    sheet, one, queries = h.timed(
        counter, as_office(lambda: pay_sheets.generate(sid, tid, "2026-10"))
    )
    print(
        f"pay sheet 2026-10: {len(sheet['lines'])} lines, total {sheet['total_fen'] / 100:.2f} "
        f"yuan in {one:.3f} s, {queries} queries"
    )

    def every_month():
        return [pay_sheets.generate(sid, tid, m) for m in MONTHS]

    sheets, whole, queries = h.timed(counter, as_office(every_month))
    print(
        f"pay sheets for all {len(MONTHS)} months (2026-10 recomputed): "
        f"{sum(len(x['lines']) for x in sheets)} lines in {whole:.3f} s, {queries} queries"
    )
    target = "OK" if max(one, whole) < 2 else "ABOVE TARGET"
    print(f"target: generation under 2 s -> {target}")
    engine.dispose()


if __name__ == "__main__":
    main()
