"""Reads of the course domain that other domains may call."""

from __future__ import annotations

import sqlalchemy as sa

from backend.courses.models import Selection


def confirmed_student_ids(session, course_id: int) -> list[int]:
    """Pupils holding a confirmed seat on the course (its roster), by id."""
    return list(
        session.scalars(
            sa.select(Selection.student_id)
            .where(Selection.course_id == course_id, Selection.status == "confirmed")
            .order_by(Selection.student_id)
        )
    )
