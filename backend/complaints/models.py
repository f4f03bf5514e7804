"""Complaints, their history (events) and the per-school daily tracking-number counter."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.complaints.states import CATEGORIES, STATES
from backend.database import Base, TimestampMixin, TZDateTime

_IN = "{} IN ({})".format


class Complaint(TimestampMixin, Base):
    """One complaint. The filer's user id is kept so they see their own; for an anonymous
    complaint nothing else about the filer (role, name, pupil) is stored at all."""

    __tablename__ = "complaints"
    __table_args__ = (
        sa.UniqueConstraint("school_id", "tracking_no"),
        sa.CheckConstraint(_IN("status", ", ".join(f"'{s}'" for s in STATES)), name="status"),
        sa.CheckConstraint(
            _IN("category", ", ".join(f"'{c}'" for c in CATEGORIES)), name="category"
        ),
        sa.CheckConstraint("NOT anonymous OR student_id IS NULL", name="anonymous_no_pupil"),
        sa.Index("ix_complaints_school_status", "school_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"))
    tracking_no: Mapped[str] = mapped_column(sa.String(32))
    category: Mapped[str] = mapped_column(sa.String(20))
    text: Mapped[str] = mapped_column(sa.Text)
    anonymous: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    filer_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # Snapshots taken at filing, NULL when anonymous: how the office knows who wrote.
    filer_role: Mapped[str | None] = mapped_column(sa.String(20))
    filer_name: Mapped[str | None] = mapped_column(sa.String(50))
    student_id: Mapped[int | None] = mapped_column(sa.ForeignKey("students.id"))
    status: Mapped[str] = mapped_column(sa.String(20))
    due_at: Mapped[datetime] = mapped_column(TZDateTime)
    # Set once by the daily sweep when the office was told the complaint is overdue.
    overdue_flagged_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    replied_by: Mapped[str | None] = mapped_column(sa.String(10))  # school | district
    reply_text: Mapped[str | None] = mapped_column(sa.Text)
    escalated_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    # The filer's rating of the latest reply (one per reply).
    feedback_satisfied: Mapped[bool | None] = mapped_column(sa.Boolean)
    feedback_comment: Mapped[str | None] = mapped_column(sa.Text)
    feedback_at: Mapped[datetime | None] = mapped_column(TZDateTime)


class ComplaintEvent(Base):
    """One step of a complaint's history; `by` names a party, never a person."""

    __tablename__ = "complaint_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        sa.ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(TZDateTime)
    kind: Mapped[str] = mapped_column(sa.String(20))  # submitted, accepted, replied, ...
    status: Mapped[str] = mapped_column(sa.String(20))  # the complaint's status after it
    by: Mapped[str] = mapped_column(sa.String(10))  # filer | school | district | system
    text: Mapped[str | None] = mapped_column(sa.Text)


class ComplaintCounter(Base):
    """The last tracking number handed out per school and (Shanghai) day."""

    __tablename__ = "complaint_counters"

    school_id: Mapped[int] = mapped_column(
        sa.ForeignKey("schools.id"), primary_key=True, autoincrement=False
    )
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    last: Mapped[int] = mapped_column(sa.Integer, default=0)
