"""Builders for test data, written straight through the session (no HTTP)."""

from __future__ import annotations

import itertools

from backend.auth.models import AdminAccount, User
from backend.auth.sessions import open_session
from backend.schools.models import (
    Grade,
    GuardianLink,
    RoleGrant,
    RosterGuardian,
    School,
    SchoolClass,
    Student,
)

_seq = itertools.count(1)
APP = None  # set by conftest's `app` fixture: token signing needs the app's settings


def n() -> int:
    return next(_seq)


def school(db, **kw) -> School:
    i = n()
    row = School(name=kw.pop("name", f"第{i}小学"), code=kw.pop("code", f"S{i:05d}"), **kw)
    db.add(row)
    db.flush()
    return row


def grade(db, school_row, level=3, **kw) -> Grade:
    row = Grade(school_id=school_row.id, name=kw.pop("name", f"{level}年级-{n()}"), level=level)
    db.add(row)
    db.flush()
    return row


def klass(db, grade_row, **kw) -> SchoolClass:
    row = SchoolClass(
        school_id=grade_row.school_id, grade_id=grade_row.id, name=kw.pop("name", f"{n()}班")
    )
    db.add(row)
    db.flush()
    return row


def student(db, class_row, *, guardians=(), **kw) -> Student:
    i = n()
    row = Student(
        school_id=class_row.school_id,
        class_id=class_row.id,
        student_no=kw.pop("student_no", f"NO{i:06d}"),
        name=kw.pop("name", f"学生{i}"),
        priority_flags=kw.pop("priority_flags", []),
        **kw,
    )
    db.add(row)
    db.flush()
    for name, phone, relation in guardians:
        db.add(RosterGuardian(student_id=row.id, name=name, phone=phone, relation=relation))
    db.flush()
    return row


def user(db, *, openid=None, phone=None) -> User:
    from backend.common.clock import now

    row = User(
        openid=openid or f"o_test_{n()}",
        phone=phone,
        phone_verified_at=now() if phone else None,
    )
    db.add(row)
    db.flush()
    return row


def guardian_of(db, user_row, student_row, relation="mother") -> GuardianLink:
    row = GuardianLink(
        user_id=user_row.id, student_id=student_row.id, relation=relation, verified_by="phone"
    )
    db.add(row)
    db.flush()
    return row


def grant(db, user_row, school_row, role, **kw) -> RoleGrant:
    from datetime import timedelta

    from backend.auth.tokens import digest
    from backend.common.clock import now

    row = RoleGrant(
        school_id=school_row.id,
        role=role,
        name=kw.pop("name", f"职员{n()}"),
        code_hash=digest(f"factory-{n()}"),
        code_expires_at=now() + timedelta(days=1),
        user_id=user_row.id if user_row else None,
        bound_at=now() if user_row else None,
        **kw,
    )
    db.add(row)
    db.flush()
    return row


# Factory admins have TOTP enrolled, as every admin must (DESIGN: password + TOTP).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def admin(db, school_row=None, username=None, *, totp=True) -> AdminAccount:
    """An office account; totp=False: one that has not enrolled TOTP yet."""
    row = AdminAccount(
        username=username or f"admin{n()}",
        password_hash="!unusable",
        school_id=school_row.id if school_row else None,
        totp_secret=TOTP_SECRET if totp else None,
        totp_enabled=totp,
    )
    db.add(row)
    db.flush()
    return row


def auth(db, *, user_row=None, admin_row=None, second_factor=True) -> dict:
    """Authorization header for a user or an admin, as if they had signed in.

    An admin's session is a full one (password and TOTP proven) unless second_factor=False
    (a session that may only enrol TOTP)."""
    with APP.app_context():
        tokens = open_session(
            db,
            user_id=user_row.id if user_row else None,
            admin_id=admin_row.id if admin_row else None,
            second_factor=second_factor,
        )
    db.flush()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


class World:
    """Two schools, each with a grade, two classes, pupils, guardians and staff."""

    def __init__(self, db):
        self.db = db
        self.schools = []
        for _ in range(2):
            s = school(db)
            g = grade(db, s)
            c1, c2 = klass(db, g), klass(db, g)
            kids = [student(db, c1), student(db, c1), student(db, c2)]
            parent = user(db, phone=f"139{n():08d}")
            guardian_of(db, parent, kids[0])
            teacher = user(db)
            grant(db, teacher, s, "head_teacher", class_id=c1.id)
            gate = user(db)
            grant(db, gate, s, "gate_staff")
            committee = {
                "class": user(db),
                "grade": user(db),
                "school": user(db),
            }
            grant(db, committee["class"], s, "committee_member", level="class", class_id=c1.id)
            grant(db, committee["grade"], s, "committee_member", level="grade", grade_id=g.id)
            grant(db, committee["school"], s, "committee_member", level="school")
            office = admin(db, s)
            self.schools.append(
                dict(
                    school=s,
                    grade=g,
                    classes=(c1, c2),
                    kids=kids,
                    parent=parent,
                    teacher=teacher,
                    gate=gate,
                    committee=committee,
                    office=office,
                )
            )
        self.platform = admin(db, None)
        db.flush()


def term(db, school_row, **kw):
    """A term around today with open windows (sign-up and selection open now)."""
    from datetime import time, timedelta

    from backend.common.clock import now, today
    from backend.terms.models import Term

    moment = now()
    values = dict(
        school_id=school_row.id,
        name=f"学期{n()}",
        starts_on=today() - timedelta(days=30),
        ends_on=today() + timedelta(days=120),
        signup_opens_at=moment - timedelta(days=1),
        signup_closes_at=moment + timedelta(days=7),
        selection_mode="fcfs",
        selection_opens_at=moment - timedelta(hours=1),
        selection_closes_at=moment + timedelta(days=7),
        publicity_days=3,
        review_levels=["class", "grade", "school"],
        review_overdue_days=3,
        max_courses_per_student=2,
        billing_mode="monthly",
        base_fee_fen=6000,
        service_end_time=time(17, 30),
        pickup_cutoff_time=time(15, 0),
        pickup_grace_minutes=30,
    )
    values.update(kw)
    row = Term(**values)
    db.add(row)
    db.flush()
    return row


def agreement(db, term_row, version=1):
    from backend.terms.models import Agreement

    row = Agreement(term_id=term_row.id, version=version, title="课后服务协议", body="……")
    db.add(row)
    db.flush()
    return row


def application(db, term_row, student_row, applicant, state="submitted", level="class"):
    """An application written directly (use the API to test the sign-up itself)."""
    from backend.common.clock import now
    from backend.signup.models import Application

    agreement_row = agreement(db, term_row, version=n() + 1000)
    row = Application(
        term_id=term_row.id,
        student_id=student_row.id,
        school_id=student_row.school_id,
        class_id=student_row.class_id,
        state=state,
        level=None
        if state in ("approved", "in_publicity", "enrolled", "withdrawn", "rejected")
        else level,
        applicant_user_id=applicant.id,
        agreement_id=agreement_row.id,
        agreed_at=now(),
        waiting_since=now(),
        enrolled_at=now() if state == "enrolled" else None,
    )
    db.add(row)
    db.flush()
    return row


def enrolled(db, term_row, student_row, applicant=None):
    """A pupil enrolled in the term (for selection, pickup and fee tests)."""
    applicant = applicant or user(db)
    return application(db, term_row, student_row, applicant, state="enrolled")


def provider(db, school_row, **kw):
    """A third-party course provider of the school (active, not blacklisted)."""
    from backend.courses.models import Provider

    values = dict(
        school_id=school_row.id,
        name=f"机构{n()}",
        licence_no=f"L{n():06d}",
        qualification="办学许可证",
        status="active",
    )
    values.update(kw)
    row = Provider(**values)
    db.add(row)
    db.flush()
    return row


def course(db, term_row, **kw):
    """An open course of the term: Monday and Wednesday 16:00-17:00, grades 1-9, 30 seats."""
    from datetime import time

    from backend.courses.models import Course

    values = dict(
        school_id=term_row.school_id,
        term_id=term_row.id,
        name=f"课程{n()}",
        category="体育",
        kind="enrichment",
        weekdays=[1, 3],
        start_time=time(16, 0),
        end_time=time(17, 0),
        capacity=30,
        seats_taken=0,
        min_grade=1,
        max_grade=9,
        fee_fen=0,
        status="open",
    )
    values.update(kw)
    row = Course(**values)
    db.add(row)
    db.flush()
    return row
