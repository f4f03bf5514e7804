"""The head teacher's afternoon: the dismissal board, releases, and who is still in school."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import require_user
from backend.auth.scope import head_teacher_class
from backend.common.clock import local_now, now, today
from backend.database import get_session, unit_of_work
from backend.errors import NotFound
from backend.notifications.outbox import notify_guardians
from backend.pickup.codes import void_codes_of_pupil
from backend.pickup.errors import (
    AlreadyHandedOver,
    NotAServiceDay,
    SelfLeaveNotAllowed,
    StudentAbsent,
)
from backend.pickup.models import (
    AttendanceRecord,
    DismissalRelease,
    Handoff,
    PickupAlert,
    PickupNotice,
    PickupPerson,
)
from backend.pickup.notices import step
from backend.pickup.persons import self_leave_allowed
from backend.pickup.queries import hhmm, local_at, lock_student, on_leave
from backend.schools.models import Student
from backend.signup import queries as signup_queries
from backend.terms import calendar as cal

# Notices that still describe the day (replaced and cancelled ones are history only).
_CURRENT = ("submitted", "acknowledged", "handed_over", "left", "expired")


def enrolled_students(session, term_id: int, class_ids) -> list[Student]:
    return list(
        session.scalars(
            sa.select(Student)
            .where(
                Student.id.in_(signup_queries.enrolled_subquery(term_id)),
                Student.class_id.in_(list(class_ids)),
                Student.active.is_(True),
            )
            .order_by(Student.id)
        )
    )


def day_of(session, school_id: int, day: date):
    """(term, service end) of a school's service day, or 422 not_a_service_day."""
    term = cal.term_on(session, school_id, day)
    end = cal.service_end(session, term, day) if term is not None else None
    if end is None:
        raise NotAServiceDay(errors={"date": [day.isoformat()]})
    return term, end


def _by_student(rows, key=lambda r: r.student_id) -> dict:
    return {key(r): r for r in rows}


def board_rows(session, students: list[Student], day: date, end) -> list[dict]:
    """One row per pupil: plan, time, person and status, ordered by pickup time."""
    ids = [s.id for s in students]
    if not ids:
        return []
    notices = _by_student(
        session.scalars(
            sa.select(PickupNotice)
            .where(
                PickupNotice.student_id.in_(ids),
                PickupNotice.day == day,
                PickupNotice.status.in_(_CURRENT),
            )
            .order_by(PickupNotice.id)
        )
    )
    handoffs = _by_student(
        session.scalars(
            sa.select(Handoff).where(
                Handoff.student_id.in_(ids),
                Handoff.service_date == day,
                Handoff.outcome == "released",
            )
        )
    )
    releases = _by_student(
        session.scalars(
            sa.select(DismissalRelease).where(
                DismissalRelease.student_id.in_(ids), DismissalRelease.day == day
            )
        )
    )
    attendance = dict(
        session.execute(
            sa.select(AttendanceRecord.student_id, AttendanceRecord.status).where(
                AttendanceRecord.student_id.in_(ids), AttendanceRecord.day == day
            )
        ).all()
    )
    away = on_leave(session, ids, day)
    person_ids = {n.pickup_person_id for n in notices.values() if n.pickup_person_id}
    person_ids |= {h.person_id for h in handoffs.values()}
    persons = {
        p.id: p
        for p in session.scalars(sa.select(PickupPerson).where(PickupPerson.id.in_(person_ids)))
    }
    rows = [
        _row(s, notices.get(s.id), handoffs.get(s.id), releases.get(s.id), attendance, away)
        for s in students
    ]
    for row, student in zip(rows, students, strict=True):
        handoff, notice = handoffs.get(student.id), notices.get(student.id)
        person_id = handoff.person_id if handoff else (notice.pickup_person_id if notice else None)
        person = persons.get(person_id)
        row["person"] = (
            {"id": person.id, "name": person.name, "relation": person.relation} if person else None
        )
        if row["plan"] in ("regular", "self") and row["pickup_time"] is None:
            row["pickup_time"] = hhmm(end)
    rows.sort(key=lambda r: (r["pickup_time"] is None, r["pickup_time"] or "", r["name"]))
    return rows


def _row(student, notice, handoff, release, attendance, away) -> dict:
    plan = notice.kind if notice is not None else "regular"
    if student.id in away:
        plan = "absent"
    if handoff is not None:
        status = "handed_over"
    elif release is not None and release.mode == "left":
        status = "left"
    elif plan == "absent" or attendance.get(student.id) in ("absent", "leave"):
        status = "absent"
    else:
        status = "in_school"
    return {
        "student_id": student.id,
        "name": student.name,
        "class_id": student.class_id,
        "plan": plan,
        "pickup_time": hhmm(notice.pickup_time)
        if notice is not None and plan != "absent"
        else None,
        "person": None,
        "status": status,
        "late": bool(notice and notice.late),
        "acknowledged": bool(notice and notice.acknowledged_at),
        "notice_id": notice.id if notice is not None else None,
        "note": notice.note if notice is not None else None,
        "at_gate": status == "in_school" and release is not None and release.mode == "gate",
        "attendance": attendance.get(student.id),
        "handed_over_at": handoff.at if handoff is not None else None,
        "left_at": release.at if release is not None and release.mode == "left" else None,
    }


def board(class_id: int, day: date | None) -> list[dict]:
    actor = require_user()
    session = get_session()
    klass = head_teacher_class(session, actor, class_id)
    day = day or today()
    term, end = day_of(session, klass.school_id, day)
    return board_rows(session, enrolled_students(session, term.id, [klass.id]), day, end)


def overdue_rows(session, term, class_ids, day: date, end) -> list[dict]:
    """Pupils still in school after service end + the term's grace (none before that)."""
    since = local_at(day, end) + timedelta(minutes=term.pickup_grace_minutes)
    if now() < since:
        return []
    rows = board_rows(session, enrolled_students(session, term.id, class_ids), day, end)
    late = [r for r in rows if r["status"] == "in_school"]
    alerted = set(
        session.scalars(
            sa.select(PickupAlert.student_id).where(
                PickupAlert.student_id.in_([r["student_id"] for r in late]),
                PickupAlert.day == day,
                PickupAlert.kind == "overdue",
            )
        )
    )
    for row in late:
        row["overdue_since"] = since
        row["alerted"] = row["student_id"] in alerted
    return late


def overdue(class_id: int, day: date | None) -> list[dict]:
    actor = require_user()
    session = get_session()
    klass = head_teacher_class(session, actor, class_id)
    day = day or today()
    term, end = day_of(session, klass.school_id, day)
    return overdue_rows(session, term, [klass.id], day, end)


def release(class_id: int, student_id: int, mode: str | None) -> dict:
    """Send a pupil to the gate, or let a `self` pupil go (the guardians hear at once)."""
    actor = require_user()
    with unit_of_work() as session:
        klass = head_teacher_class(session, actor, class_id)
        day = today()
        term, end = day_of(session, klass.school_id, day)
        student = lock_student(session, student_id)
        if student is None or student.class_id != klass.id:
            raise NotFound()
        if student not in enrolled_students(session, term.id, [klass.id]):
            raise NotFound()
        row = board_rows(session, [student], day, end)[0]
        if row["status"] in ("handed_over", "left"):
            raise AlreadyHandedOver()
        if row["status"] == "absent":
            raise StudentAbsent()
        mode = mode or ("left" if row["plan"] == "self" else "gate")
        if mode == "left" and (
            row["plan"] != "self" or not self_leave_allowed(session, student.id)
        ):
            raise SelfLeaveNotAllowed()
        existing = session.scalar(
            sa.select(DismissalRelease).where(
                DismissalRelease.student_id == student.id, DismissalRelease.day == day
            )
        )
        if existing is not None and existing.mode == mode:
            return row
        if existing is None:
            existing = DismissalRelease(
                student_id=student.id, school_id=student.school_id, class_id=klass.id, day=day
            )
            session.add(existing)
        existing.mode, existing.by_user_id, existing.at = mode, actor.id, now()
        existing.notice_id = row["notice_id"]
        if mode == "left":
            # A pupil who left has no usable handoff code (the gate relies on that).
            void_codes_of_pupil(session, student.id, day)
            notice = session.get(PickupNotice, row["notice_id"])
            if notice.late and notice.acknowledged_at is None:
                notice.acknowledged_at, notice.acknowledged_by = now(), actor.id
            step(notice, "leave")
            notify_guardians(
                session,
                student.id,
                kind="pupil_left",
                school_id=student.school_id,
                payload={
                    "fields": {
                        "thing1": student.name,
                        "thing2": "已按您的许可自行离校",
                        "time3": local_now().strftime("%H:%M"),
                    },
                    "page": "pages/pickup/today",
                },
            )
        session.flush()
        record(
            session,
            action=f"dismissal.release_{mode}",
            object_type="student",
            object_id=student.id,
            school_id=student.school_id,
            after={"date": day, "mode": mode, "notice_id": row["notice_id"]},
        )
        return board_rows(session, [student], day, end)[0]
