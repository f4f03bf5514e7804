"""School, grade, class, pupil, roster guardians, guardian links and role grants."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import Base, TimestampMixin, TZDateTime

ROLES = ("guardian", "head_teacher", "committee_member", "gate_staff", "course_teacher")
GRANTABLE_ROLES = ("head_teacher", "committee_member", "gate_staff", "course_teacher")
STAGES = ("primary", "middle")
LEVELS = ("class", "grade", "school")
PRIORITY_FLAGS = ("disabled", "left_behind", "migrant_worker", "hardship")


class School(TimestampMixin, Base):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    # The education bureau overseeing the school (R18); None = no district yet.
    district_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("districts.id", ondelete="RESTRICT"), index=True
    )
    # Regional cap on the monthly fee (R8); 80 yuan by default.
    monthly_fee_cap_fen: Mapped[int] = mapped_column(sa.Integer, default=8000)
    # Days after a pupil's last term ends before their personal data is anonymised.
    retention_days: Mapped[int] = mapped_column(sa.Integer, default=365, server_default="365")
    # "primary" or "middle": how late service may run (R5: 18:30 or 19:00) and how long
    # one lesson is (R7: 40 or 45 minutes).
    stage: Mapped[str] = mapped_column(sa.String(10), default="primary", server_default="primary")


class Grade(TimestampMixin, Base):
    __tablename__ = "grades"
    __table_args__ = (sa.UniqueConstraint("school_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    # 1-6 primary, 7-9 middle school: decides lesson length and course grade ranges.
    level: Mapped[int] = mapped_column(sa.Integer)


class SchoolClass(TimestampMixin, Base):
    __tablename__ = "classes"
    __table_args__ = (sa.UniqueConstraint("grade_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    grade_id: Mapped[int] = mapped_column(sa.ForeignKey("grades.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(50))


class Student(TimestampMixin, Base):
    __tablename__ = "students"
    __table_args__ = (sa.UniqueConstraint("school_id", "student_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    class_id: Mapped[int] = mapped_column(sa.ForeignKey("classes.id"), index=True)
    student_no: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(50))
    priority_flags: Mapped[list] = mapped_column(sa.JSON, default=list)
    photo_url: Mapped[str | None] = mapped_column(sa.String(500))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    anonymised_at: Mapped[datetime | None] = mapped_column(TZDateTime)


class RosterGuardian(TimestampMixin, Base):
    """A guardian as the school office knows them: the phone that may bind the pupil."""

    __tablename__ = "roster_guardians"
    __table_args__ = (sa.UniqueConstraint("student_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(
        sa.ForeignKey("students.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(50))
    phone: Mapped[str] = mapped_column(sa.String(20), index=True)
    relation: Mapped[str] = mapped_column(sa.String(20))


class GuardianLink(TimestampMixin, Base):
    """A WeChat user bound to a pupil as guardian."""

    __tablename__ = "guardian_links"
    __table_args__ = (sa.UniqueConstraint("user_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(
        sa.ForeignKey("students.id", ondelete="CASCADE"), index=True
    )
    relation: Mapped[str] = mapped_column(sa.String(20))
    verified_by: Mapped[str] = mapped_column(sa.String(20))  # "phone" | "binding_code"


class StudentBindingCode(TimestampMixin, Base):
    """A one-time code the office hands a family whose phone is not on the roster."""

    __tablename__ = "student_binding_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(
        sa.ForeignKey("students.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    relation: Mapped[str] = mapped_column(sa.String(20), default="other")
    expires_at: Mapped[datetime] = mapped_column(TZDateTime)
    used_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    used_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class RoleGrant(TimestampMixin, Base):
    """A staff or committee role of a school, bound to a WeChat user by a one-time code."""

    __tablename__ = "role_grants"
    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('head_teacher', 'committee_member', 'gate_staff', 'course_teacher')",
            name="role",
        ),
        sa.CheckConstraint("level IS NULL OR level IN ('class', 'grade', 'school')", name="level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(50))
    class_id: Mapped[int | None] = mapped_column(sa.ForeignKey("classes.id"))
    grade_id: Mapped[int | None] = mapped_column(sa.ForeignKey("grades.id"))
    level: Mapped[str | None] = mapped_column(sa.String(10))
    # course_teacher only: the staff record whose courses the holder teaches.
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id"))
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    code_expires_at: Mapped[datetime] = mapped_column(TZDateTime)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    bound_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(TZDateTime)
