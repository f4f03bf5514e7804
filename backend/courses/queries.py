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


def weekly_minutes(courses) -> dict[str, int]:
    """{"tutoring": m, "enrichment": m}: weekly minutes of homework help (the "1") and of
    enrichment (the "X") over the given courses (R7)."""
    minutes = {"tutoring": 0, "enrichment": 0}
    for course in courses:
        start = course.start_time.hour * 60 + course.start_time.minute
        end = course.end_time.hour * 60 + course.end_time.minute
        minutes[course.kind] += (end - start) * len(course.weekdays)
    return minutes


def enrichment_shares(session, term_ids) -> dict[int, float | None]:
    """{term id: enrichment share of the weekly minutes of its open courses} (R7: >= 0.5)."""
    by_term: dict[int, list] = defaultdict(list)
    rows = session.execute(
        sa.select(
            Course.term_id, Course.kind, Course.weekdays, Course.start_time, Course.end_time
        ).where(Course.term_id.in_(list(term_ids)), Course.status == "open")
    )
    for row in rows:  # courses, not pupils: a few dozen per school
        by_term[row.term_id].append(row)
    out = {}
    for term_id, courses in by_term.items():
        minutes = weekly_minutes(courses)
        total = minutes["tutoring"] + minutes["enrichment"]
        out[term_id] = round(minutes["enrichment"] / total, 4) if total else None
    return out


def active_provider_counts(session, school_ids, moment) -> dict[int, int]:
    """{school id: providers active and not barred at `moment`} (R12: at least 3)."""
    rows = session.execute(
        sa.select(Provider.school_id, sa.func.count())
        .where(
            Provider.school_id.in_(list(school_ids)),
            Provider.status == "active",
            sa.or_(Provider.blacklisted_until.is_(None), Provider.blacklisted_until <= moment),
        )
        .group_by(Provider.school_id)
    )
    return dict(rows.all())
