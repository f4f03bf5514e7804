"""An idempotent demo school: run it any number of times, get the same rows.

Every step looks its rows up by a natural key (school code, grade and class names,
student numbers, openids, usernames) and creates only what is missing. Later features
add their own small `ensure_*` steps (terms, courses, ...) and call them from `seed()`.

The demo WeChat users sign in through the built-in fake WeChat with the login code
`demo-<name>` (openid `o_demo_<name>`), e.g. `demo-parent`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.auth.models import AdminAccount, User
from backend.auth.passwords import hash_password
from backend.common.clock import now
from backend.schools.models import (
    Grade,
    GuardianLink,
    RoleGrant,
    RosterGuardian,
    School,
    SchoolClass,
    Student,
)

SCHOOL_CODE = "DEMO01"
SCHOOL_NAME = "课后演示小学"
GRADE_NAME = "三年级"
GRADE_LEVEL = 3
CLASS_NAMES = ("1班", "2班")

# Shown by scripts/dev and the README; demo only, never a production credential.
ADMIN_PASSWORD = "Kehou-demo-2026"
SCHOOL_ADMIN = "demo-office"
PLATFORM_ADMIN = "demo-platform"
# Fixed TOTP secrets (base32) of the demo admins, so a code can be made anywhere
# (README; `flask totp-code`). Demo credentials for a local database only.
ADMIN_TOTP = {
    SCHOOL_ADMIN: "KEHOUDEMOOFFICEAKEHOUDEMOOFFICEA",
    PLATFORM_ADMIN: "KEHOUDEMOPLATFRMKEHOUDEMOPLATFRM",
}

PARENT_OPENID = "o_demo_parent"
PARENT_PHONE = "13800000001"

# (name, guardian name, relation): six pupils per class. The first pupil of each class
# is a child of the demo parent (guardian phone 13800000001).
PUPILS = {
    "1班": [
        ("王小明", "王建国", "father"),
        ("李思雨", "李娜", "mother"),
        ("张子涵", "张伟", "father"),
        ("刘一诺", "刘芳", "mother"),
        ("陈浩然", "陈奶奶", "grandmother"),
        ("杨梓萱", "杨军", "father"),
    ],
    "2班": [
        ("王小红", "王建国", "father"),
        ("赵宇轩", "赵丽", "mother"),
        ("黄欣怡", "黄强", "father"),
        ("周俊杰", "周爷爷", "grandfather"),
        ("吴雨桐", "吴敏", "mother"),
        ("徐子墨", "徐磊", "father"),
    ],
}

# openid -> (role, name, scope) for the staff and committee demo users.
STAFF = {
    "o_demo_teacher": ("head_teacher", "李老师（1班班主任）", "class"),
    "o_demo_gate": ("gate_staff", "门卫张师傅", None),
    "o_demo_class_committee": ("committee_member", "1班家委会代表", "class"),
    "o_demo_grade_committee": ("committee_member", "三年级家委会代表", "grade"),
    "o_demo_school_committee": ("committee_member", "校级家委会代表", "school"),
}


@dataclass
class Demo:
    """What the seed made or found, for later steps and for printing."""

    school: School
    grade: Grade
    classes: dict[str, SchoolClass] = field(default_factory=dict)
    pupils: dict[str, Student] = field(default_factory=dict)  # by student_no
    users: dict[str, User] = field(default_factory=dict)  # by openid


def seed(session: Session) -> Demo:
    """Create whatever of the demo school is missing, then commit."""
    try:
        demo = ensure_school(session)
        ensure_classes(session, demo)
        ensure_pupils(session, demo)
        ensure_parent(session, demo)
        ensure_staff(session, demo)
        ensure_admins(session, demo)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return demo


def _one(session: Session, model, **where):
    return session.scalar(sa.select(model).filter_by(**where).limit(1))


def _get_or_add(session: Session, model, where: dict, **values):
    row = _one(session, model, **where)
    if row is None:
        row = model(**where, **values)
        session.add(row)
        session.flush()
    return row


def ensure_school(session: Session) -> Demo:
    school = _get_or_add(session, School, {"code": SCHOOL_CODE}, name=SCHOOL_NAME)
    grade = _get_or_add(
        session, Grade, {"school_id": school.id, "name": GRADE_NAME}, level=GRADE_LEVEL
    )
    return Demo(school=school, grade=grade)


def ensure_classes(session: Session, demo: Demo) -> None:
    for name in CLASS_NAMES:
        demo.classes[name] = _get_or_add(
            session,
            SchoolClass,
            {"grade_id": demo.grade.id, "name": name},
            school_id=demo.school.id,
        )


def student_no(class_index: int, pupil_index: int) -> str:
    # 2024 intake, class, seat: 2024 01 01 ... 2024 02 06
    return f"2024{class_index:02d}{pupil_index:02d}"


def guardian_phone(class_index: int, pupil_index: int) -> str:
    if pupil_index == 1:
        return PARENT_PHONE  # the demo parent's two children (one in each class)
    return f"1380000{class_index:02d}{pupil_index:02d}"


def ensure_pupils(session: Session, demo: Demo) -> None:
    for ci, class_name in enumerate(CLASS_NAMES, start=1):
        klass = demo.classes[class_name]
        for pi, (name, guardian, relation) in enumerate(PUPILS[class_name], start=1):
            no = student_no(ci, pi)
            pupil = _get_or_add(
                session,
                Student,
                {"school_id": demo.school.id, "student_no": no},
                class_id=klass.id,
                name=name,
                priority_flags=[],
            )
            _get_or_add(
                session,
                RosterGuardian,
                {"student_id": pupil.id, "phone": guardian_phone(ci, pi)},
                name=guardian,
                relation=relation,
            )
            demo.pupils[no] = pupil


def ensure_user(session: Session, demo: Demo, openid: str, phone: str | None = None) -> User:
    user = _one(session, User, openid=openid)
    if user is None:
        user = User(openid=openid, phone=phone, phone_verified_at=now() if phone else None)
        session.add(user)
        session.flush()
    demo.users[openid] = user
    return user


def ensure_parent(session: Session, demo: Demo) -> None:
    """`o_demo_parent`: verified phone 13800000001, guardian of 王小明 and 王小红."""
    parent = ensure_user(session, demo, PARENT_OPENID, PARENT_PHONE)
    for ci, _class_name in enumerate(CLASS_NAMES, start=1):
        pupil = demo.pupils[student_no(ci, 1)]
        _get_or_add(
            session,
            GuardianLink,
            {"user_id": parent.id, "student_id": pupil.id},
            relation="father",
            verified_by="phone",
        )


def _grant_scope(demo: Demo, scope: str | None) -> dict:
    first_class = demo.classes[CLASS_NAMES[0]]
    if scope == "class":
        return {"class_id": first_class.id, "grade_id": None}
    if scope == "grade":
        return {"class_id": None, "grade_id": demo.grade.id}
    return {"class_id": None, "grade_id": None}


def ensure_staff(session: Session, demo: Demo) -> None:
    """Head teacher, gate staff and committee members, already bound to their users."""
    for openid, (role, name, scope) in STAFF.items():
        user = ensure_user(session, demo, openid)
        where = {"school_id": demo.school.id, "role": role, "user_id": user.id}
        where.update(_grant_scope(demo, scope))
        if role == "committee_member":
            where["level"] = scope
        if _one(session, RoleGrant, **where) is None:
            # The binding code was "used" by the seed itself: only its hash is kept.
            code = secrets.token_urlsafe(16)
            session.add(
                RoleGrant(
                    **where,
                    name=name,
                    code_hash=hashlib.sha256(code.encode()).hexdigest(),
                    code_expires_at=now() + timedelta(hours=72),
                    bound_at=now(),
                )
            )
            session.flush()


def ensure_admins(session: Session, demo: Demo) -> None:
    """`demo-office` (school admin of the demo school) and `demo-platform`, with TOTP
    enrolled (an admin without TOTP may only enrol it)."""
    for username, school_id in ((SCHOOL_ADMIN, demo.school.id), (PLATFORM_ADMIN, None)):
        row = _one(session, AdminAccount, username=username)
        if row is None:
            row = AdminAccount(
                username=username,
                password_hash=hash_password(ADMIN_PASSWORD),
                school_id=school_id,
            )
            session.add(row)
        row.totp_secret, row.totp_enabled = ADMIN_TOTP[username], True
        session.flush()
