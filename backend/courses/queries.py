"""Reads of the course domain that other domains ask for (fees bill confirmed courses)."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from backend.courses.models import Course, Selection


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
