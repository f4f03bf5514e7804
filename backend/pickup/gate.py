"""The gate: verify a code (pupil and person, with photos), then release or refuse.

Every attempt is logged in gate_attempts, failures included: the attempt row commits and
the error is raised afterwards. Wrong 6-digit codes count in a sliding window per gate
account and per school (gate_guard.py, in the database): past the limit the account (or
the school's gates) may not enter codes for a while, even the right one; QR tokens
(signed, unguessable) still work.
"""

from __future__ import annotations

import hmac

import sqlalchemy as sa
from flask import has_request_context, request

from backend.audit.service import record
from backend.auth.context import require_user
from backend.auth.scope import gate_school_ids
from backend.common.clock import local_now, now, today
from backend.common.privacy import mask_phone
from backend.common.schemas import RELATION_ZH
from backend.database import unit_of_work
from backend.notifications.outbox import notify_guardians
from backend.pickup import gate_guard
from backend.pickup.codes import code_digest, nonce_digest, read_token, void_codes_of_pupil
from backend.pickup.errors import (
    AlreadyHandedOver,
    CodeExpired,
    CodeNotFound,
    CodeUsed,
    CodeVoid,
)
from backend.pickup.models import (
    GateAttempt,
    Handoff,
    HandoffCode,
    PickupNotice,
    PickupPerson,
    PickupPersonPhoto,
)
from backend.pickup.notices import already_gone, notice_view, step
from backend.pickup.persons import photo_path
from backend.pickup.queries import lock_student
from backend.pickup.states import NOTICE_OPEN
from backend.schools.models import SchoolClass, Student


def _find(session, actor, data: dict):
    """(code row or None, method, result, error or None) for a typed code or a QR token."""
    schools = gate_school_ids(actor)
    moment = now()
    if data.get("code") is not None:
        guards = gate_guard.guards(session, actor.id, schools)
        locked = gate_guard.refusal(session, guards, moment)
        if locked is not None:
            return None, "code", "locked", locked
        code = session.scalar(
            sa.select(HandoffCode)
            .where(
                HandoffCode.school_id.in_(schools),
                HandoffCode.service_date == today(),
                HandoffCode.code_hash == code_digest(data["code"]),
            )
            .order_by(sa.case((HandoffCode.status == "active", 0), else_=1), HandoffCode.id.desc())
            .limit(1)
        )
        if code is None:
            gate_guard.count_failure(session, actor.id, guards, moment)
            return None, "code", "not_found", CodeNotFound()
        method = "code"
    else:
        method = "qr"
        parsed = read_token(data["qr_token"])
        code = session.get(HandoffCode, parsed[0]) if parsed else None
        if code is None or not hmac.compare_digest(code.token_hash, nonce_digest(parsed[1])):
            return None, method, "invalid", CodeNotFound()
        if code.school_id not in schools:
            # Another school's code is not ours to talk about.
            return code, method, "other_school", CodeNotFound()
    if code.status != "active":
        return code, method, *_taken_error(session, code, code.status)
    if code.expires_at <= moment or code.service_date < today():
        return code, method, "expired", CodeExpired()
    # A right code clears nothing: else one known code, typed between guesses, would
    # let an account guess for ever.
    return code, method, "ok", None


def _log(session, actor, action: str, method: str, result: str, code) -> None:
    session.add(
        GateAttempt(
            gate_user_id=actor.id,
            school_id=code.school_id if code is not None and result != "other_school" else None,
            action=action,
            method=method,
            result=result,
            code_id=code.id if code is not None and result != "other_school" else None,
            client_ip=request.remote_addr if has_request_context() else None,
            at=now(),
        )
    )


def _person_view(person: PickupPerson, sha: str | None) -> dict:
    return {
        "id": person.id,
        "name": person.name,
        "relation": person.relation,
        "relation_zh": RELATION_ZH.get(person.relation, person.relation),
        "phone_masked": mask_phone(person.phone),
        "photo_url": photo_path(person, sha),
        "is_delegate": person.valid_on is not None,
    }


def _people(session, code: HandoffCode):
    """(pupil, class name, person, photo digest, the day's open notice) of a code, in one
    round trip: the gate's queue is long at 18:00."""
    return session.execute(
        sa.select(Student, SchoolClass.name, PickupPerson, PickupPersonPhoto.sha256, PickupNotice)
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .join(PickupPerson, PickupPerson.id == code.person_id)
        .outerjoin(PickupPersonPhoto, PickupPersonPhoto.person_id == PickupPerson.id)
        .outerjoin(
            PickupNotice,
            sa.and_(
                PickupNotice.student_id == Student.id,
                PickupNotice.day == code.service_date,
                PickupNotice.status.in_(NOTICE_OPEN),
            ),
        )
        .where(Student.id == code.student_id)
    ).one()


def _student_view(student: Student, klass: str) -> dict:
    return {
        "id": student.id,
        "name": student.name,
        "class_id": student.class_id,
        "class_name": klass,
        "photo_url": student.photo_url,
    }


def _notice_view(session, notice: PickupNotice | None, person: PickupPerson) -> dict | None:
    """The day's notice with the person it names (as the guardian sees it), usually the one
    standing at the gate."""
    if notice is None:
        return None
    named = notice.pickup_person_id
    return notice_view(
        notice,
        person if named == person.id else session.get(PickupPerson, named) if named else None,
    )


def _verify_view(session, code: HandoffCode) -> dict:
    student, klass, person, sha, notice = _people(session, code)
    warnings = []
    if notice is not None:
        if notice.kind == "absent":
            warnings.append("notice_absent")
        if notice.pickup_person_id and notice.pickup_person_id != person.id:
            warnings.append("person_differs_from_notice")
        if notice.late and notice.acknowledged_at is None:
            warnings.append("late_notice_not_acknowledged")
    return {
        "student": _student_view(student, klass),
        "person": _person_view(person, sha),
        "notice": _notice_view(session, notice, person),
        "code": {"id": code.id, "status": code.status, "expires_at": code.expires_at},
        "warnings": warnings,
    }


def verify(data: dict) -> dict:
    """Show the gate who the code is for; changes nothing but the attempt log."""
    actor = require_user()
    with unit_of_work() as session:
        code, method, result, error = _find(session, actor, data)
        _log(session, actor, "verify", method, result, code)
        view = None if error else _verify_view(session, code)
    if error is not None:
        raise error
    return view


def _taken_error(session, code: HandoffCode, status: str):
    """(result, error) for a code another device closed while we looked at it: used, or
    voided because the pupil left with another code."""
    if status == "void" and already_gone(session, code.student_id, code.service_date):
        return "already_handed_over", AlreadyHandedOver()
    if status == "void":
        return "void", CodeVoid()
    if status == "expired":
        return "expired", CodeExpired()
    return "used", CodeUsed()


def _close(session, actor, code: HandoffCode, data: dict):
    """Take the code (conditional update, so one device wins) and write the handoff.

    The pupil's row is locked first, so two gates holding two codes of one pupil take
    turns. A pupil who left (handed over, or let go alone) has no active code left, so the
    conditional update alone tells whether this code may still be used.
    """
    outcome = data["outcome"]
    moment = now()
    lock_student(session, code.student_id)
    taken = session.execute(
        sa.update(HandoffCode)
        .where(HandoffCode.id == code.id, HandoffCode.status == "active")
        .values(status="used" if outcome == "released" else "void", closed_at=moment)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        status = session.scalar(sa.select(HandoffCode.status).where(HandoffCode.id == code.id))
        return None, *_taken_error(session, code, status)
    student, klass, person, sha, notice = _people(session, code)
    handoff = Handoff(
        code_id=code.id,
        school_id=code.school_id,
        class_id=student.class_id,
        student_id=student.id,
        person_id=code.person_id,
        notice_id=notice.id if notice else None,
        service_date=code.service_date,
        outcome=outcome,
        reason=data.get("reason"),
        gate_user_id=actor.id,
        at=moment,
    )
    session.add(handoff)
    if notice is not None:
        step(notice, "hand_over" if outcome == "released" else "refuse")
    if outcome == "released":
        void_codes_of_pupil(session, student.id, code.service_date)
    session.flush()
    return (handoff, student, klass, person, sha), "ok", None


def _notify(session, handoff: Handoff, student: Student, person: PickupPerson) -> None:
    at = local_now().strftime("%H:%M")
    who = f"{person.name}（{RELATION_ZH.get(person.relation, person.relation)}）"
    if handoff.outcome == "released":
        kind, fields = "handoff_released", {"thing2": f"已由{who}接走", "time3": at}
    else:
        kind = "handoff_refused"
        fields = {
            "thing2": f"门卫未将孩子交给{who}",
            "thing3": handoff.reason or "核验未通过",
            "thing4": "可添加当日临时接送人并重新生成接送码",
        }
    notify_guardians(
        session,
        student.id,
        kind=kind,
        school_id=student.school_id,
        payload={
            "fields": {"thing1": student.name, **fields},
            "page": f"pages/pickup/handoff?id={handoff.id}",
        },
    )


def confirm(data: dict) -> dict:
    """Release the pupil to the code's person, or refuse (the code is then void)."""
    actor = require_user()
    with unit_of_work() as session:
        code, method, result, error = _find(session, actor, data)
        done = None
        if error is None:
            done, result, error = _close(session, actor, code, data)
        _log(session, actor, "handoff", method, result, code)
        if done is not None:
            handoff, student, klass, person, sha = done
            _notify(session, handoff, student, person)
            # Last: the audit chain head is locked until commit; keep that short.
            record(
                session,
                action=f"handoff.{handoff.outcome}",
                object_type="handoff",
                object_id=handoff.id,
                school_id=handoff.school_id,
                after={
                    "student_id": handoff.student_id,
                    "person_id": handoff.person_id,
                    "person": person.name,
                    "gate_user_id": actor.id,
                    "reason": handoff.reason,
                    "at": handoff.at,
                },
            )
            out = {
                "id": handoff.id,
                "student_id": handoff.student_id,
                "outcome": handoff.outcome,
                "at": handoff.at,
                "reason": handoff.reason,
                "student": _student_view(student, klass),
                "person": _person_view(person, sha),
            }
    if error is not None:
        raise error
    return out
