"""Providers, courses (with the seat counter), selections, lottery preferences and draws."""

from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import Base, TimestampMixin, TZDateTime, utcnow

KINDS = ("tutoring", "enrichment")
COURSE_STATUSES = ("open", "closed")
PROVIDER_STATUSES = ("active", "inactive")


class Provider(TimestampMixin, Base):
    """A third-party provider (R12): qualified, chosen by tender, barred 6 years if blacklisted."""

    __tablename__ = "course_providers"
    __table_args__ = (
        sa.UniqueConstraint("school_id", "name"),
        sa.CheckConstraint("status IN ('active', 'inactive')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    licence_no: Mapped[str] = mapped_column(sa.String(64))
    qualification: Mapped[str] = mapped_column(sa.String(500))
    contact: Mapped[str | None] = mapped_column(sa.String(100))
    status: Mapped[str] = mapped_column(sa.String(10), default="active")
    blacklisted_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    blacklisted_until: Mapped[datetime | None] = mapped_column(TZDateTime)
    blacklist_reason: Mapped[str | None] = mapped_column(sa.String(500))
    updated_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow, onupdate=utcnow)

    def is_blacklisted(self, at: datetime) -> bool:
        return self.blacklisted_until is not None and self.blacklisted_until > at


class Course(TimestampMixin, Base):
    """A course of a term. `seats_taken` is the seat counter the selection updates
    conditionally; the CHECK makes an oversold seat impossible even for a buggy writer."""

    __tablename__ = "courses"
    __table_args__ = (
        sa.CheckConstraint("capacity BETWEEN 1 AND 500", name="capacity_range"),
        sa.CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="seats_taken"),
        sa.CheckConstraint("end_time > start_time", name="times_in_order"),
        sa.CheckConstraint(
            "min_grade BETWEEN 1 AND 9 AND max_grade BETWEEN min_grade AND 9", name="grade_range"
        ),
        sa.CheckConstraint("fee_fen >= 0", name="fee_not_negative"),
        sa.CheckConstraint("kind IN ('tutoring', 'enrichment')", name="kind"),
        sa.CheckConstraint("status IN ('open', 'closed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("course_providers.id"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100))
    category: Mapped[str] = mapped_column(sa.String(30))
    kind: Mapped[str] = mapped_column(sa.String(12))
    weekdays: Mapped[list] = mapped_column(sa.JSON)  # ISO weekdays 1-5, sorted
    start_time: Mapped[time] = mapped_column(sa.Time)
    end_time: Mapped[time] = mapped_column(sa.Time)
    capacity: Mapped[int] = mapped_column(sa.Integer)
    seats_taken: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    min_grade: Mapped[int] = mapped_column(sa.Integer)
    max_grade: Mapped[int] = mapped_column(sa.Integer)
    fee_fen: Mapped[int] = mapped_column(sa.Integer, default=0)
    location: Mapped[str | None] = mapped_column(sa.String(100))
    status: Mapped[str] = mapped_column(sa.String(10), default="open")
    updated_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow, onupdate=utcnow)


class Selection(TimestampMixin, Base):
    """A pupil's seat (confirmed) or place in the queue (waitlisted) in a course."""

    __tablename__ = "selections"
    __table_args__ = (
        # One live selection per pupil per course, enforced by the database itself.
        sa.Index(
            "uq_selections_live",
            "course_id",
            "student_id",
            unique=True,
            postgresql_where=sa.text("status <> 'dropped'"),
            sqlite_where=sa.text("status <> 'dropped'"),
        ),
        sa.Index("ix_selections_course_status", "course_id", "status"),
        sa.Index("ix_selections_term_student", "term_id", "student_id"),
        sa.CheckConstraint("status IN ('confirmed', 'waitlisted', 'dropped')", name="status"),
        sa.CheckConstraint("source IN ('fcfs', 'lottery')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"))
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"))
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"), index=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(12))
    source: Mapped[str] = mapped_column(sa.String(8), default="fcfs")
    # Lottery waitlists keep the draw's order here; first-come waitlists queue by id.
    queue_no: Mapped[int | None] = mapped_column(sa.Integer)
    created_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    dropped_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow, onupdate=utcnow)


class Preference(TimestampMixin, Base):
    """A pupil's ranked course wishes for a lottery term (the latest PUT wins)."""

    __tablename__ = "course_preferences"
    __table_args__ = (sa.UniqueConstraint("term_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), index=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"))
    course_ids: Mapped[list] = mapped_column(sa.JSON)
    updated_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow, onupdate=utcnow)


class LotteryDraw(TimestampMixin, Base):
    """The commitment (seed hash) of a lottery term, then the revealed seed, the
    published inputs and the result. `pseudonym_key` never leaves the server."""

    __tablename__ = "lottery_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), unique=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    seed_hash: Mapped[str] = mapped_column(sa.String(64))
    committed_at: Mapped[datetime] = mapped_column(TZDateTime)
    pseudonym_key: Mapped[str] = mapped_column(sa.String(64))
    seed: Mapped[str | None] = mapped_column(sa.String(200))
    drawn_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    inputs: Mapped[dict | None] = mapped_column(sa.JSON)
    result: Mapped[dict | None] = mapped_column(sa.JSON)
