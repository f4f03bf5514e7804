"""Authorised pickup persons kept by the guardians, their photos, and self-leave permission."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import require_user
from backend.auth.scope import guardian_student
from backend.common.clock import now, today
from backend.common.privacy import mask_phone
from backend.common.schemas import RELATION_ZH
from backend.database import get_session, unit_of_work
from backend.errors import NotFound
from backend.notifications.outbox import notify_guardians
from backend.pickup.errors import (
    DateInPast,
    PhotoTooLarge,
    PickupPersonExists,
    TooManyPickupPersons,
)
from backend.pickup.models import (
    HandoffCode,
    PickupNotice,
    PickupPerson,
    PickupPersonPhoto,
    SelfLeavePermission,
)
from backend.pickup.photos import clean_photo
from backend.pickup.states import NOTICE_OPEN, code_next, notice_next
from backend.schools.models import Student

MAX_PERSONS = 10
PHOTO_MAX_BYTES = 2 * 1024 * 1024
DELEGATE_DAYS_AHEAD = 30
PAGE = "pages/pickup/persons?student_id={id}"


def photo_path(person: PickupPerson, sha: str | None) -> str | None:
    """Where the photo is served (signed-in guardians and gate staff), else the given link."""
    if sha:
        return f"/api/v1/students/{person.student_id}/pickup-persons/{person.id}/photo?v={sha[:12]}"
    return person.external_photo_url


def photo_shas(session, person_ids) -> dict[int, str]:
    ids = list(person_ids)
    if not ids:
        return {}
    rows = session.execute(
        sa.select(PickupPersonPhoto.person_id, PickupPersonPhoto.sha256).where(
            PickupPersonPhoto.person_id.in_(ids)
        )
    )
    return dict(rows.all())


def person_view(person: PickupPerson, sha: str | None, viewer_id: int | None = None) -> dict:
    """The phone is shown in full only to the guardian who entered it (DESIGN §7)."""
    masked = mask_phone(person.phone)
    return {
        "id": person.id,
        "student_id": person.student_id,
        "name": person.name,
        "relation": person.relation,
        "relation_zh": RELATION_ZH.get(person.relation, person.relation),
        "phone": person.phone if viewer_id == person.created_by else masked,
        "phone_masked": masked,
        "photo_url": photo_path(person, sha),
        "valid_on": person.valid_on,
        "is_delegate": person.valid_on is not None,
        "created_at": person.created_at,
    }


def _live(student_id: int, day=None):
    """Persons not removed whose validity has not passed (standing, or a delegate ahead)."""
    day = day or today()
    return sa.select(PickupPerson).where(
        PickupPerson.student_id == student_id,
        PickupPerson.removed_at.is_(None),
        sa.or_(PickupPerson.valid_on.is_(None), PickupPerson.valid_on >= day),
    )


def valid_person(session, student_id: int, person_id: int, day) -> PickupPerson | None:
    """The person if they may collect the pupil on that day (standing, or that day's delegate)."""
    return session.scalar(
        sa.select(PickupPerson).where(
            PickupPerson.id == person_id,
            PickupPerson.student_id == student_id,
            PickupPerson.removed_at.is_(None),
            sa.or_(PickupPerson.valid_on.is_(None), PickupPerson.valid_on == day),
        )
    )


def list_persons(student_id: int) -> list[dict]:
    actor = require_user()
    session = get_session()
    guardian_student(session, actor, student_id)
    persons = session.scalars(_live(student_id).order_by(PickupPerson.id)).all()
    shas = photo_shas(session, [p.id for p in persons])
    return [person_view(p, shas.get(p.id), actor.id) for p in persons]


def _notify_change(session, student: Student, actor_id: int, change: str) -> None:
    notify_guardians(
        session,
        student.id,
        kind="pickup_person_changed",
        school_id=student.school_id,
        exclude_user_id=actor_id,
        payload={
            "fields": {"thing1": student.name, "thing2": change},
            "page": PAGE.format(id=student.id),
        },
    )


def add_person(student_id: int, data: dict) -> dict:
    """Authorise a person (a standing one, or a delegate for the single day `valid_on`)."""
    actor = require_user()
    with unit_of_work() as session:
        student = guardian_student(session, actor, student_id)
        session.execute(sa.select(Student.id).where(Student.id == student.id).with_for_update())
        valid_on = data.get("valid_on")
        if valid_on is not None and valid_on < today():
            raise DateInPast(errors={"valid_on": [valid_on.isoformat()]})
        if valid_on is not None and valid_on > today() + timedelta(days=DELEGATE_DAYS_AHEAD):
            raise DateInPast(
                f"临时接送人最多提前{DELEGATE_DAYS_AHEAD}天添加",
                errors={"valid_on": [f"至多{DELEGATE_DAYS_AHEAD}天内"]},
            )
        live = session.scalars(_live(student.id)).all()
        if len(live) >= MAX_PERSONS:
            raise TooManyPickupPersons(limit=MAX_PERSONS)
        for other in live:
            overlaps = other.valid_on is None or valid_on is None or other.valid_on == valid_on
            if other.phone == data["phone"] and overlaps:
                raise PickupPersonExists(errors={"phone": ["已在名单中"]})
        person = PickupPerson(
            student_id=student.id,
            school_id=student.school_id,
            name=data["name"].strip(),
            relation=data["relation"],
            phone=data["phone"],
            external_photo_url=data.get("photo_url"),
            valid_on=valid_on,
            created_by=actor.id,
            created_at=now(),
        )
        session.add(person)
        session.flush()
        what = (
            f"新增临时接送人{person.name}（{valid_on}）" if valid_on else f"新增接送人{person.name}"
        )
        _notify_change(session, student, actor.id, what)
        record(
            session,
            action="pickup_person.add",
            object_type="pickup_person",
            object_id=person.id,
            school_id=student.school_id,
            after={
                "student_id": student.id,
                "name": person.name,
                "relation": person.relation,
                "phone": mask_phone(person.phone),
                "valid_on": valid_on,
            },
        )
        return person_view(person, None, actor.id)


def _guardian_person(session, actor, student_id: int, person_id: int):
    student = guardian_student(session, actor, student_id)
    person = session.scalar(
        sa.select(PickupPerson).where(
            PickupPerson.id == person_id,
            PickupPerson.student_id == student.id,
            PickupPerson.removed_at.is_(None),
        )
    )
    if person is None:
        raise NotFound()
    return student, person


def remove_person(student_id: int, person_id: int) -> None:
    """Remove a person (kept for the record): their open handoff codes become void."""
    actor = require_user()
    with unit_of_work() as session:
        student, person = _guardian_person(session, actor, student_id, person_id)
        person.removed_at, person.removed_by = now(), actor.id
        # The name stays for the handoff history; the face is not kept.
        session.execute(
            sa.delete(PickupPersonPhoto).where(PickupPersonPhoto.person_id == person.id)
        )
        voided = _void_codes_of(session, person.id)
        _notify_change(session, student, actor.id, f"删除接送人{person.name}")
        record(
            session,
            action="pickup_person.remove",
            object_type="pickup_person",
            object_id=person.id,
            school_id=student.school_id,
            before={"name": person.name, "relation": person.relation},
            after={"voided_codes": voided},
        )


def _void_codes_of(session, person_id: int) -> int:
    """Void the removed person's open handoff codes (how many)."""
    return session.execute(
        sa.update(HandoffCode)
        .where(HandoffCode.person_id == person_id, HandoffCode.status == "active")
        .values(status=code_next("active", "void"), closed_at=now())
    ).rowcount


def upload_photo(student_id: int, person_id: int, stream) -> dict:
    """Store a JPEG or PNG (the bytes decide, not the declared type) of at most 2 MB,
    decoded and re-encoded without its metadata."""
    actor = require_user()
    data = stream.read(PHOTO_MAX_BYTES + 1)
    if len(data) > PHOTO_MAX_BYTES:
        raise PhotoTooLarge(limit=PHOTO_MAX_BYTES // (1024 * 1024))
    with unit_of_work() as session:  # 404 before decoding an outsider's upload
        _guardian_person(session, actor, student_id, person_id)
    data, content_type = clean_photo(data)  # outside any transaction: it takes CPU time
    with unit_of_work() as session:
        student, person = _guardian_person(session, actor, student_id, person_id)
        sha = hashlib.sha256(data).hexdigest()
        photo = session.scalar(
            sa.select(PickupPersonPhoto).where(PickupPersonPhoto.person_id == person.id)
        )
        if photo is None:
            photo = PickupPersonPhoto(person_id=person.id)
            session.add(photo)
        photo.content_type, photo.size, photo.sha256, photo.data = (
            content_type,
            len(data),
            sha,
            data,
        )
        photo.uploaded_by, photo.created_at = actor.id, now()
        session.flush()
        _notify_change(session, student, actor.id, f"更新了接送人{person.name}的照片")
        record(
            session,
            action="pickup_person.photo",
            object_type="pickup_person",
            object_id=person.id,
            school_id=student.school_id,
            after={"sha256": sha, "size": len(data), "content_type": content_type},
        )
        return person_view(person, sha, actor.id)


def photo_file(student_id: int, person_id: int) -> tuple[bytes, str, str]:
    """(bytes, content type, sha256) for the pupil's guardians, the gate staff of the school
    and the pupil's head teacher; 404 for everyone else."""
    actor = require_user()
    session = get_session()
    student = session.get(Student, student_id)
    if student is None:
        raise NotFound()
    allowed = any(
        (g.role == "gate_staff" and g.school_id == student.school_id)
        or (g.role == "head_teacher" and g.class_id == student.class_id)
        for g in actor.grants
    )
    if not allowed:
        guardian_student(session, actor, student_id)
    row = session.execute(
        sa.select(PickupPersonPhoto.data, PickupPersonPhoto.content_type, PickupPersonPhoto.sha256)
        .join(PickupPerson, PickupPerson.id == PickupPersonPhoto.person_id)
        .where(
            PickupPerson.id == person_id,
            PickupPerson.student_id == student.id,
            PickupPerson.removed_at.is_(None),
        )
    ).first()
    if row is None:
        raise NotFound()
    return row.data, row.content_type, row.sha256


def self_leave_view(session, student_id: int) -> dict:
    row = session.scalar(
        sa.select(SelfLeavePermission).where(SelfLeavePermission.student_id == student_id)
    )
    return {
        "student_id": student_id,
        "allowed": bool(row and row.allowed),
        "updated_at": row.updated_at if row else None,
    }


def self_leave_allowed(session, student_id: int) -> bool:
    return bool(
        session.scalar(
            sa.select(SelfLeavePermission.allowed).where(
                SelfLeavePermission.student_id == student_id
            )
        )
    )


def get_self_leave(student_id: int) -> dict:
    actor = require_user()
    session = get_session()
    guardian_student(session, actor, student_id)
    return self_leave_view(session, student_id)


def set_self_leave(student_id: int, allowed: bool) -> dict:
    """Grant or withdraw the standing permission; withdrawing cancels open `self` notices
    from today on, so a pupil is never let go alone on a permission that is gone."""
    actor = require_user()
    with unit_of_work() as session:
        student = guardian_student(session, actor, student_id)
        session.execute(sa.select(Student.id).where(Student.id == student.id).with_for_update())
        row = session.scalar(
            sa.select(SelfLeavePermission).where(SelfLeavePermission.student_id == student.id)
        )
        before = bool(row and row.allowed)
        if row is None:
            row = SelfLeavePermission(student_id=student.id)
            session.add(row)
        row.allowed, row.set_by, row.updated_at = allowed, actor.id, now()
        cancelled = []
        if not allowed:
            notices = session.scalars(
                sa.select(PickupNotice).where(
                    PickupNotice.student_id == student.id,
                    PickupNotice.kind == "self",
                    PickupNotice.day >= today(),
                    PickupNotice.status.in_(NOTICE_OPEN),
                )
            ).all()
            for notice in notices:
                notice.status, notice.closed_at = notice_next(notice.status, "cancel"), now()
                cancelled.append(notice.id)
        session.flush()
        if before != allowed:
            _notify_change(
                session, student, actor.id, "同意自行离校" if allowed else "取消自行离校许可"
            )
        record(
            session,
            action="pickup.self_leave",
            object_type="student",
            object_id=student.id,
            school_id=student.school_id,
            before={"allowed": before},
            after={"allowed": allowed, "cancelled_notices": cancelled},
        )
        return self_leave_view(session, student.id)
