"""Reaching a school's objects as the office (404/422 outside the caller's school), and
the audit row every office write leaves."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.exc import IntegrityError

from backend.audit.service import record
from backend.auth.context import require_admin
from backend.auth.scope import admin_school
from backend.errors import NotFound, ValidationFailed
from backend.schools.models import Grade, School, SchoolClass, Student


def settings():
    """The app's settings (binding code lifetimes)."""
    return current_app.extensions["kehou"]["settings"]


def flush_unique(session, error_cls) -> None:
    """Flush, answering a lost race on a unique constraint with the domain error."""
    # The pre-checks answer the usual case; the unique constraint settles a race.
    try:
        session.flush()
    except IntegrityError as exc:
        raise error_cls() from exc


def audit(session, action: str, object_id, school_id: int, **changes) -> None:
    """One audit row in the caller's transaction; the object type is the action's first word."""
    changes.setdefault("object_type", action.split(".")[0])
    record(session, action=action, object_id=object_id, school_id=school_id, **changes)


def school_for(session, school_id: int) -> School:
    """The school, if the calling admin runs it (404 otherwise)."""
    return admin_school(session, require_admin(), school_id)


def class_in_school(session, school_id: int, class_id: int, field: str = "class_id"):
    """A class of the school, or 422 on the field that named it."""
    klass = session.get(SchoolClass, class_id)
    if klass is None or klass.school_id != school_id:
        raise ValidationFailed(errors={field: ["本校没有这个班级"]})
    return klass


def grade_in_school(session, school_id: int, grade_id: int, field: str = "grade_id"):
    """A grade of the school, or 422 on the field that named it."""
    grade = session.get(Grade, grade_id)
    if grade is None or grade.school_id != school_id:
        raise ValidationFailed(errors={field: ["本校没有这个年级"]})
    return grade


def student_in_school(session, school_id: int, student_id: int) -> Student:
    """A pupil of the school (404 otherwise)."""
    student = session.get(Student, student_id)
    if student is None or student.school_id != school_id:
        raise NotFound()
    return student
