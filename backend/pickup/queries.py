"""Reads of pickup that other domains ask for (who is on approved leave), and the helpers
the pickup services share: the day's term and end time, locks, recipients."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from backend.common.clock import SCHOOL_TZ
from backend.notifications.outbox import enqueue
from backend.pickup.errors import NotAServiceDay, NotEnrolled
from backend.pickup.models import LeaveDay, LeaveRequest, PickupAlert
from backend.schools.models import RoleGrant, SchoolClass, Student
from backend.signup import queries as signup_queries
from backend.terms import calendar as cal
from backend.terms.models import Term


def local_at(day: date, moment: time) -> datetime:
    """The instant of a wall-clock time on a school day (Asia/Shanghai)."""
    return datetime.combine(day, moment, tzinfo=SCHOOL_TZ)


def end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SCHOOL_TZ)


def hhmm(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value else None


def leave_days(
    session,
    start: date,
    end: date,
    student_ids: Iterable[int] | None = None,
    *,
    term_id: int | None = None,
    refundable: bool = False,
) -> dict[int, set[date]]:
    """Days of approved leave between `start` and `end` (inclusive), per pupil; with
    refundable=True only the days asked for before the cutoff (the ones fees refund)."""
    stmt = (
        sa.select(LeaveDay.student_id, LeaveDay.day)
        .join(LeaveRequest, LeaveRequest.id == LeaveDay.leave_request_id)
        .where(
            LeaveRequest.status == "approved",
            LeaveDay.day >= start,
            LeaveDay.day <= end,
        )
    )
    if term_id is not None:
        stmt = stmt.where(LeaveDay.term_id == term_id)
    if refundable:
        stmt = stmt.where(LeaveDay.refundable.is_(True))
    if student_ids is not None:
        stmt = stmt.where(LeaveDay.student_id.in_(list(student_ids)))
    out: dict[int, set[date]] = defaultdict(set)
    for student_id, day in session.execute(stmt):
        out[student_id].add(day)
    return dict(out)


def on_leave(session, student_ids: Iterable[int], day: date) -> set[int]:
    """The pupils among `student_ids` on approved leave on `day`."""
    return set(leave_days(session, day, day, student_ids))


def service_term(session, student: Student, day: date) -> tuple[Term, time]:
    """The enrolled term covering the day and that day's service end, or the reason why not.

    No term on that date means no service (422); a term the pupil is not enrolled in is
    403 not_enrolled; a date the term's calendar closes is 422 not_a_service_day.
    """
    term = cal.term_on(session, student.school_id, day)
    if term is None:
        raise NotAServiceDay(errors={"date": [day.isoformat()]})
    if not signup_queries.is_enrolled(session, term.id, student.id):
        raise NotEnrolled()
    end = cal.service_end(session, term, day)
    if end is None:
        raise NotAServiceDay(errors={"date": [day.isoformat()]})
    return term, end


def lock_student(session, student_id: int) -> Student | None:
    """Serialise writers of one pupil's day (notices, codes, leave) on the pupil's row."""
    return session.scalar(sa.select(Student).where(Student.id == student_id).with_for_update())


def head_teacher_ids(session, class_id: int) -> list[int]:
    return list(
        session.scalars(
            sa.select(RoleGrant.user_id)
            .where(
                RoleGrant.role == "head_teacher",
                RoleGrant.class_id == class_id,
                RoleGrant.user_id.is_not(None),
                RoleGrant.revoked_at.is_(None),
            )
            .distinct()
        )
    )


def notify_users(session, user_ids, *, kind: str, payload: dict, school_id: int) -> int:
    count = 0
    for user_id in dict.fromkeys(user_ids):
        enqueue(session, kind=kind, user_id=user_id, payload=payload, school_id=school_id)
        count += 1
    return count


def class_name(session, class_id: int) -> str:
    klass = session.get(SchoolClass, class_id)
    return klass.name if klass else ""


def late_pickup_counts(session, since: dict[int, date], until: date) -> dict[int, int]:
    """{school id: pupils not collected by service end + grace, counted per day} from each
    school's `since` day to `until` (one grouped query: a row per school-day)."""
    if not since:
        return {}
    rows = session.execute(
        sa.select(PickupAlert.school_id, PickupAlert.day, sa.func.count())
        .where(
            PickupAlert.school_id.in_(list(since)),
            PickupAlert.day >= min(since.values()),
            PickupAlert.day <= until,
            PickupAlert.kind == "overdue",
        )
        .group_by(PickupAlert.school_id, PickupAlert.day)
    )
    out: dict[int, int] = {}
    for school_id, day, n in rows:
        if day >= since[school_id]:
            out[school_id] = out.get(school_id, 0) + n
    return out
