"""Staff records, who teaches which course, course meetings and their attendance, hours
entries, term pay rates, provider pay terms, and monthly pay sheets with their lines."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import Base, TimestampMixin, TZDateTime

KINDS = ("teacher", "admin", "external")
DUTIES = ("teaching", "supervision", "admin")
MARKS = ("present", "absent", "leave")
PROVIDER_MODES = ("workload", "package")
SHEET_STATUSES = ("draft", "approved")
LINE_KINDS = (*KINDS, "provider")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class StaffMember(TimestampMixin, Base):
    """A person the office pays for serving: own teacher, admin staff or a provider's."""

    __tablename__ = "staff_members"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", KINDS), name="kind"),
        sa.CheckConstraint("(kind = 'external') = (provider_id IS NOT NULL)", name="provider"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    kind: Mapped[str] = mapped_column(sa.String(10))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    provider_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("course_providers.id"), index=True
    )


class CourseStaff(Base):
    """Who teaches a course (its lessons are recorded for each of them)."""

    __tablename__ = "course_staff"

    course_id: Mapped[int] = mapped_column(
        sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_members.id"), primary_key=True)


class CourseMeeting(TimestampMixin, Base):
    """One held meeting of a course: exists once its attendance was taken."""

    __tablename__ = "course_meetings"
    __table_args__ = (sa.UniqueConstraint("course_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"))
    day: Mapped[date] = mapped_column(sa.Date)
    taken_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(TZDateTime)


class CourseAttendance(Base):
    """A pupil's mark at one course meeting."""

    __tablename__ = "course_attendance"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "student_id"),
        sa.CheckConstraint(_in("status", MARKS), name="status"),
        sa.Index("ix_course_attendance_student", "student_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("course_meetings.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(sa.String(8))


class StaffHours(TimestampMixin, Base):
    """One entry of work; never edited: a correction is a new entry negating `corrects_id`."""

    __tablename__ = "staff_hours"
    __table_args__ = (
        sa.CheckConstraint(_in("duty", DUTIES), name="duty"),
        sa.CheckConstraint(_in("source", ("attendance", "office", "correction")), name="source"),
        # A held meeting records each of its staff once, however often attendance is saved.
        sa.UniqueConstraint("meeting_id", "staff_id"),
        sa.Index("ix_staff_hours_term_day", "term_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"))
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_members.id"), index=True)
    day: Mapped[date] = mapped_column(sa.Date)
    duty: Mapped[str] = mapped_column(sa.String(12))
    minutes: Mapped[int] = mapped_column(sa.Integer)  # negative on a correction
    lessons: Mapped[int] = mapped_column(sa.Integer, default=0)  # teaching: +1, correction -1
    course_id: Mapped[int | None] = mapped_column(sa.ForeignKey("courses.id"))
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("course_meetings.id"))
    source: Mapped[str] = mapped_column(sa.String(10))
    corrects_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_hours.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(sa.String(300))
    recorded_by: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_accounts.id"))


class PayRates(TimestampMixin, Base):
    """A term's pay rates: per lesson, per supervision hour, the admin monthly amount."""

    __tablename__ = "staff_pay_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), unique=True)
    teaching_per_lesson_fen: Mapped[int] = mapped_column(sa.Integer)
    supervision_per_hour_fen: Mapped[int] = mapped_column(sa.Integer)
    admin_monthly_fen: Mapped[int] = mapped_column(sa.Integer)


class ProviderPayTerms(TimestampMixin, Base):
    """How a provider's external staff are paid: by workload (default) or one package."""

    __tablename__ = "staff_provider_pay_terms"
    __table_args__ = (
        sa.CheckConstraint(_in("mode", PROVIDER_MODES), name="mode"),
        sa.CheckConstraint(
            "mode = 'workload' OR package_monthly_fen IS NOT NULL", name="package_amount"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("course_providers.id"), unique=True)
    mode: Mapped[str] = mapped_column(sa.String(10))
    package_monthly_fen: Mapped[int | None] = mapped_column(sa.Integer)


class PaySheet(TimestampMixin, Base):
    """A month's pay sheet; an approved one is corrected only by a correcting sheet."""

    __tablename__ = "staff_pay_sheets"
    __table_args__ = (
        sa.CheckConstraint(_in("status", SHEET_STATUSES), name="status"),
        # At most one draft per month: generating again recomputes it.
        sa.Index(
            "uq_staff_pay_sheets_draft",
            "term_id",
            "period",
            unique=True,
            postgresql_where=sa.text("status = 'draft'"),
            sqlite_where=sa.text("status = 'draft'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), index=True)
    period: Mapped[str] = mapped_column(sa.String(7))
    status: Mapped[str] = mapped_column(sa.String(10), default="draft")
    corrects_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_pay_sheets.id"))
    total_fen: Mapped[int] = mapped_column(sa.Integer, default=0)
    # The rates the sheet was computed with, shown on the signed printout.
    rates: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    generated_by: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_accounts.id"))
    approved_by: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_accounts.id"))
    approved_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    expense_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fee_expenses.id"))


class PaySheetLine(Base):
    """One person (or one package-paid provider) on a sheet; amounts may be negative on a
    correcting sheet (the difference to what was approved)."""

    __tablename__ = "staff_pay_sheet_lines"
    __table_args__ = (sa.CheckConstraint(_in("kind", LINE_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(
        sa.ForeignKey("staff_pay_sheets.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id"))
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("course_providers.id"))
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(10))
    lessons: Mapped[int] = mapped_column(sa.Integer, default=0)
    minutes: Mapped[int] = mapped_column(sa.Integer, default=0)
    teaching_fen: Mapped[int] = mapped_column(sa.Integer, default=0)
    supervision_fen: Mapped[int] = mapped_column(sa.Integer, default=0)
    admin_fen: Mapped[int] = mapped_column(sa.Integer, default=0)
    amount_fen: Mapped[int] = mapped_column(sa.Integer, default=0)
    note: Mapped[str | None] = mapped_column(sa.String(200))
