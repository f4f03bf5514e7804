"""Course attendance in the mini-program: the course teacher's roster and marks for a
meeting, which make the meeting held (and its lesson counted); head teachers read it."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import Actor, require_user
from backend.auth.scope import head_teacher_class
from backend.common.clock import now, today
from backend.courses.models import Course
from backend.courses.queries import confirmed_student_ids
from backend.database import get_session, unit_of_work
from backend.errors import Forbidden, NotFound, ValidationFailed
from backend.pickup.errors import DateInFuture, NotAServiceDay
from backend.pickup.queries import on_leave
from backend.schools.models import SchoolClass, Student
from backend.staff.errors import NotACourseDay
from backend.staff.hours import record_meeting_lessons
from backend.staff.models import CourseAttendance, CourseMeeting
from backend.staff.queries import teaches
from backend.terms import calendar as cal
from backend.terms.models import Term


def teacher_course(session, actor: Actor, course_id: int, *, lock: bool = False) -> Course:
    """A course the calling course teacher teaches: 403 without the role, 404 otherwise."""
    grants = actor.grants_of("course_teacher")
    if not grants:
        raise Forbidden()
    stmt = sa.select(Course).where(Course.id == course_id)
    course = session.scalar(stmt.with_for_update() if lock else stmt)
    staff_ids = {g.staff_id for g in grants if course and g.school_id == course.school_id}
    if course is None or not teaches(session, staff_ids, course.id):
        raise NotFound()
    return course


def meeting_day(session, course: Course, day: date) -> Term:
    """The course's term when the course meets that day: a day without service is 422
    not_a_service_day, a service day not among the course's weekdays 422 not_a_course_day."""
    term = session.get(Term, course.term_id)
    bad = {"date": [day.isoformat()]}
    if not term.starts_on <= day <= term.ends_on or not cal.is_service_day(session, term, day):
        raise NotAServiceDay(errors=bad)
    if day.isoweekday() not in course.weekdays:
        raise NotACourseDay(errors=bad)
    return term


def _meeting(session, course_id: int, day: date) -> CourseMeeting | None:
    return session.scalar(
        sa.select(CourseMeeting).where(
            CourseMeeting.course_id == course_id, CourseMeeting.day == day
        )
    )


def _roster(session, course: Course, day: date) -> list[dict]:
    ids = confirmed_student_ids(session, course.id)
    meeting = _meeting(session, course.id, day)
    marks = {}
    if meeting is not None:
        marks = dict(
            session.execute(
                sa.select(CourseAttendance.student_id, CourseAttendance.status).where(
                    CourseAttendance.meeting_id == meeting.id
                )
            ).all()
        )
    leave = on_leave(session, ids, day)
    rows = session.execute(
        sa.select(Student, SchoolClass.name)
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .where(Student.id.in_(ids))
        .order_by(SchoolClass.name, Student.student_no)
    ).all()
    return [
        {
            "student_id": s.id,
            "name": s.name,
            "class_id": s.class_id,
            "class_name": class_name,
            "approved_leave": s.id in leave,
            "status": marks.get(s.id),
        }
        for s, class_name in rows
    ]


def roster(course_id: int, day: date | None) -> list[dict]:
    """The pupils of a course meeting with their marks and approved leave."""
    actor = require_user()
    session = get_session()
    course = teacher_course(session, actor, course_id)
    day = day or today()
    meeting_day(session, course, day)
    return _roster(session, course, day)


def _check(records: list[dict], allowed: set[int]) -> None:
    errors, seen = {}, set()
    for index, rec in enumerate(records):
        if rec["student_id"] not in allowed:
            errors[str(index)] = {"student_id": ["该学生不在本课程名单中"]}
        elif rec["student_id"] in seen:
            errors[str(index)] = {"student_id": ["重复"]}
        seen.add(rec["student_id"])
    if errors:
        raise ValidationFailed(errors={"records": errors})


def take(course_id: int, day: date | None, records: list[dict]) -> list[dict]:
    """Mark (or correct) a meeting's attendance: all records or none; the first save makes
    the meeting held and records its lesson for the course's staff."""
    actor = require_user()
    with unit_of_work() as session:
        # The course row lock makes two phones saving one meeting take turns.
        course = teacher_course(session, actor, course_id, lock=True)
        day = day or today()
        if day > today():
            raise DateInFuture(errors={"date": [day.isoformat()]})
        meeting_day(session, course, day)
        _check(records, set(confirmed_student_ids(session, course.id)))
        meeting = _meeting(session, course.id, day)
        moment = now()
        if meeting is None:
            meeting = CourseMeeting(
                school_id=course.school_id,
                term_id=course.term_id,
                course_id=course.id,
                day=day,
                taken_by=actor.id,
                updated_at=moment,
            )
            session.add(meeting)
            session.flush()
        meeting.updated_at = moment
        existing = {
            row.student_id: row
            for row in session.scalars(
                sa.select(CourseAttendance).where(CourseAttendance.meeting_id == meeting.id)
            )
        }
        for rec in records:
            row = existing.get(rec["student_id"])
            if row is None:
                session.add(CourseAttendance(meeting_id=meeting.id, **rec))
            else:
                row.status = rec["status"]
        session.flush()
        added = record_meeting_lessons(session, meeting, course)
        record(
            session,
            action="course_attendance.take",
            object_type="course_meeting",
            object_id=meeting.id,
            school_id=course.school_id,
            after={"course_id": course.id, "date": day, "marks": len(records), "lessons": added},
        )
        return _roster(session, course, day)


def class_course_attendance(class_id: int, day: date | None) -> list[dict]:
    """A head teacher's pupils' course marks that day (held meetings only)."""
    actor = require_user()
    session = get_session()
    klass = head_teacher_class(session, actor, class_id)
    day = day or today()
    rows = session.execute(
        sa.select(Student.id, Student.name, Course.id, Course.name, CourseAttendance.status)
        .join(CourseAttendance, CourseAttendance.student_id == Student.id)
        .join(CourseMeeting, CourseMeeting.id == CourseAttendance.meeting_id)
        .join(Course, Course.id == CourseMeeting.course_id)
        .where(Student.class_id == klass.id, CourseMeeting.day == day)
        .order_by(Student.student_no, Course.start_time, Course.id)
    ).all()
    return [
        {
            "student_id": sid,
            "name": name,
            "course_id": cid,
            "course_name": cname,
            "status": status,
        }
        for sid, name, cid, cname, status in rows
    ]
