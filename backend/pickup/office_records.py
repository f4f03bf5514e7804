"""The office's read of attendance and leave across its classes (decisions stay with the
head teacher): the same sheets and views the head teacher reads, scoped to the school."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from backend.auth.context import current_actor
from backend.auth.scope import admin_school
from backend.common.clock import today
from backend.common.pagination import paginate
from backend.database import get_session
from backend.errors import NotFound
from backend.pickup.attendance import attendance_sheet
from backend.pickup.dismissal import day_of
from backend.pickup.leave import leave_view
from backend.pickup.models import LeaveRequest
from backend.schools.models import SchoolClass, Student


def class_attendance(school_id: int, class_id: int, day: date | None) -> list[dict]:
    """A class's attendance sheet for a service day, as its head teacher sees it."""
    session = get_session()
    admin_school(session, current_actor(), school_id)
    klass = session.get(SchoolClass, class_id)
    if klass is None or klass.school_id != school_id:
        raise NotFound()
    day = day or today()
    term, _ = day_of(session, school_id, day)
    return attendance_sheet(session, term, klass, day)


def leave_requests(school_id: int, status: str | None, page: int, page_size: int):
    """(page, total) of the school's leave requests, newest first, with the pupil's name."""
    session = get_session()
    admin_school(session, current_actor(), school_id)
    stmt = sa.select(LeaveRequest).where(LeaveRequest.school_id == school_id)
    if status:
        stmt = stmt.where(LeaveRequest.status == status)
    rows, total = paginate(session, stmt.order_by(LeaveRequest.id.desc()), page, page_size)
    names = dict(
        session.execute(
            sa.select(Student.id, Student.name).where(Student.id.in_({r.student_id for r in rows}))
        ).all()
    )
    return [leave_view(session, r) | {"name": names.get(r.student_id)} for r in rows], total
