"""Reads of the course domain that other domains ask for (surveys, staff pay, fees, ...)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa

from backend.courses.models import Course, Provider, Selection


def confirmed_course_ids(session, term_id: int, student_id: int) -> set[int]:
    """Ids of the courses the pupil holds a confirmed seat in, in the term, now."""
    return set(
        session.scalars(
            sa.select(Selection.course_id).where(
                Selection.term_id == term_id,
                Selection.student_id == student_id,
                Selection.status == "confirmed",
            )
        )
    )


def course_facts(session, course_ids: Iterable[int]) -> dict[int, dict]:
    """{course id: {name, provider_id, term_id}} of the given courses."""
    ids = list(course_ids)
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Course.id, Course.name, Course.provider_id, Course.term_id).where(
            Course.id.in_(ids)
        )
    )
    return {
        r.id: {"name": r.name, "provider_id": r.provider_id, "term_id": r.term_id} for r in rows
    }


def term_course_ids(session, term_id: int) -> list[int]:
    """Ids of the term's courses, open or closed, in id order."""
    return list(
        session.scalars(sa.select(Course.id).where(Course.term_id == term_id).order_by(Course.id))
    )


def provider_names(session, provider_ids: Iterable[int]) -> dict[int, str]:
    """{provider id: name}."""
    ids = [i for i in provider_ids if i is not None]
    if not ids:
        return {}
    rows = session.execute(sa.select(Provider.id, Provider.name).where(Provider.id.in_(ids)))
    return dict(rows.all())


def confirmed_student_ids(session, course_id: int) -> list[int]:
    """Pupils holding a confirmed seat on the course (its roster), by id."""
    return list(
        session.scalars(
            sa.select(Selection.student_id)
            .where(Selection.course_id == course_id, Selection.status == "confirmed")
            .order_by(Selection.student_id)
        )
    )


def fee_courses(session, term_id: int, student_ids=None) -> dict[int, list[tuple[str, int]]]:
    """(name, fee) of each confirmed course with an extra fee, per pupil (one query)."""
    stmt = (
        sa.select(Selection.student_id, Course.name, Course.fee_fen)
        .join(Course, Course.id == Selection.course_id)
        .where(Course.term_id == term_id, Selection.status == "confirmed", Course.fee_fen > 0)
        .order_by(Selection.student_id, Course.id)
    )
    if student_ids is not None:
        stmt = stmt.where(Selection.student_id.in_(list(student_ids)))
    out: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for student_id, name, fee in session.execute(stmt):
        out[student_id].append((name, fee))
    return dict(out)
