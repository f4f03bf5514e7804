"""Attendance per class per service day, marked by the head teacher."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import require_user
from backend.auth.scope import head_teacher_class
from backend.common.clock import now, today
from backend.database import get_session, unit_of_work
from backend.errors import ValidationFailed
from backend.pickup.dismissal import day_of, enrolled_students
from backend.pickup.errors import AbsentButReleased, DateInFuture
from backend.pickup.models import AttendanceRecord, DismissalRelease, Handoff
from backend.pickup.queries import on_leave
from backend.schools.models import SchoolClass


def attendance_sheet(session, term, klass, day: date) -> list[dict]:
    """The class's enrolled pupils that day with their marks and approved leave."""
    students = enrolled_students(session, term.id, [klass.id])
    ids = [s.id for s in students]
    marks = {
        r.student_id: r
        for r in session.scalars(
            sa.select(AttendanceRecord).where(
                AttendanceRecord.student_id.in_(ids), AttendanceRecord.day == day
            )
        )
    }
    away = on_leave(session, ids, day)
    return [
        {
            "student_id": s.id,
            "name": s.name,
            "status": marks[s.id].status if s.id in marks else None,
            "approved_leave": s.id in away,
            "recorded_at": marks[s.id].recorded_at if s.id in marks else None,
        }
        for s in students
    ]


def _refuse_absent_if_released(session, records: list[dict], day: date) -> None:
    """A pupil handed over at the gate (or released by the teacher) that day was there:
    marking them absent would contradict the gate's record (409 naming the pupils)."""
    absent = [rec["student_id"] for rec in records if rec["status"] == "absent"]
    if not absent:
        return
    released = set(
        session.scalars(
            sa.select(Handoff.student_id).where(
                Handoff.student_id.in_(absent),
                Handoff.service_date == day,
                Handoff.outcome == "released",
            )
        )
    ) | set(
        session.scalars(
            sa.select(DismissalRelease.student_id).where(
                DismissalRelease.student_id.in_(absent), DismissalRelease.day == day
            )
        )
    )
    if released:
        ids = sorted(released)
        raise AbsentButReleased(
            student_ids=", ".join(map(str, ids)),
            errors={"student_ids": ids},
        )


def get_attendance(class_id: int, day: date | None) -> list[dict]:
    actor = require_user()
    session = get_session()
    klass = head_teacher_class(session, actor, class_id)
    day = day or today()
    term, _ = day_of(session, klass.school_id, day)
    return attendance_sheet(session, term, klass, day)


def put_attendance(class_id: int, day: date | None, records: list[dict]) -> list[dict]:
    """Mark (or correct) the day's attendance; all records or none (422 names the bad ones)."""
    actor = require_user()
    with unit_of_work() as session:
        klass = head_teacher_class(session, actor, class_id)
        day = day or today()
        if day > today():
            raise DateInFuture(errors={"date": [day.isoformat()]})
        term, _ = day_of(session, klass.school_id, day)
        # One writer per class at a time: two phones saving the sheet must not collide.
        session.execute(
            sa.select(SchoolClass.id).where(SchoolClass.id == klass.id).with_for_update()
        )
        allowed = {s.id for s in enrolled_students(session, term.id, [klass.id])}
        errors, seen = {}, set()
        for index, rec in enumerate(records):
            if rec["student_id"] not in allowed:
                errors[str(index)] = {"student_id": ["不是本班本学期参加课后服务的学生"]}
            elif rec["student_id"] in seen:
                errors[str(index)] = {"student_id": ["重复"]}
            seen.add(rec["student_id"])
        if errors:
            raise ValidationFailed(errors={"records": errors})
        _refuse_absent_if_released(session, records, day)
        existing = {
            r.student_id: r
            for r in session.scalars(
                sa.select(AttendanceRecord).where(
                    AttendanceRecord.student_id.in_(seen), AttendanceRecord.day == day
                )
            )
        }
        changes = {}
        moment = now()
        for rec in records:
            row = existing.get(rec["student_id"])
            if row is None:
                row = AttendanceRecord(
                    student_id=rec["student_id"],
                    school_id=klass.school_id,
                    class_id=klass.id,
                    term_id=term.id,
                    day=day,
                )
                session.add(row)
            elif row.status == rec["status"]:
                continue
            changes[rec["student_id"]] = [row.status, rec["status"]]
            row.status, row.recorded_by, row.recorded_at = rec["status"], actor.id, moment
        session.flush()
        if changes:
            record(
                session,
                action="attendance.mark",
                object_type="class",
                object_id=klass.id,
                school_id=klass.school_id,
                after={"date": day, "changes": changes},
            )
        return attendance_sheet(session, term, klass, day)
