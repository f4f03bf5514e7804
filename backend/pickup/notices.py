"""Pickup notices: a guardian's plan for one pupil's day; late ones need the teacher's nod."""

from __future__ import annotations

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import require_user
from backend.auth.scope import guardian_student, guardian_student_ids, head_teacher_class
from backend.common.clock import local_now, now, today
from backend.common.pagination import paginate
from backend.common.states import IllegalTransition
from backend.database import get_session, unit_of_work
from backend.errors import NotFound, ValidationFailed
from backend.notifications.outbox import enqueue, notify_guardians
from backend.pickup.errors import (
    AlreadyHandedOver,
    DateInPast,
    InvalidPickupPerson,
    InvalidPickupTime,
    NoticeClosed,
    PastCutoff,
    SelfLeaveNotAllowed,
)
from backend.pickup.models import DismissalRelease, Handoff, PickupNotice, PickupPerson
from backend.pickup.persons import self_leave_allowed, valid_person
from backend.pickup.queries import (
    head_teacher_ids,
    hhmm,
    local_at,
    lock_student,
    notify_users,
    service_term,
)
from backend.pickup.states import NOTICE_OPEN, notice_next
from backend.schools.models import Student
from backend.terms.models import Term

KIND_ZH = {"early": "提前接", "regular": "正常接", "self": "自行离校", "absent": "今日不参加"}
PAGE = "pages/pickup/notice?id={id}"


def notice_view(notice: PickupNotice, person: PickupPerson | None = None) -> dict:
    return {
        "id": notice.id,
        "student_id": notice.student_id,
        "date": notice.day,
        "kind": notice.kind,
        "pickup_time": hhmm(notice.pickup_time),
        "pickup_person_id": notice.pickup_person_id,
        "pickup_person": (
            {"id": person.id, "name": person.name, "relation": person.relation}
            if person is not None
            else None
        ),
        "note": notice.note,
        "status": notice.status,
        "late": notice.late,
        "acknowledged": notice.acknowledged_at is not None,
        "acknowledged_at": notice.acknowledged_at,
        "replaced_by_id": notice.replaced_by_id,
        "created_at": notice.created_at,
    }


def _person(session, notice: PickupNotice) -> PickupPerson | None:
    return session.get(PickupPerson, notice.pickup_person_id) if notice.pickup_person_id else None


def step(notice: PickupNotice, action: str) -> None:
    """Move a notice along the state table (409 notice_closed when the table says no)."""
    try:
        notice.status = notice_next(notice.status, action)
    except IllegalTransition:
        raise NoticeClosed() from None
    if notice.status not in NOTICE_OPEN:
        notice.closed_at = now()


def open_notice(session, student_id: int, day) -> PickupNotice | None:
    return session.scalar(
        sa.select(PickupNotice).where(
            PickupNotice.student_id == student_id,
            PickupNotice.day == day,
            PickupNotice.status.in_(NOTICE_OPEN),
        )
    )


def cancel_notices_from(session, student_id: int, first, last) -> list[int]:
    """Cancel the pupil's open notices for days `first`..`last` (the pupil left the
    service); notices of earlier days, and days already done, stay as they are."""
    lock_student(session, student_id)
    rows = list(
        session.scalars(
            sa.select(PickupNotice)
            .where(
                PickupNotice.student_id == student_id,
                PickupNotice.day >= first,
                PickupNotice.day <= last,
                PickupNotice.status.in_(NOTICE_OPEN),
            )
            .order_by(PickupNotice.id)
        )
    )
    for notice in rows:
        step(notice, "cancel")
    return [notice.id for notice in rows]


def _check_plan(session, student: Student, data: dict, end) -> PickupPerson | None:
    kind, day = data["kind"], data["date"]
    moment, person_id = data.get("pickup_time"), data.get("pickup_person_id")
    missing = {}
    if kind == "early":
        if moment is None:
            missing["pickup_time"] = ["提前接需要填写接送时间"]
        if person_id is None:
            missing["pickup_person_id"] = ["提前接需要选择接送人"]
    if kind in ("absent", "self") and person_id is not None:
        missing["pickup_person_id"] = ["该类型不需要接送人"]
    if kind in ("absent", "regular") and moment is not None:
        missing["pickup_time"] = ["该类型不需要填写时间（正常接为服务结束时间）"]
    if missing:
        raise ValidationFailed(errors=missing)
    if moment is not None and moment >= end:
        raise InvalidPickupTime(errors={"pickup_time": [f"须早于当天服务结束时间{hhmm(end)}"]})
    if kind == "self" and not self_leave_allowed(session, student.id):
        raise SelfLeaveNotAllowed()
    if person_id is None:
        return None
    person = valid_person(session, student.id, person_id, day)
    if person is None:
        raise InvalidPickupPerson(errors={"pickup_person_id": [str(person_id)]})
    return person


def already_gone(session, student_id: int, day) -> bool:
    handed = session.scalar(
        sa.select(Handoff.id).where(
            Handoff.student_id == student_id,
            Handoff.service_date == day,
            Handoff.outcome == "released",
        )
    )
    left = session.scalar(
        sa.select(DismissalRelease.id).where(
            DismissalRelease.student_id == student_id,
            DismissalRelease.day == day,
            DismissalRelease.mode == "left",
        )
    )
    return handed is not None or left is not None


def create_notice(data: dict) -> dict:
    """Tell the school how the pupil leaves on a day; a newer notice replaces the open one."""
    actor = require_user()
    with unit_of_work() as session:
        student = guardian_student(session, actor, data["student_id"])
        day = data["date"]
        if day < today():
            raise DateInPast(errors={"date": [day.isoformat()]})
        # Lock first: a leaving takes this lock too, so the enrolment read next is current.
        lock_student(session, student.id)
        term, end = service_term(session, student, day)
        person = _check_plan(session, student, data, end)
        if already_gone(session, student.id, day):
            raise AlreadyHandedOver()
        moment = now()
        late = moment >= local_at(day, term.pickup_cutoff_time)
        previous = open_notice(session, student.id, day)
        if previous is not None:
            step(previous, "replace")
            session.flush()  # free the one-open-notice slot before the new row takes it
        notice = PickupNotice(
            student_id=student.id,
            school_id=student.school_id,
            class_id=student.class_id,
            term_id=term.id,
            day=day,
            kind=data["kind"],
            pickup_time=data.get("pickup_time"),
            pickup_person_id=person.id if person else None,
            note=data.get("note"),
            status="submitted",
            late=late,
            created_by=actor.id,
            created_at=moment,
        )
        session.add(notice)
        session.flush()
        if previous is not None:
            previous.replaced_by_id = notice.id
        _notify(session, student, notice, actor.id, person)
        record(
            session,
            action="pickup_notice.create",
            object_type="pickup_notice",
            object_id=notice.id,
            school_id=student.school_id,
            after={
                "student_id": student.id,
                "date": day,
                "kind": notice.kind,
                "late": late,
                "replaces": previous.id if previous else None,
            },
        )
        return notice_view(notice, person)


def _notify(session, student, notice, actor_id, person) -> None:
    when = hhmm(notice.pickup_time) or ""
    text = f"{notice.day:%m-%d} {KIND_ZH[notice.kind]} {when}".strip()
    payload = {
        "fields": {"thing1": student.name, "thing2": text, "thing3": person.name if person else ""},
        "page": PAGE.format(id=notice.id),
    }
    notify_guardians(
        session,
        student.id,
        kind="pickup_notice_changed",
        payload=payload,
        school_id=student.school_id,
        exclude_user_id=actor_id,
    )
    if notice.late:
        notify_users(
            session,
            head_teacher_ids(session, student.class_id),
            kind="pickup_notice_late",
            payload={**payload, "fields": {**payload["fields"], "phrase4": "迟交，请确认"}},
            school_id=student.school_id,
        )


def _guardian_notice(session, actor, notice_id: int) -> tuple[PickupNotice, Student]:
    notice = session.get(PickupNotice, notice_id)
    if notice is None:
        raise NotFound()
    student = guardian_student(session, actor, notice.student_id)
    return notice, student


def cancel_notice(notice_id: int) -> None:
    """Cancel before the day's cutoff (409 past_cutoff after it: send a new notice instead)."""
    actor = require_user()
    with unit_of_work() as session:
        notice, student = _guardian_notice(session, actor, notice_id)
        lock_student(session, student.id)
        session.refresh(notice)
        if notice.status not in NOTICE_OPEN:
            raise NoticeClosed()
        term = session.get(Term, notice.term_id)
        if now() >= local_at(notice.day, term.pickup_cutoff_time):
            raise PastCutoff(cutoff=hhmm(term.pickup_cutoff_time))
        step(notice, "cancel")
        notify_guardians(
            session,
            student.id,
            kind="pickup_notice_changed",
            school_id=student.school_id,
            exclude_user_id=actor.id,
            payload={
                "fields": {"thing1": student.name, "thing2": f"{notice.day:%m-%d} 接送通知已取消"},
                "page": PAGE.format(id=notice.id),
            },
        )
        record(
            session,
            action="pickup_notice.cancel",
            object_type="pickup_notice",
            object_id=notice.id,
            school_id=student.school_id,
            after={"status": notice.status},
        )


def acknowledge(notice_id: int) -> dict:
    """The head teacher confirms a (late) notice; acknowledging twice answers the same."""
    actor = require_user()
    with unit_of_work() as session:
        notice = session.get(PickupNotice, notice_id)
        if notice is None:
            raise NotFound()
        student = session.get(Student, notice.student_id)
        head_teacher_class(session, actor, student.class_id)
        if notice.status == "acknowledged":
            return notice_view(notice, _person(session, notice))
        step(notice, "acknowledge")
        notice.acknowledged_at, notice.acknowledged_by = now(), actor.id
        enqueue(
            session,
            kind="pickup_notice_acknowledged",
            user_id=notice.created_by,
            school_id=student.school_id,
            payload={
                "fields": {
                    "thing1": student.name,
                    "thing2": f"{notice.day:%m-%d} {KIND_ZH[notice.kind]}",
                    "phrase3": "老师已确认",
                },
                "page": PAGE.format(id=notice.id),
            },
        )
        record(
            session,
            action="pickup_notice.acknowledge",
            object_type="pickup_notice",
            object_id=notice.id,
            school_id=student.school_id,
            after={"status": notice.status, "at": local_now().isoformat()},
        )
        return notice_view(notice, _person(session, notice))


def list_notices(student_id, day, page: int, page_size: int) -> tuple[list[dict], int]:
    """My children's notices (one pupil, one day if asked), newest first, history included."""
    actor = require_user()
    session = get_session()
    if student_id is not None:
        guardian_student(session, actor, student_id)
        ids = [student_id]
    else:
        ids = guardian_student_ids(session, actor)
    query = sa.select(PickupNotice).where(PickupNotice.student_id.in_(ids))
    if day is not None:
        query = query.where(PickupNotice.day == day)
    query = query.order_by(PickupNotice.day.desc(), PickupNotice.id.desc())
    rows, total = paginate(session, query, page, page_size)
    person_ids = {n.pickup_person_id for n in rows if n.pickup_person_id}
    persons = {
        p.id: p
        for p in session.scalars(sa.select(PickupPerson).where(PickupPerson.id.in_(person_ids)))
    }
    return [notice_view(n, persons.get(n.pickup_person_id)) for n in rows], total
