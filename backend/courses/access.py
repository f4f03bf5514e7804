"""Shared reads of the course domain: scoped lookups, enrolment lock, a pupil's seats."""

from __future__ import annotations

import functools
from types import SimpleNamespace

import sqlalchemy as sa

from backend.common.clock import now
from backend.courses import draw
from backend.courses.errors import NotEnrolled, SelectionClosed
from backend.courses.models import Course, Selection
from backend.database import execute_core
from backend.errors import NotFound
from backend.schools.models import Grade, GuardianLink, SchoolClass, Student
from backend.signup import queries as signup_queries
from backend.terms.models import Term

LIVE = ("confirmed", "waitlisted")


def term_of_school(session, school_id: int, term_id: int) -> Term:
    term = session.get(Term, term_id)
    if term is None or term.school_id != school_id:
        raise NotFound()
    return term


def course_of_term(session, term: Term, course_id: int) -> Course:
    course = session.get(Course, course_id)
    if course is None or course.term_id != term.id:
        raise NotFound()
    return course


def grade_level(session, student: Student) -> int:
    return session.scalar(
        sa.select(Grade.level)
        .join(SchoolClass, SchoolClass.grade_id == Grade.id)
        .where(SchoolClass.id == student.class_id)
    )


def enrolled(session, term_id: int, student_id: int, *, lock: bool = False) -> bool:
    """Whether the pupil is enrolled in the term (sign-up's rule).

    With lock=True the enrolment is locked: every change to one pupil's selections takes
    this lock first, so two taps for the same pupil cannot both pass the limit and clash
    checks, and a pupil leaving the service (who holds it) is never half-selected.
    """
    return signup_queries.is_enrolled(session, term_id, student_id, lock=lock)


# What select() reads of each row: plain columns, no ORM entities (the hot path).
_CONTEXT_COLUMNS = {
    "student": (Student.id, Student.school_id, Student.class_id),
    "course": (
        Course.id,
        Course.school_id,
        Course.term_id,
        Course.status,
        Course.name,
        Course.min_grade,
        Course.max_grade,
        Course.weekdays,
        Course.start_time,
        Course.end_time,
    ),
    "term": (
        Term.id,
        Term.selection_mode,
        Term.selection_opens_at,
        Term.selection_closes_at,
        Term.max_courses_per_student,
    ),
}


@functools.cache
def _context_statement():
    """The selection context's statement, built once (its values are bound parameters)."""
    enrolment, enrolled = signup_queries.enrolment_join(Student.id, Course.term_id)
    columns = [
        column.label(f"{part}_{column.key}")
        for part, group in _CONTEXT_COLUMNS.items()
        for column in group
    ]
    return (
        sa.select(*columns, Grade.level.label("level"))
        .join(
            GuardianLink,
            sa.and_(
                GuardianLink.student_id == Student.id,
                GuardianLink.user_id == sa.bindparam("user_id"),
            ),
        )
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .join(Grade, Grade.id == SchoolClass.grade_id)
        .join(Course, Course.id == sa.bindparam("course_id"))
        .join(Term, Term.id == Course.term_id)
        .join(enrolment, enrolled)
        .where(Student.id == sa.bindparam("student_id"))
        .with_for_update(of=enrolment)
    )


def selection_context(session, user_id: int, student_id: int, course_id: int):
    """(student, course, term, grade level) in one statement, the pupil's enrolment in the
    course's term locked as require_enrolment does; None when any of them is missing
    (not the caller's pupil, no such course, not enrolled): the caller then finds out which
    through the single checks, which raise the right error. The three are plain records
    carrying the columns select() reads."""
    params = {"user_id": user_id, "student_id": student_id, "course_id": course_id}
    row = execute_core(session, _context_statement(), params).first()
    if row is None:
        return None
    values = row._mapping
    parts = [
        SimpleNamespace(**{c.key: values[f"{part}_{c.key}"] for c in group})
        for part, group in _CONTEXT_COLUMNS.items()
    ]
    return (*parts, row.level)


def require_enrolment(session, term_id: int, student_id: int) -> None:
    """Lock the pupil's enrolment, or 403 not_enrolled."""
    if not enrolled(session, term_id, student_id, lock=True):
        raise NotEnrolled()


def require_window(term: Term) -> None:
    moment = now()
    if not term.selection_opens_at <= moment < term.selection_closes_at:
        raise SelectionClosed()


@functools.cache
def _live_courses_statement():
    """The pupil's live selections with their course's timing, built once."""
    return (
        sa.select(
            Course.id,
            Course.name,
            Course.weekdays,
            Course.start_time,
            Course.end_time,
            Selection.status,
        )
        .join(Course, Course.id == Selection.course_id)
        .where(
            Selection.term_id == sa.bindparam("term_id"),
            Selection.student_id == sa.bindparam("student_id"),
            Selection.status.in_(LIVE),
        )
        .order_by(Selection.id)
    )


def live_courses(session, term_id: int, student_id: int) -> list:
    """The courses the pupil holds a seat or a waitlist place in (id, name, timing, and
    the selection's status), as plain rows: what select() checks against."""
    params = {"term_id": term_id, "student_id": student_id}
    return list(execute_core(session, _live_courses_statement(), params))


def live_selections(session, term_id: int, student_id: int) -> list[tuple[Selection, Course]]:
    return list(
        session.execute(
            sa.select(Selection, Course)
            .join(Course, Course.id == Selection.course_id)
            .where(
                Selection.term_id == term_id,
                Selection.student_id == student_id,
                Selection.status.in_(LIVE),
            )
            .order_by(Selection.id)
        )
    )


def timing(course: Course) -> dict:
    return {
        "weekdays": list(course.weekdays),
        "start_time": course.start_time.strftime("%H:%M"),
        "end_time": course.end_time.strftime("%H:%M"),
    }


def clash(course: Course, others) -> Course | None:
    """The first of `others` that shares a weekday and overlapping time with `course`."""
    mine = timing(course)
    for other in others:
        if other.id != course.id and draw.overlaps(mine, timing(other)):
            return other
    return None


def waitlist_order():
    # Lottery waitlists carry the draw's order in queue_no; first-come ones queue by id.
    return (sa.nulls_last(Selection.queue_no.asc()), Selection.id.asc())


def waitlist_ids(session, course_id: int) -> list[int]:
    return list(
        session.scalars(
            sa.select(Selection.id)
            .where(Selection.course_id == course_id, Selection.status == "waitlisted")
            .order_by(*waitlist_order())
        )
    )


def waitlist_lengths(session, course_ids) -> dict[int, int]:
    if not course_ids:
        return {}
    rows = session.execute(
        sa.select(Selection.course_id, sa.func.count())
        .where(Selection.course_id.in_(list(course_ids)), Selection.status == "waitlisted")
        .group_by(Selection.course_id)
    )
    return dict(rows.all())


def positions(session, selections) -> dict[int, int]:
    """Waitlist positions (1 = next in line) of the given waitlisted selections."""
    out: dict[int, int] = {}
    for course_id in {s.course_id for s in selections if s.status == "waitlisted"}:
        for index, sid in enumerate(waitlist_ids(session, course_id), start=1):
            out[sid] = index
    return out
