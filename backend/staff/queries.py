"""Reads of the staff domain that other domains (and this one's use cases) may call."""

from __future__ import annotations

import sqlalchemy as sa

from backend.staff.models import CourseStaff, StaffMember

LESSON_MINUTES = {"primary": 40, "middle": 45}  # R7


def lesson_minutes(stage: str | None) -> int:
    """One lesson's length for a school stage (primary unless set to middle)."""
    return LESSON_MINUTES.get(stage or "primary", LESSON_MINUTES["primary"])


def course_staff_ids(session, course_id: int) -> list[int]:
    """Who teaches a course, by staff id."""
    return list(
        session.scalars(
            sa.select(CourseStaff.staff_id)
            .where(CourseStaff.course_id == course_id)
            .order_by(CourseStaff.staff_id)
        )
    )


def teaches(session, staff_ids, course_id: int) -> bool:
    """Whether any of the staff records teaches the course."""
    if not staff_ids:
        return False
    return (
        session.scalar(
            sa.select(CourseStaff.staff_id).where(
                CourseStaff.course_id == course_id, CourseStaff.staff_id.in_(list(staff_ids))
            )
        )
        is not None
    )


def staff_names(session, staff_ids) -> dict[int, str]:
    """Names of staff records by id."""
    rows = session.execute(
        sa.select(StaffMember.id, StaffMember.name).where(StaffMember.id.in_(list(staff_ids)))
    )
    return dict(rows.all())
