"""Hours entries: lessons recorded from held meetings, office duty entries, corrections.

Entries are never edited or deleted: a correction is a new entry that negates the old one
(and, when a right figure is given, a replacement entry), both audited with the reason.
"""

from __future__ import annotations

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor
from backend.common.pagination import paginate
from backend.courses.models import Course
from backend.database import get_session, unit_of_work
from backend.errors import NotFound
from backend.schools.models import School
from backend.staff.errors import AlreadyCorrected, DuplicateHours, NoTermOnDate
from backend.staff.models import CourseMeeting, StaffHours, StaffMember
from backend.staff.queries import course_staff_ids, lesson_minutes
from backend.staff.records import office_school, staff_in_school
from backend.terms import calendar as cal


def hours_view(row: StaffHours) -> dict:
    """An entry as the office sees it."""
    return {
        "id": row.id,
        "staff_id": row.staff_id,
        "term_id": row.term_id,
        "date": row.day,
        "duty": row.duty,
        "minutes": row.minutes,
        "lessons": row.lessons,
        "course_id": row.course_id,
        "source": row.source,
        "corrects_id": row.corrects_id,
        "reason": row.reason,
        "created_at": row.created_at,
    }


def _lesson_taken(session, staff_id: int, course_id: int, day) -> bool:
    """Whether the person's lesson of that course that day is already counted (net)."""
    total = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(StaffHours.lessons), 0)).where(
            StaffHours.staff_id == staff_id,
            StaffHours.course_id == course_id,
            StaffHours.day == day,
            StaffHours.duty == "teaching",
        )
    )
    return total > 0


def record_meeting_lessons(session, meeting: CourseMeeting, course: Course) -> list[int]:
    """A held meeting counts one lesson for each of the course's staff not yet counted for
    it (saving attendance again, or an office entry for the same lesson, adds nothing)."""
    stage = session.scalar(sa.select(School.stage).where(School.id == course.school_id))
    minutes = lesson_minutes(stage)
    # A person whose lesson of this meeting was recorded and later corrected away stays so.
    recorded = set(
        session.scalars(sa.select(StaffHours.staff_id).where(StaffHours.meeting_id == meeting.id))
    )
    added = []
    for staff_id in course_staff_ids(session, course.id):
        if staff_id in recorded or _lesson_taken(session, staff_id, course.id, meeting.day):
            continue
        session.add(
            StaffHours(
                school_id=course.school_id,
                term_id=course.term_id,
                staff_id=staff_id,
                day=meeting.day,
                duty="teaching",
                minutes=minutes,
                lessons=1,
                course_id=course.id,
                meeting_id=meeting.id,
                source="attendance",
            )
        )
        added.append(staff_id)
    session.flush()
    return added


def add_entry(school_id: int, data: dict) -> dict:
    """The office records a duty (teaching, supervision, admin) on any date of a term."""
    actor = current_actor()
    with unit_of_work() as session:
        school = office_school(session, school_id)
        staff = staff_in_school(session, school.id, data["staff_id"])
        term = cal.term_on(session, school.id, data["date"])
        if term is None:
            raise NoTermOnDate(errors={"date": [data["date"].isoformat()]})
        lessons = 0
        if data["duty"] == "teaching":
            course = session.get(Course, data["course_id"])
            if course is None or course.school_id != school.id or course.term_id != term.id:
                raise NotFound()
            # Lock the person's row so two clerks cannot both count the same lesson.
            session.scalar(
                sa.select(StaffMember.id).where(StaffMember.id == staff.id).with_for_update()
            )
            if _lesson_taken(session, staff.id, course.id, data["date"]):
                raise DuplicateHours(errors={"course_id": [course.id]})
            lessons = 1
        row = StaffHours(
            school_id=school.id,
            term_id=term.id,
            staff_id=staff.id,
            day=data["date"],
            duty=data["duty"],
            minutes=data["minutes"],
            lessons=lessons,
            course_id=data.get("course_id") if data["duty"] == "teaching" else None,
            source="office",
            reason=data.get("note"),
            recorded_by=actor.id,
        )
        session.add(row)
        session.flush()
        view = hours_view(row)
        record(
            session,
            action="staff_hours.create",
            object_type="staff_hours",
            object_id=row.id,
            school_id=school.id,
            after=view,
        )
        return view


def _correction(old: StaffHours, data: dict, actor_id: int):
    """The entry negating `old` and, when the right minutes are given, its replacement."""
    common = dict(
        school_id=old.school_id,
        term_id=old.term_id,
        staff_id=old.staff_id,
        day=old.day,
        duty=old.duty,
        course_id=old.course_id,
        reason=data["reason"],
        recorded_by=actor_id,
    )
    negation = StaffHours(
        **common,
        minutes=-old.minutes,
        lessons=-old.lessons,
        source="correction",
        corrects_id=old.id,
    )
    replacement = None
    if data.get("minutes"):
        replacement = StaffHours(
            **common, minutes=data["minutes"], lessons=old.lessons, source="office"
        )
    return negation, replacement


def correct_entry(school_id: int, entry_id: int, data: dict) -> dict:
    """Negate an entry (with the reason) and, when `minutes` is given, add the right one."""
    actor = current_actor()
    with unit_of_work() as session:
        school = office_school(session, school_id)
        old = session.scalar(
            sa.select(StaffHours)
            .where(StaffHours.id == entry_id, StaffHours.school_id == school.id)
            .with_for_update()
        )
        if old is None:
            raise NotFound()
        done = session.scalar(sa.select(StaffHours.id).where(StaffHours.corrects_id == old.id))
        if old.source == "correction" or done is not None:
            raise AlreadyCorrected()
        negation, replacement = _correction(old, data, actor.id)
        session.add_all([negation] + ([replacement] if replacement else []))
        session.flush()
        out = {
            "corrected": hours_view(old),
            "negation": hours_view(negation),
            "replacement": hours_view(replacement) if replacement else None,
        }
        record(
            session,
            action="staff_hours.correct",
            object_type="staff_hours",
            object_id=old.id,
            school_id=school.id,
            before=out["corrected"],
            after={"reason": data["reason"], "replacement": out["replacement"]},
        )
        return out


def list_entries(school_id: int, query: dict, page: int, page_size: int):
    """The school's entries (newest first), by person, term or date range."""
    session = get_session()
    school = office_school(session, school_id)
    stmt = sa.select(StaffHours).where(StaffHours.school_id == school.id)
    for key, column in (("staff_id", StaffHours.staff_id), ("term_id", StaffHours.term_id)):
        if query.get(key):
            stmt = stmt.where(column == query[key])
    if query.get("from_"):
        stmt = stmt.where(StaffHours.day >= query["from_"])
    if query.get("to"):
        stmt = stmt.where(StaffHours.day <= query["to"])
    stmt = stmt.order_by(StaffHours.day.desc(), StaffHours.id.desc())
    rows, total = paginate(session, stmt, page, page_size)
    return [hours_view(r) for r in rows], total
