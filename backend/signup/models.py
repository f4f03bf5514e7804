"""Applications (one live per pupil per term), their review steps, postings, objections."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import Base, TimestampMixin, TZDateTime, utcnow
from backend.signup.states import STATES

APPLICATION_STATES = STATES  # the state machine's own list (signup/states.py)


class Application(TimestampMixin, Base):
    __tablename__ = "applications"
    __table_args__ = (
        # One live application per pupil per term, enforced by the database itself.
        sa.Index(
            "uq_applications_live",
            "term_id",
            "student_id",
            unique=True,
            postgresql_where=sa.text("state <> 'withdrawn'"),
            sqlite_where=sa.text("state <> 'withdrawn'"),
        ),
        sa.CheckConstraint(
            "state IN ('submitted', 'class_approved', 'grade_approved', 'approved', "
            "'rejected', 'in_publicity', 'enrolled', 'withdrawn')",
            name="state",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), index=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"), index=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    class_id: Mapped[int] = mapped_column(sa.ForeignKey("classes.id"), index=True)
    state: Mapped[str] = mapped_column(sa.String(20), default="submitted")
    # The review level the application waits at (None when it waits at none).
    level: Mapped[str | None] = mapped_column(sa.String(10))
    applicant_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # Consent (R2): the agreement version, when, by whom, from where.
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id"))
    agreed_at: Mapped[datetime] = mapped_column(TZDateTime)
    client_ip: Mapped[str | None] = mapped_column(sa.String(64))
    priority_flags: Mapped[list] = mapped_column(sa.JSON, default=list)
    exemption_category: Mapped[str | None] = mapped_column(sa.String(30))
    note: Mapped[str | None] = mapped_column(sa.String(500))
    updated_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow, onupdate=utcnow)
    # When it started waiting at its current level (for overdue reviews).
    waiting_since: Mapped[datetime | None] = mapped_column(TZDateTime)
    enrolled_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    # The posting (公示) that listed it; kept after enrollment as the record of the posting.
    publication_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publications.id"), index=True)


class ReviewStep(Base):
    """One decision or event in an application's history (who, role, level, what, when)."""

    __tablename__ = "review_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[str | None] = mapped_column(sa.String(10))
    decision: Mapped[str] = mapped_column(sa.String(20))
    comment: Mapped[str | None] = mapped_column(sa.String(500))
    actor_kind: Mapped[str] = mapped_column(sa.String(10))  # user | admin | system
    actor_id: Mapped[int | None] = mapped_column(sa.Integer)
    actor_role: Mapped[str | None] = mapped_column(sa.String(30))
    from_state: Mapped[str | None] = mapped_column(sa.String(20))
    to_state: Mapped[str] = mapped_column(sa.String(20))
    decided_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    # An upheld objection is attached to the step that sent the application back.
    objection_id: Mapped[int | None] = mapped_column(sa.ForeignKey("objections.id"))


class Publication(TimestampMixin, Base):
    """One public posting (公示) of a term's approved applications."""

    __tablename__ = "publications"
    __table_args__ = (sa.CheckConstraint("ends_at >= starts_at", name="period_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), index=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(TZDateTime)
    # starts_at + the term's publicity_days calendar days (0 days: over at once).
    ends_at: Mapped[datetime] = mapped_column(TZDateTime)
    entry_count: Mapped[int] = mapped_column(sa.Integer)
    published_by_kind: Mapped[str] = mapped_column(sa.String(10))  # user | admin
    published_by_id: Mapped[int] = mapped_column(sa.Integer)
    finalized_at: Mapped[datetime | None] = mapped_column(TZDateTime)


OBJECTION_STATES = ("open", "upheld", "dismissed")


class Objection(TimestampMixin, Base):
    """A guardian's objection to a posting, and the office's answer."""

    __tablename__ = "objections"
    __table_args__ = (sa.CheckConstraint("state IN ('open', 'upheld', 'dismissed')", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(sa.ForeignKey("publications.id"), index=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), index=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("applications.id"))
    text: Mapped[str] = mapped_column(sa.String(1000))
    state: Mapped[str] = mapped_column(sa.String(10), default="open")
    response: Mapped[str | None] = mapped_column(sa.String(1000))
    answered_by: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_accounts.id"))
    answered_at: Mapped[datetime | None] = mapped_column(TZDateTime)
