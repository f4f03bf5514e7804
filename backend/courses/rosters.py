"""Who sits in which course: the office's roster (and .xlsx), the head teacher's view of
their class, and a pupil's weekly timetable for the guardian."""

from __future__ import annotations

import sqlalchemy as sa

from backend.auth.context import current_actor, require_user
from backend.auth.scope import admin_school, guardian_student, head_teacher_class
from backend.common import xlsx
from backend.courses import access
from backend.courses.models import Course, Selection
from backend.database import get_session
from backend.errors import NotFound
from backend.schools.models import SchoolClass, Student
from backend.terms.models import Term

WEEKDAY_ZH = {1: "周一", 2: "周二", 3: "周三", 4: "周四", 5: "周五"}
STATUS_ZH = {"confirmed": "已确认", "waitlisted": "候补"}


def _roster_rows(session, course: Course) -> list[dict]:
    rows = session.execute(
        sa.select(Selection, Student, SchoolClass.name)
        .join(Student, Student.id == Selection.student_id)
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .where(Selection.course_id == course.id, Selection.status.in_(access.LIVE))
        .order_by(Selection.status, SchoolClass.name, Student.student_no)
    )
    rows = list(rows)
    places = access.positions(session, [s for s, _, _ in rows])
    out = [
        {
            "selection_id": sel.id,
            "student_id": stu.id,
            "student_no": stu.student_no,
            "name": stu.name,
            "class_name": class_name,
            "status": sel.status,
            "waitlist_position": places.get(sel.id),
            "source": sel.source,
        }
        for sel, stu, class_name in rows
    ]
    # Confirmed pupils by class, then the waitlist in queue order.
    return sorted(out, key=lambda r: (r["status"] != "confirmed", r["waitlist_position"] or 0))


def admin_roster(school_id: int, term_id: int, course_id: int) -> list[dict]:
    session = get_session()
    admin_school(session, current_actor(), school_id)
    term = access.term_of_school(session, school_id, term_id)
    return _roster_rows(session, access.course_of_term(session, term, course_id))


def admin_roster_xlsx(school_id: int, term_id: int, course_id: int):
    """The course's roster as an .xlsx the office can print (名单)."""
    session = get_session()
    admin_school(session, current_actor(), school_id)
    term = access.term_of_school(session, school_id, term_id)
    course = access.course_of_term(session, term, course_id)
    days = "、".join(WEEKDAY_ZH[d] for d in course.weekdays)
    title = [course.name, f"{days} {course.start_time:%H:%M}-{course.end_time:%H:%M}"]
    rows = [["地点", course.location or "", "容量", course.capacity]]
    rows.append(["学号", "姓名", "班级", "状态", "候补顺序"])
    for r in _roster_rows(session, course):
        status = STATUS_ZH[r["status"]]
        rows.append(
            [r["student_no"], r["name"], r["class_name"], status, r["waitlist_position"] or ""]
        )
    return xlsx.single_sheet("名单", title, rows), f"course-{course.id}-roster.xlsx"


def class_courses(class_id: int, term_id: int) -> list[dict]:
    """For the head teacher: each course with the pupils of their class who hold a seat."""
    actor = require_user()
    session = get_session()
    klass = head_teacher_class(session, actor, class_id)
    term = session.get(Term, term_id)
    if term is None or term.school_id != klass.school_id:
        raise NotFound()
    rows = session.execute(
        sa.select(Course, Student, Selection.status)
        .join(Selection, Selection.course_id == Course.id)
        .join(Student, Student.id == Selection.student_id)
        .where(
            Course.term_id == term.id,
            Student.class_id == klass.id,
            Selection.status.in_(access.LIVE),
        )
        .order_by(Course.start_time, Course.id, Student.student_no)
    )
    by_course: dict[int, dict] = {}
    for course, student, status in rows:
        entry = by_course.setdefault(
            course.id,
            {
                "course_id": course.id,
                "name": course.name,
                "kind": course.kind,
                "weekdays": course.weekdays,
                "start_time": course.start_time,
                "end_time": course.end_time,
                "location": course.location,
                "students": [],
            },
        )
        entry["students"].append({"student_id": student.id, "name": student.name, "status": status})
    # JSON columns cannot be sorted by PostgreSQL: weekday order is applied here.
    return sorted(by_course.values(), key=lambda c: (c["weekdays"], c["start_time"]))


def timetable(student_id: int, term_id: int) -> list[dict]:
    """The pupil's week: per weekday the courses they hold a seat in (waitlist shown too)."""
    actor = require_user()
    session = get_session()
    student = guardian_student(session, actor, student_id)
    term = session.get(Term, term_id)
    if term is None or term.school_id != student.school_id:
        raise NotFound()
    days: dict[int, list] = {d: [] for d in WEEKDAY_ZH}
    for sel, course in access.live_selections(session, term.id, student.id):
        for day in course.weekdays:
            days[day].append(
                {
                    "course_id": course.id,
                    "selection_id": sel.id,
                    "name": course.name,
                    "kind": course.kind,
                    "start_time": course.start_time,
                    "end_time": course.end_time,
                    "location": course.location,
                    "status": sel.status,
                }
            )
    return [
        {"weekday": d, "courses": sorted(items, key=lambda c: c["start_time"])}
        for d, items in days.items()
    ]
