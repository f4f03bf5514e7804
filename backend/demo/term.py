"""The demo school's running term, so every endpoint has something to show after
`seed-demo`: a term around today with its agreement, courses across 1+X (tutoring plus
enrichment), the fee plan of the term (monthly base fee, course fees) and the demo pupils
enrolled, with this month's statements issued.

Written through the office's use cases (terms, courses, fees), acting as the demo school
admin, so the rows are validated and audited as an office would make them. Enrolment is
the exception: the review chain (class, grade, school, 公示) takes five people and days,
so the enrolled applications are written directly, as tests/factories.py does. 王小明
(the demo parent's child in 1班) is left out: scripts/demo signs him up end to end.

Idempotent: every step looks up what it would create (term by name, agreement, courses by
name, a pupil's application, the month's statements) and adds only what is missing.
"""

from __future__ import annotations

from datetime import time, timedelta

import sqlalchemy as sa
from flask import g

from backend.auth.context import Actor
from backend.auth.models import AdminAccount, User
from backend.common.clock import now, today
from backend.database import close_session, get_session
from backend.errors import DomainError
from backend.schools.models import GuardianLink, School, Student
from backend.signup.models import Application
from backend.terms.models import Agreement, Term

TERM_NAME = "课后服务演示学期"  # the name scripts/demo looks for (it reuses this term)
AGREEMENT = (
    "课后服务协议",
    "家长自愿申请参加课后服务，遵守学校安全管理规定；按月缴纳服务费，请假可按规定退费。",
)
# (name, category, kind, weekdays, start, end, capacity, monthly fee in fen): 1 + X.
COURSES = (
    ("作业辅导", "基础托管", "tutoring", [1, 2, 3, 4, 5], time(16, 0), time(17, 0), 60, 0),
    ("围棋", "益智", "enrichment", [2, 4], time(16, 0), time(17, 0), 20, 2000),
    ("合唱", "艺术", "enrichment", [1, 3], time(16, 0), time(17, 0), 30, 1500),
    ("篮球", "体育", "enrichment", [5], time(16, 0), time(17, 30), 24, 1500),
)
LEFT_FOR_SCRIPTS_DEMO = "20240101"  # 王小明


def seed_running_term(app, school_code: str, admin_username: str) -> dict:
    """Create whatever of the demo term is missing; a summary of what is there."""
    with app.test_request_context("/admin/api/v1/seed-demo"):
        try:
            session = get_session()
            school = session.scalar(sa.select(School).where(School.code == school_code))
            admin = session.scalar(
                sa.select(AdminAccount).where(AdminAccount.username == admin_username)
            )
            g.actor = Actor("admin", admin.id, 0, school_id=school.id)
            term = _ensure_term(school.id)
            _ensure_agreement(school.id, term)
            courses = _ensure_courses(school.id, term.id)
            enrolled = _ensure_enrolled(session, school, term)
            statements = _ensure_statements(school.id, term)
            return {
                "term": term.name,
                "term_id": term.id,
                "courses": courses,
                "enrolled": enrolled,
                "statements": statements,
            }
        finally:
            close_session()


def _ensure_term(school_id: int) -> Term:
    """The demo term: today inside it, sign-up and course selection open now."""
    from backend.terms import service as terms

    session = get_session()
    term = session.scalar(
        sa.select(Term).where(Term.school_id == school_id, Term.name == TERM_NAME)
    ) or session.scalar(
        sa.select(Term).where(
            Term.school_id == school_id, Term.starts_on <= today(), Term.ends_on >= today()
        )
    )
    if term is not None:
        return term
    moment, day = now(), today()
    created = terms.create_term(
        school_id,
        {
            "name": TERM_NAME,
            "starts_on": day.replace(day=1),
            "ends_on": day + timedelta(days=120),
            "signup_opens_at": moment - timedelta(days=14),
            "signup_closes_at": moment + timedelta(days=7),
            "selection_mode": "fcfs",
            "selection_opens_at": moment - timedelta(days=1),
            "selection_closes_at": moment + timedelta(days=14),
            "publicity_days": 3,
            "max_courses_per_student": 2,
            "billing_mode": "monthly",
            "base_fee_fen": 6000,
            "service_end_time": time(17, 30),
            "pickup_cutoff_time": time(15, 0),
        },
    )
    return session.get(Term, created["id"])


def _ensure_agreement(school_id: int, term: Term) -> None:
    from backend.terms import service as terms

    if get_session().scalar(sa.select(Agreement.id).where(Agreement.term_id == term.id)):
        return
    title, body = AGREEMENT
    terms.add_agreement(school_id, term.id, {"title": title, "body": body})


def _ensure_courses(school_id: int, term_id: int) -> int:
    """The 1 + X courses, each created once (by name) through the catalogue."""
    from backend.courses import catalogue

    have = {c["name"] for c in catalogue.list_for_term(school_id, term_id)}
    for name, category, kind, days, start, end, capacity, fee in COURSES:
        if name in have:
            continue
        catalogue.create(
            school_id,
            term_id,
            {
                "name": name,
                "category": category,
                "kind": kind,
                "weekdays": days,
                "start_time": start,
                "end_time": end,
                "capacity": capacity,
                "min_grade": 1,
                "max_grade": 6,
                "fee_fen": fee,
                "location": "教学楼一层",
            },
        )
    return len(COURSES)


def _family_user(session, pupil: Student) -> User:
    """The pupil's applicant: the demo parent for their children, else a demo family
    account (login code demo-family_<student_no>, no phone, linked to the pupil)."""
    link = session.scalar(sa.select(GuardianLink).where(GuardianLink.student_id == pupil.id))
    if link is not None:
        return session.get(User, link.user_id)
    openid = f"o_demo_family_{pupil.student_no}"
    user = session.scalar(sa.select(User).where(User.openid == openid))
    if user is None:
        user = User(openid=openid)
        session.add(user)
        session.flush()
    session.add(
        GuardianLink(user_id=user.id, student_id=pupil.id, relation="mother", verified_by="phone")
    )
    return user


def _ensure_enrolled(session, school: School, term: Term) -> int:
    """Every demo pupil but 王小明 enrolled (written directly: see the module docstring)."""
    agreement = session.scalar(
        sa.select(Agreement).where(Agreement.term_id == term.id).order_by(Agreement.version)
    )
    pupils = session.scalars(
        sa.select(Student)
        .where(Student.school_id == school.id, Student.student_no != LEFT_FOR_SCRIPTS_DEMO)
        .order_by(Student.student_no)
    ).all()
    with_application = set(
        session.scalars(sa.select(Application.student_id).where(Application.term_id == term.id))
    )
    moment = now()
    for pupil in pupils:
        if pupil.id in with_application:
            continue
        session.add(
            Application(
                term_id=term.id,
                student_id=pupil.id,
                school_id=school.id,
                class_id=pupil.class_id,
                state="enrolled",
                level=None,
                applicant_user_id=_family_user(session, pupil).id,
                agreement_id=agreement.id,
                agreed_at=moment,
                waiting_since=moment,
                enrolled_at=moment,
            )
        )
    session.commit()
    return len(pupils)


def _ensure_statements(school_id: int, term: Term) -> int:
    """This month's statements, generated and issued once by the office's use cases."""
    from backend.fees import issuing
    from backend.fees.models import Statement

    period = today().strftime("%Y-%m")
    have = get_session().scalar(
        sa.select(sa.func.count())
        .select_from(Statement)
        .where(Statement.term_id == term.id, Statement.period == period)
    )
    if have:
        return have
    try:
        issuing.generate(school_id, term.id, period)
        return issuing.issue_period(school_id, term.id, period)["issued"]
    except DomainError:  # e.g. a month without service days: the office generates later
        return 0
