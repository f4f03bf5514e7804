"""Surveys, their questions, the "answered" records and the anonymous tallies.

Why the answers are stored as tallies, not as one row per response: see answering.py.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import Base, TimestampMixin, TZDateTime, utcnow

QUESTION_KINDS = ("score", "text")
SUBJECT_KINDS = ("course", "service")
SERVICE = "service"  # the subject key of the service as a whole; courses are "course:<id>"


def subject_key(kind: str, course_id: int | None) -> str:
    """ "service" or "course:<id>": the tally's subject."""
    return SERVICE if kind == "service" else f"course:{course_id}"


def empty_tally(survey_id: int, subject: str, course_id, question_id: int):
    """A tally row with nothing counted yet."""
    return SurveyTally(
        survey_id=survey_id,
        subject=subject,
        course_id=course_id,
        question_id=question_id,
        responses=0,
        n1=0,
        n2=0,
        n3=0,
        n4=0,
        n5=0,
        texts=[],
    )


class Survey(TimestampMixin, Base):
    """A term's survey: its window and whether the opening and reminder messages went out."""

    __tablename__ = "surveys"
    __table_args__ = (sa.CheckConstraint("closes_at > opens_at", name="window"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(100))
    opens_at: Mapped[datetime] = mapped_column(TZDateTime)
    closes_at: Mapped[datetime] = mapped_column(TZDateTime)
    created_by_admin_id: Mapped[int | None] = mapped_column(sa.Integer)
    # Claimed by the sweep's conditional UPDATE: each message goes out once.
    opening_sent_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(TZDateTime)


class SurveyQuestion(Base):
    __tablename__ = "survey_questions"
    __table_args__ = (
        sa.UniqueConstraint("survey_id", "position"),
        sa.CheckConstraint("kind IN ('score', 'text')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    text: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(8))


class SurveyAnswered(Base):
    """That a pupil's family has answered a survey: who, never what. The unique constraint
    is what stops a second answer, also when two guardians send at the same moment."""

    __tablename__ = "survey_answered"
    __table_args__ = (sa.UniqueConstraint("survey_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), index=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("students.id"), index=True)
    answered_on: Mapped[date] = mapped_column(sa.Date)


class SurveyTally(Base):
    """The anonymous answers of one subject and question: how many responses, how many
    gave each score, and the text answers in random order. No user, pupil or time."""

    __tablename__ = "survey_tallies"
    __table_args__ = (sa.UniqueConstraint("survey_id", "subject", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(24))
    course_id: Mapped[int | None] = mapped_column(sa.ForeignKey("courses.id"))
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_questions.id"))
    responses: Mapped[int] = mapped_column(sa.Integer, default=0)
    n1: Mapped[int] = mapped_column(sa.Integer, default=0)
    n2: Mapped[int] = mapped_column(sa.Integer, default=0)
    n3: Mapped[int] = mapped_column(sa.Integer, default=0)
    n4: Mapped[int] = mapped_column(sa.Integer, default=0)
    n5: Mapped[int] = mapped_column(sa.Integer, default=0)
    texts: Mapped[list] = mapped_column(sa.JSON, default=list)

    def counts(self) -> list[int]:
        """How many gave 1, 2, 3, 4 and 5."""
        return [self.n1, self.n2, self.n3, self.n4, self.n5]


class SurveySettings(Base):
    """A school's survey settings: below this average a provider is flagged (R15)."""

    __tablename__ = "survey_settings"

    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), primary_key=True)
    low_threshold: Mapped[Decimal] = mapped_column(sa.Numeric(3, 2), default=Decimal("3.00"))
    updated_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow, onupdate=utcnow)
