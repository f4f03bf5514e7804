#!/usr/bin/env python3
"""One month's fee statements for 10,000 pupils on PostgreSQL (a script, not a test).

    .venv/bin/python scripts/bench/statements.py [--pupils 10000]

Creates the database kehou_bench_statements on the local PostgreSQL, seeds one school
through the models in bulk (enrolled pupils, each with a guardian; some late joiners,
course fees, refundable leave days and approved exemptions), then calls the generation
service (backend.fees.issuing.generate) for September 2026 and prints the time and the
queries per pupil (counted with a before_cursor_execute listener). It also times a second
generation (nothing changes: the idempotent path) and the bulk issue with its outbox
messages. The database is dropped afterwards.
"""

from __future__ import annotations

import random
import time
from datetime import date, datetime
from datetime import time as dtime

import harness as h
import sqlalchemy as sa

DB_NAME = "kehou_bench_statements"
PERIOD = "2026-09"


def parse_args():
    p = h.arg_parser(__doc__)
    p.add_argument("--pupils", type=int, default=10_000)
    p.add_argument("--keep-db", action="store_true")
    return p.parse_args()


def seed(session, pupils: int) -> dict:
    """Bulk inserts through the mapped classes (executemany), a few statements in all."""
    from backend.auth.models import AdminAccount, User
    from backend.common.clock import SCHOOL_TZ
    from backend.courses.models import Course, Selection
    from backend.fees.models import FeeExemption
    from backend.pickup.models import LeaveDay, LeaveRequest
    from backend.schools.models import Grade, GuardianLink, School, SchoolClass, Student
    from backend.signup.models import Application
    from backend.terms.models import Agreement, Term

    rng = random.Random(6)
    school = School(name="压测小学", code="FEES001", monthly_fee_cap_fen=8000)
    session.add(school)
    session.flush()
    grades = [Grade(school_id=school.id, name=f"{i}年级", level=i) for i in range(1, 7)]
    session.add_all(grades)
    session.flush()
    classes = [
        SchoolClass(school_id=school.id, grade_id=g.id, name=f"{c}班")
        for g in grades
        for c in range(1, 11)
    ]
    session.add_all(classes)
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
    session.add(term)
    admin = AdminAccount(username="bench-office", password_hash="!", school_id=None)
    session.add(admin)
    session.flush()
    agreement = Agreement(term_id=term.id, version=1, title="协议", body="……")
    session.add(agreement)
    courses = [
        Course(
            school_id=school.id,
            term_id=term.id,
            name=f"社团{i}",
            category="体育",
            kind="enrichment",
            weekdays=[1, 3],
            start_time=dtime(16),
            end_time=dtime(17),
            capacity=500,
            seats_taken=0,
            min_grade=1,
            max_grade=9,
            fee_fen=rng.choice([0, 1000, 1500]),
        )
        for i in range(20)
    ]
    session.add_all(courses)
    session.flush()

    session.execute(
        sa.insert(User), [{"openid": f"o_bench_{i}", "phone": None} for i in range(pupils)]
    )
    user_ids = session.scalars(sa.select(User.id).order_by(User.id)).all()
    session.execute(
        sa.insert(Student),
        [
            {
                "school_id": school.id,
                "class_id": classes[i % len(classes)].id,
                "student_no": f"B{i:06d}",
                "name": f"学生{i}",
                "priority_flags": [],
                "active": True,
            }
            for i in range(pupils)
        ],
    )
    student_ids = session.scalars(sa.select(Student.id).order_by(Student.id)).all()
    class_of = {sid: classes[i % len(classes)].id for i, sid in enumerate(student_ids)}
    session.execute(
        sa.insert(GuardianLink),
        [
            {"user_id": u, "student_id": s, "relation": "mother", "verified_by": "phone"}
            for u, s in zip(user_ids, student_ids, strict=True)
        ],
    )
    enrolled = datetime(2026, 8, 25, 9, tzinfo=SCHOOL_TZ)
    late = datetime(2026, 9, 14, 9, tzinfo=SCHOOL_TZ)
    session.execute(
        sa.insert(Application),
        [
            {
                "term_id": term.id,
                "student_id": s,
                "school_id": school.id,
                "class_id": class_of[s],
                "state": "enrolled",
                "applicant_user_id": u,
                "agreement_id": agreement.id,
                "agreed_at": enrolled,
                "priority_flags": [],
                "enrolled_at": late if i % 25 == 0 else enrolled,
            }
            for i, (u, s) in enumerate(zip(user_ids, student_ids, strict=True))
        ],
    )
    session.execute(
        sa.insert(Selection),
        [
            {
                "term_id": term.id,
                "course_id": courses[i % len(courses)].id,
                "student_id": s,
                "school_id": school.id,
                "status": "confirmed",
                "source": "fcfs",
            }
            for i, s in enumerate(student_ids)
            if i % 3 == 0
        ],
    )
    session.execute(
        sa.insert(FeeExemption),
        [
            {
                "school_id": school.id,
                "term_id": term.id,
                "student_id": s,
                "category": "dibao",
                "evidence_note": "低保",
                "status": "approved",
                "percent": 100 if i % 2 else 50,
                "source": "guardian",
            }
            for i, s in enumerate(student_ids[::33])
        ],
    )
    leave_pupils = student_ids[::10]
    session.execute(
        sa.insert(LeaveRequest),
        [
            {
                "student_id": s,
                "school_id": school.id,
                "class_id": class_of[s],
                "term_id": term.id,
                "reason": "病假",
                "status": "approved",
                "requested_by": user_ids[0],
            }
            for s in leave_pupils
        ],
    )
    requests = session.execute(
        sa.select(LeaveRequest.id, LeaveRequest.student_id).order_by(LeaveRequest.id)
    ).all()
    session.execute(
        sa.insert(LeaveDay),
        [
            {
                "leave_request_id": rid,
                "student_id": s,
                "term_id": term.id,
                "day": day,
                "refundable": True,
            }
            for rid, s in requests
            for day in (date(2026, 9, 8), date(2026, 9, 9))
        ],
    )
    session.commit()
    return {"school_id": school.id, "term_id": term.id, "admin_id": admin.id}


def main() -> None:
    h.on_fresh_database(parse_args(), DB_NAME, run)


def run(url: str, args) -> None:
    from flask import g

    from backend.auth.context import Actor
    from backend.database import close_session, get_session
    from backend.fees import issuing
    from backend.fees.models import Statement, StatementLine

    app, engine = h.testing_app(url)
    with app.app_context():
        started = time.perf_counter()
        ids = seed(get_session(), args.pupils)
        close_session()
        print(f"seeded {args.pupils} enrolled pupils in {time.perf_counter() - started:.1f} s")
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

    gen = as_office(lambda: issuing.generate(sid, tid, PERIOD))
    result, seconds, queries = h.timed(counter, gen)
    print(
        f"generate {PERIOD}: {result['created']} statements in {seconds:.2f} s, "
        f"{queries} queries = {queries / args.pupils:.4f} per pupil"
    )
    again, seconds2, queries2 = h.timed(counter, gen)
    print(
        f"generate again (idempotent): created {again['created']}, unchanged "
        f"{again['unchanged']} in {seconds2:.2f} s, {queries2} queries"
    )
    issued, seconds3, queries3 = h.timed(
        counter, as_office(lambda: issuing.issue_period(sid, tid, PERIOD))
    )
    print(
        f"issue {PERIOD}: {issued['issued']} statements + guardian messages in {seconds3:.2f} s, "
        f"{queries3} queries"
    )
    with engine.connect() as conn:
        totals = conn.execute(
            sa.select(sa.func.count(), sa.func.sum(Statement.total_fen)).where(
                Statement.period == PERIOD
            )
        ).one()
        lines = conn.scalar(sa.select(sa.func.count()).select_from(StatementLine))
        mismatched = conn.scalar(
            sa.select(sa.func.count()).select_from(
                sa.select(Statement.id)
                .join(StatementLine, StatementLine.statement_id == Statement.id)
                .group_by(Statement.id, Statement.total_fen)
                .having(sa.func.sum(StatementLine.amount_fen) != Statement.total_fen)
                .subquery()
            )
        )
    print(
        f"check: {totals[0]} statements, {lines} lines, billed {totals[1] / 100:.2f} yuan, "
        f"{mismatched} totals differing from the sum of their lines"
    )
    target = "OK" if seconds < 30 else "ABOVE TARGET"
    print(f"target: generation under 30 s -> {target}")
    engine.dispose()


if __name__ == "__main__":
    main()
