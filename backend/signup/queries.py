"""Reads of sign-up that other domains ask for instead of querying applications themselves.

"Enrolled" is sign-up's word: every other domain asks here (courses, pickup, fees), so the
rule of who is enrolled, and from which day to which day, is written once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import NamedTuple

import sqlalchemy as sa

from backend.common.clock import SCHOOL_TZ
from backend.signup.models import Application

# An application that still counts (not withdrawn, not rejected).
DEAD_STATES = ("withdrawn", "rejected")


class Span(NamedTuple):
    """One enrolment of a pupil in a term: the day it began and the day the pupil left
    (None while still enrolled); the day left is the first day not served."""

    student_id: int
    joined_on: date | None
    left_on: date | None


def enrolled_clause(term_id: int):
    """The WHERE clause of a pupil enrolled in the term now (for joins in other reads)."""
    return sa.and_(Application.term_id == term_id, Application.state == "enrolled")


def enrolled_subquery(term_id: int):
    """A select of the ids of the pupils enrolled in the term now, for `Student.id.in_()`."""
    return sa.select(Application.student_id).where(enrolled_clause(term_id))


def live_clause():
    """The WHERE clause of an application still alive (neither withdrawn nor rejected)."""
    return Application.state.not_in(DEAD_STATES)


def is_enrolled(session, term_id: int, student_id: int, *, lock: bool = False) -> bool:
    """Whether the pupil is enrolled in the term now.

    With lock=True the enrolment row is locked (FOR UPDATE on PostgreSQL; SQLite's BEGIN
    IMMEDIATE already serializes writers): it is the pupil's lock for changes to their
    selections, and a leaving takes it too, so the two never interleave.
    """
    stmt = sa.select(Application.id).where(
        enrolled_clause(term_id), Application.student_id == student_id
    )
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt.limit(1)) is not None


def enrolled_ids(session, term_id: int, student_ids: Iterable[int] | None = None) -> set[int]:
    """Ids of the pupils enrolled in the term now (optionally among `student_ids`)."""
    stmt = enrolled_subquery(term_id)
    if student_ids is not None:
        stmt = stmt.where(Application.student_id.in_(list(student_ids)))
    return set(session.scalars(stmt))


def enrolled_flags(session, term_id: int) -> dict[int, list]:
    """Priority flags declared on the application of each pupil enrolled in the term."""
    rows = session.execute(
        sa.select(Application.student_id, Application.priority_flags).where(
            enrolled_clause(term_id)
        )
    )
    return {student_id: list(flags or []) for student_id, flags in rows}


def _local_day(instant: datetime | None) -> date | None:
    return instant.astimezone(SCHOOL_TZ).date() if instant else None


def enrolment_spans(session, term_id: int, since: date, student_ids=None) -> list[Span]:
    """Every enrolment of the term still running on `since` or later: pupils enrolled now
    and pupils who left (withdrawn after enrolment) on or after that day. Ordered by pupil,
    then oldest application first, so a pupil enrolled twice ends with the later one."""
    first = datetime.combine(since, time.min, tzinfo=SCHOOL_TZ)
    stmt = (
        sa.select(
            Application.student_id,
            Application.state,
            Application.enrolled_at,
            Application.withdrawn_at,
        )
        .where(
            Application.term_id == term_id,
            sa.or_(
                Application.state == "enrolled",
                sa.and_(
                    Application.state == "withdrawn",
                    Application.enrolled_at.is_not(None),
                    Application.withdrawn_at >= first,
                ),
            ),
        )
        .order_by(Application.student_id, Application.id)
    )
    if student_ids is not None:
        stmt = stmt.where(Application.student_id.in_(list(student_ids)))
    return [
        Span(sid, _local_day(joined), _local_day(left) if state == "withdrawn" else None)
        for sid, state, joined, left in session.execute(stmt)
    ]


def enrolled_counts(session, term_ids) -> dict[int, int]:
    """{term id: pupils enrolled now} in one grouped query."""
    rows = session.execute(
        sa.select(Application.term_id, sa.func.count())
        .where(Application.term_id.in_(list(term_ids)), Application.state == "enrolled")
        .group_by(Application.term_id)
    )
    return dict(rows.all())


def enrolment_join(student_id_column, term_id_column):
    """(entity, join clause) of "that pupil enrolled in that term", for another domain's
    read that must find and lock the enrolment in its own statement (the selection's)."""
    clause = sa.and_(
        Application.term_id == term_id_column,
        Application.student_id == student_id_column,
        Application.state == "enrolled",
    )
    return Application, clause
