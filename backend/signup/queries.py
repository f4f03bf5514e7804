"""Reads of sign-up that other domains ask for instead of querying applications themselves."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from backend.signup.models import Application


def enrolled_clause(term_id: int):
    """The WHERE clause of a pupil enrolled in the term now (for joins in other reads)."""
    return sa.and_(Application.term_id == term_id, Application.state == "enrolled")


def is_enrolled(session, term_id: int, student_id: int) -> bool:
    """Whether the pupil is enrolled in the term now."""
    stmt = sa.select(Application.id).where(
        enrolled_clause(term_id), Application.student_id == student_id
    )
    return session.scalar(stmt.limit(1)) is not None


def enrolled_ids(session, term_id: int, student_ids: Iterable[int] | None = None) -> set[int]:
    """Ids of the pupils enrolled in the term now (optionally among `student_ids`)."""
    stmt = sa.select(Application.student_id).where(enrolled_clause(term_id))
    if student_ids is not None:
        stmt = stmt.where(Application.student_id.in_(list(student_ids)))
    return set(session.scalars(stmt))
