"""First-come selection: the guardian's course list, taking a seat or a waitlist place,
dropping, and promoting the first waitlisted pupil for whom the course still fits."""

from __future__ import annotations

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import require_user
from backend.auth.scope import guardian_student
from backend.common.clock import now, today
from backend.common.retry import on_deadlock
from backend.courses import access, states
from backend.courses.errors import (
    AlreadySelected,
    CourseFull,
    GradeNotEligible,
    LotteryTerm,
    MaxCoursesReached,
    SelectionNotDroppable,
    TimeConflict,
)
from backend.courses.models import Course, Selection
from backend.database import execute_core, get_session, unit_of_work
from backend.errors import NotFound
from backend.notifications.outbox import notify_guardians
from backend.schools.models import Student
from backend.terms.models import Term


def _term_for_student(session, term_id: int, student: Student) -> Term:
    term = session.get(Term, term_id)
    if term is None or term.school_id != student.school_id:
        raise NotFound()
    return term


def guardian_catalogue(term_id: int, student_id: int) -> list[dict]:
    """Open courses of the term with seats left, waitlist length and whether this pupil
    may choose each one now (and why not)."""
    actor = require_user()
    session = get_session()
    student = guardian_student(session, actor, student_id)
    term = _term_for_student(session, term_id, student)
    courses = sorted(
        session.scalars(
            sa.select(Course)
            .where(Course.term_id == term.id, Course.status == "open")
            .order_by(Course.start_time, Course.id)
        ),
        # JSON columns cannot be sorted by PostgreSQL: weekday order is applied here.
        key=lambda c: (c.weekdays, c.start_time),
    )
    waits = access.waitlist_lengths(session, [c.id for c in courses])
    level = access.grade_level(session, student)
    mine = access.live_selections(session, term.id, student.id)
    chosen = {c.id for _, c in mine}
    confirmed = [c for s, c in mine if s.status == "confirmed"]
    general = _general_reason(session, term, student)
    out = []
    for course in courses:
        reason = general
        if reason is None:
            reason = _course_reason(course, level, chosen, [c for _, c in mine], confirmed, term)
        out.append(
            {
                "id": course.id,
                "name": course.name,
                "category": course.category,
                "kind": course.kind,
                "weekdays": course.weekdays,
                "start_time": course.start_time,
                "end_time": course.end_time,
                "location": course.location,
                "capacity": course.capacity,
                "seats_left": course.capacity - course.seats_taken,
                "waitlist_length": waits.get(course.id, 0),
                "fee_fen": course.fee_fen,
                "min_grade": course.min_grade,
                "max_grade": course.max_grade,
                "eligible": reason is None,
                "ineligible_reason": reason,
            }
        )
    return out


def _general_reason(session, term: Term, student: Student) -> str | None:
    if not access.enrolled(session, term.id, student.id):
        return "not_enrolled"
    moment = now()
    if not term.selection_opens_at <= moment < term.selection_closes_at:
        return "selection_closed"
    return None


def _course_reason(course, level, chosen, live, confirmed, term) -> str | None:
    if not course.min_grade <= level <= course.max_grade:
        return "grade_not_eligible"
    if course.id in chosen:
        return "already_selected"
    if access.clash(course, live):
        return "time_conflict"
    if len(confirmed) >= term.max_courses_per_student:
        return "max_courses_reached"
    return None


# A first-come selection row; a Core INSERT (no ORM object to build, track and flush).
_INSERT_SELECTION = (
    sa.insert(Selection)
    .values(
        source="fcfs",
        queue_no=None,
        dropped_at=None,
        **{
            name: sa.bindparam(name)
            for name in (
                "term_id",
                "course_id",
                "student_id",
                "school_id",
                "status",
                "created_by_user_id",
                "confirmed_at",
            )
        },
    )
    .returning(Selection.id)
)


_TAKE_SEAT = (
    sa.update(Course)
    .where(Course.id == sa.bindparam("course_id"), Course.seats_taken < Course.capacity)
    .values(seats_taken=Course.seats_taken + 1)
    .execution_options(synchronize_session=False)
)


def select(student_id: int, course_id: int, join_waitlist: bool) -> dict:
    """Take a seat, or a waitlist place when full and asked for, in one transaction."""
    actor = require_user()
    with unit_of_work() as session:
        found = access.selection_context(session, actor.id, student_id, course_id)
        if found is None:
            student, course, term, level = _context_checked(session, actor, student_id, course_id)
        else:
            student, course, term, level = found
            _check_course_and_term(student, course, term)
        if not course.min_grade <= level <= course.max_grade:
            raise GradeNotEligible(
                errors={"course_id": [f"适用年级 {course.min_grade}-{course.max_grade}"]}
            )
        mine = access.live_courses(session, term.id, student.id)
        if any(c.id == course.id for c in mine):
            raise AlreadySelected()
        other = access.clash(course, mine)
        if other is not None:
            raise TimeConflict(other=other.name, errors={"course_id": [other.id]})
        confirmed = sum(1 for c in mine if c.status == "confirmed")
        if confirmed >= term.max_courses_per_student:
            raise MaxCoursesReached(limit=term.max_courses_per_student)
        if take_seat(session, course.id):
            status = states.INITIAL["seat"]
        elif not join_waitlist:
            raise CourseFull()
        else:
            # Queue behind the course row lock: joiners line up one at a time, so each
            # sees everyone before it and the position it is told is the one it keeps.
            session.execute(sa.select(Course.id).where(Course.id == course.id).with_for_update())
            seat = take_seat(session, course.id)  # a seat may have come free meanwhile
            status = states.INITIAL["seat" if seat else "queue"]
        moment = now()
        row_id = execute_core(
            session,
            _INSERT_SELECTION,
            {
                "term_id": term.id,
                "course_id": course.id,
                "student_id": student.id,
                "school_id": student.school_id,
                "status": status,
                "created_by_user_id": actor.id,
                "confirmed_at": moment if status == "confirmed" else None,
            },
        ).scalar_one()
        out = {"id": row_id, "status": status, "course_id": course.id, "student_id": student.id}
        if status == "waitlisted":
            out["waitlist_position"] = access.waitlist_ids(session, course.id).index(row_id) + 1
        # Last: the audit chain head is the school-wide lock, held only until commit.
        record(
            session,
            action="selection.create",
            object_type="selection",
            object_id=row_id,
            school_id=student.school_id,
            after={"course_id": course.id, "student_id": student.id, "status": status},
        )
    return out


def _check_course_and_term(student: Student, course: Course, term: Term) -> None:
    """The course is open in the pupil's school, its term first-come and open now."""
    if course.school_id != student.school_id or course.status != "open":
        raise NotFound()
    if term.selection_mode != "fcfs":
        raise LotteryTerm()
    access.require_window(term)


def _context_checked(session, actor, student_id: int, course_id: int):
    """The checks of select() one statement at a time, for the error of a failed one
    (the combined statement only tells that something is missing)."""
    student = guardian_student(session, actor, student_id)
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound()
    term = session.get(Term, course.term_id)
    _check_course_and_term(student, course, term)
    access.require_enrolment(session, term.id, student.id)
    return student, course, term, access.grade_level(session, student)


def take_seat(session, course_id: int) -> bool:
    """The seat counter: only this conditional UPDATE ever hands out a seat."""
    return execute_core(session, _TAKE_SEAT, {"course_id": course_id}).rowcount == 1


def release_seat(session, course_id: int) -> None:
    session.execute(
        sa.update(Course)
        .where(Course.id == course_id, Course.seats_taken > 0)
        .values(seats_taken=Course.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )


def list_selections(student_id: int, term_id: int | None) -> list[dict]:
    actor = require_user()
    session = get_session()
    student = guardian_student(session, actor, student_id)
    stmt = sa.select(Selection).where(
        Selection.student_id == student.id, Selection.status != "dropped"
    )
    if term_id is not None:
        stmt = stmt.where(Selection.term_id == term_id)
    rows = list(session.scalars(stmt.order_by(Selection.id)))
    places = access.positions(session, rows)
    return [_view(row, places.get(row.id)) for row in rows]


def _view(row: Selection, position: int | None) -> dict:
    out = {
        "id": row.id,
        "course_id": row.course_id,
        "student_id": row.student_id,
        "term_id": row.term_id,
        "status": row.status,
        "source": row.source,
    }
    if position is not None:
        out["waitlist_position"] = position
    return out


def drop(selection_id: int) -> None:
    """Leave a course (or its waitlist); a freed seat goes to the first waitlisted pupil
    it still fits. Retried on a deadlock: two drops may lock each other's pupils."""
    return on_deadlock(_drop, require_user(), selection_id)


def _drop(actor, selection_id: int) -> None:
    with unit_of_work() as session:
        row = session.get(Selection, selection_id)
        if row is None or row.status == "dropped":
            raise NotFound()
        guardian_student(session, actor, row.student_id)
        term = session.get(Term, row.term_id)
        if today() > term.ends_on:
            raise SelectionNotDroppable()
        # Pupil first, then the course row: the same lock order as select().
        access.enrolled(session, term.id, row.student_id, lock=True)
        session.refresh(row, with_for_update=True)
        if row.status == "dropped":
            raise NotFound()
        _end(session, row, term)


def _end(session, row: Selection, term: Term, reason: str | None = None) -> None:
    """Drop one live selection; a freed seat passes to the first waitlisted pupil it fits."""
    was = row.status
    row.status, row.dropped_at = states.apply(was, "drop"), now()
    session.flush()
    course = session.get(Course, row.course_id)
    promoted = None
    if states.frees_seat(was, "drop"):
        promoted = promote(session, course, term, freed_seat=True)
    after = {"status": row.status, "promoted_selection_id": promoted and promoted.id}
    record(
        session,
        action="selection.drop",
        object_type="selection",
        object_id=row.id,
        school_id=row.school_id,
        before={"status": was},
        after={**after, "reason": reason} if reason else after,
    )


def end_for_leaving(session, term_id: int, student_id: int, reason: str) -> list[int]:
    """End a pupil's live selections in a term because the pupil left the service; each
    freed seat goes to the course's first waitlisted pupil it still fits (notified).

    Part of the caller's unit of work: the caller holds the pupil's sign-up lock (the
    application it just withdrew), taken before any course row as in select() and drop().
    Returns the ids of the selections ended.
    """
    term = session.get(Term, term_id)
    rows = list(
        session.scalars(
            sa.select(Selection)
            .where(
                Selection.term_id == term_id,
                Selection.student_id == student_id,
                Selection.status.in_(access.LIVE),
            )
            .order_by(Selection.id)
            .with_for_update()
        )
    )
    for row in rows:
        _end(session, row, term, reason)
    return [row.id for row in rows]


def promote(session, course: Course, term: Term, *, freed_seat: bool) -> Selection | None:
    """Confirm the first waitlisted pupil the course still fits (enrolled, no clash with
    their confirmed courses, under the limit). With freed_seat the dropped seat passes on
    directly; otherwise a seat is taken from the counter. Without a taker a freed seat is
    returned to the counter."""
    for cand_id in access.waitlist_ids(session, course.id):
        cand = session.get(Selection, cand_id)
        if not access.enrolled(session, term.id, cand.student_id, lock=True):
            continue
        session.refresh(cand)
        if cand.status != "waitlisted":
            continue
        mine = access.live_selections(session, term.id, cand.student_id)
        confirmed = [c for s, c in mine if s.status == "confirmed"]
        if len(confirmed) >= term.max_courses_per_student or access.clash(course, confirmed):
            continue
        if not freed_seat and not take_seat(session, course.id):
            return None
        cand.status, cand.confirmed_at = states.apply(cand.status, "promote"), now()
        session.flush()
        student = session.get(Student, cand.student_id)
        notify_guardians(
            session,
            cand.student_id,
            kind="course_promoted",
            school_id=cand.school_id,
            payload={
                "fields": {"thing1": student.name, "thing2": course.name, "phrase3": "候补转正"},
                "page": f"pages/courses/selections?student_id={cand.student_id}",
            },
        )
        record(
            session,
            action="selection.promote",
            object_type="selection",
            object_id=cand.id,
            school_id=cand.school_id,
            before={"status": "waitlisted"},
            after={"status": "confirmed", "course_id": course.id},
        )
        return cand
    if freed_seat:
        release_seat(session, course.id)
    return None


def fill_free_seats(course_id: int) -> int:
    """After a capacity increase: promote waitlisted pupils into the new seats."""
    count = 0
    with unit_of_work() as session:
        course = session.get(Course, course_id)
        term = session.get(Term, course.term_id)
        while promote(session, course, term, freed_seat=False) is not None:
            count += 1
    return count
