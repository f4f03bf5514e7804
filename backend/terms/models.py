"""Term, per-date calendar overrides, and versioned service agreements."""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import Base, TimestampMixin, TZDateTime

DEFAULT_REVIEW_LEVELS = ["class", "grade", "school"]


class Term(TimestampMixin, Base):
    __tablename__ = "terms"
    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
        sa.CheckConstraint("base_fee_fen >= 0", name="fee_not_negative"),
        sa.CheckConstraint("publicity_days >= 0", name="publicity_not_negative"),
        sa.CheckConstraint("selection_mode IN ('fcfs', 'lottery')", name="selection_mode"),
        sa.CheckConstraint("billing_mode IN ('monthly', 'term')", name="billing_mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    signup_opens_at: Mapped[datetime] = mapped_column(TZDateTime)
    signup_closes_at: Mapped[datetime] = mapped_column(TZDateTime)
    selection_mode: Mapped[str] = mapped_column(sa.String(10), default="fcfs")
    selection_opens_at: Mapped[datetime] = mapped_column(TZDateTime)
    selection_closes_at: Mapped[datetime] = mapped_column(TZDateTime)
    publicity_days: Mapped[int] = mapped_column(sa.Integer, default=5)
    review_levels: Mapped[list] = mapped_column(
        sa.JSON, default=lambda: list(DEFAULT_REVIEW_LEVELS)
    )
    review_overdue_days: Mapped[int] = mapped_column(sa.Integer, default=3)
    max_courses_per_student: Mapped[int] = mapped_column(sa.Integer, default=2)
    billing_mode: Mapped[str] = mapped_column(sa.String(10), default="monthly")
    base_fee_fen: Mapped[int] = mapped_column(sa.Integer, default=0)
    service_end_time: Mapped[time] = mapped_column(sa.Time)
    pickup_cutoff_time: Mapped[time] = mapped_column(sa.Time)
    # Minutes after service end before a pupil still in school raises an alert (§6).
    pickup_grace_minutes: Mapped[int] = mapped_column(sa.Integer, default=30)


class CalendarOverride(TimestampMixin, Base):
    """An office decision for one date: a closure, a make-up day, a different end time."""

    __tablename__ = "calendar_overrides"
    __table_args__ = (sa.UniqueConstraint("term_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(sa.Date)
    is_service_day: Mapped[bool] = mapped_column(sa.Boolean)
    service_end_time: Mapped[time | None] = mapped_column(sa.Time)
    note: Mapped[str | None] = mapped_column(sa.String(200))


class Agreement(TimestampMixin, Base):
    """A version of the service agreement (协议); applicants keep the version they signed."""

    __tablename__ = "agreements"
    __table_args__ = (sa.UniqueConstraint("term_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
