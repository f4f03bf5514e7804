"""Handoff codes: a signed QR token and a 6-digit fallback for one pupil, person and day."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError

from backend.audit.service import record
from backend.auth.context import require_user
from backend.auth.scope import guardian_student
from backend.common.clock import now, today
from backend.database import unit_of_work
from backend.pickup.errors import AlreadyHandedOver, InvalidPickupPerson, TooManyCodes
from backend.pickup.models import HandoffCode
from backend.pickup.notices import already_gone
from backend.pickup.persons import valid_person
from backend.pickup.queries import end_of_day, lock_student, service_term
from backend.pickup.states import code_next

TOKEN_SALT = "kehou.handoff-code.v1"
MAX_ACTIVE_PER_PUPIL = 5
_ISSUE_TRIES = 20


def code_digest(code: str) -> str:
    """HMAC of a 6-digit code: a leaked table does not give the codes away."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"handoff:{code}".encode(), hashlib.sha256).hexdigest()


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def make_token(code_id: int, nonce: str) -> str:
    return _serializer().dumps({"i": code_id, "n": nonce})


def read_token(token: str) -> tuple[int, str] | None:
    """(code id, nonce) from a QR token whose signature holds, else None."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int):
        return None
    if not isinstance(data.get("n"), str):
        return None
    return data["i"], data["n"]


def nonce_digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def close_code(code: HandoffCode, action: str, moment=None) -> None:
    code.status = code_next(code.status, action)
    code.closed_at = moment or now()


def void_codes_of_pupil(session, student_id: int, day, except_id: int | None = None) -> int:
    query = sa.update(HandoffCode).where(
        HandoffCode.student_id == student_id,
        HandoffCode.service_date == day,
        HandoffCode.status == "active",
    )
    if except_id is not None:
        query = query.where(HandoffCode.id != except_id)
    return session.execute(
        query.values(status=code_next("active", "void"), closed_at=now())
    ).rowcount


def void_codes_from(session, student_id: int, first, last) -> list[int]:
    """Void the pupil's active codes for service days `first`..`last` (the pupil left the
    service: a code shown at the gate afterwards answers 410 code_void). Returns their ids."""
    lock_student(session, student_id)
    rows = list(
        session.scalars(
            sa.select(HandoffCode)
            .where(
                HandoffCode.student_id == student_id,
                HandoffCode.service_date >= first,
                HandoffCode.service_date <= last,
                HandoffCode.status == "active",
            )
            .order_by(HandoffCode.id)
        )
    )
    moment = now()
    for code in rows:
        close_code(code, "void", moment)
    return [code.id for code in rows]


def _insert_unique(session, row: HandoffCode) -> str:
    """Give the row a 6-digit code no other active code of the school has today."""
    for _ in range(_ISSUE_TRIES):
        code = f"{secrets.randbelow(10**6):06d}"
        row.code_hash = code_digest(code)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return code
        except IntegrityError:
            # Another active code of the school has these digits today: draw again.
            if row in session:
                session.expunge(row)
    raise RuntimeError("no free handoff code")  # 1e6 codes; only a runaway school gets here


def issue_code(student_id: int, person_id: int) -> dict:
    """Create today's code for one authorised person (422 on a day without service)."""
    actor = require_user()
    with unit_of_work() as session:
        student = guardian_student(session, actor, student_id)
        day = today()
        # Lock first: a leaving takes this lock too, so the enrolment read next is current.
        lock_student(session, student.id)
        service_term(session, student, day)
        person = valid_person(session, student.id, person_id, day)
        if person is None:
            raise InvalidPickupPerson(errors={"pickup_person_id": [str(person_id)]})
        if already_gone(session, student.id, day):
            raise AlreadyHandedOver()
        active = session.scalar(
            sa.select(sa.func.count())
            .select_from(HandoffCode)
            .where(
                HandoffCode.student_id == student.id,
                HandoffCode.service_date == day,
                HandoffCode.status == "active",
            )
        )
        if active >= MAX_ACTIVE_PER_PUPIL:
            raise TooManyCodes(limit=MAX_ACTIVE_PER_PUPIL)
        nonce = secrets.token_urlsafe(24)
        row = HandoffCode(
            school_id=student.school_id,
            student_id=student.id,
            person_id=person.id,
            service_date=day,
            token_hash=nonce_digest(nonce),
            status="active",
            expires_at=end_of_day(day),
            created_by=actor.id,
            created_at=now(),
        )
        code = _insert_unique(session, row)
        record(
            session,
            action="handoff_code.issue",
            object_type="handoff_code",
            object_id=row.id,
            school_id=student.school_id,
            after={"student_id": student.id, "person_id": person.id, "date": day},
        )
        return {
            "id": row.id,
            "code": code,
            "qr_token": make_token(row.id, nonce),
            "expires_at": row.expires_at,
            "student_id": student.id,
            "pickup_person_id": person.id,
            "service_date": day,
        }
