"""Binding a WeChat user to a staff role (one-time code) or to a child (roster or code)."""

from __future__ import annotations

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import require_user
from backend.auth.models import User
from backend.auth.tokens import digest
from backend.common.clock import now
from backend.database import get_session, unit_of_work
from backend.errors import NotFound
from backend.notifications.outbox import notify_guardians
from backend.schools.errors import (
    BindingCodeExpired,
    BindingCodeInvalid,
    BindingCodeUsed,
    BindingNotVerified,
)
from backend.schools.models import (
    Grade,
    GuardianLink,
    RoleGrant,
    RosterGuardian,
    School,
    SchoolClass,
    Student,
    StudentBindingCode,
)


def normalize_code(code: str) -> str:
    return "".join(code.split()).upper()


def bind_role(binding_code: str) -> dict:
    """Attach the grant behind a one-time code to the calling user (first use only)."""
    actor = require_user()
    with unit_of_work() as session:
        grant = session.scalar(
            sa.select(RoleGrant).where(RoleGrant.code_hash == digest(normalize_code(binding_code)))
        )
        if grant is None or grant.revoked_at is not None:
            raise BindingCodeInvalid()
        if grant.user_id is not None:
            raise BindingCodeUsed()
        moment = now()
        if grant.code_expires_at <= moment:
            raise BindingCodeExpired()
        # Conditional update: two phones racing for one code -> exactly one binds.
        taken = session.execute(
            sa.update(RoleGrant)
            .where(RoleGrant.id == grant.id, RoleGrant.user_id.is_(None))
            .values(user_id=actor.id, bound_at=moment)
        ).rowcount
        if taken != 1:
            raise BindingCodeUsed()
        result = {"role": grant.role, "school_id": grant.school_id}
        for key in ("class_id", "grade_id", "level", "staff_id"):
            if getattr(grant, key) is not None:
                result[key] = getattr(grant, key)
        record(
            session,
            action="role_grant.bind",
            object_type="role_grant",
            object_id=grant.id,
            school_id=grant.school_id,
            after={"user_id": actor.id, **result},
        )
    return result


def _child_view(session, student: Student, relation: str) -> dict:
    klass = session.get(SchoolClass, student.class_id)
    grade = session.get(Grade, klass.grade_id)
    school = session.get(School, student.school_id)
    return {
        "student_id": student.id,
        "name": student.name,
        "student_no": student.student_no,
        "class_id": klass.id,
        "class_name": klass.name,
        "grade_name": grade.name,
        "school_id": school.id,
        "school_name": school.name,
        "relation": relation,
    }


def bind_child(student_no: str, name: str, binding_code: str | None) -> tuple[dict, bool]:
    """Bind a pupil to the caller; returns (child, created). Proof: the verified phone is
    a roster guardian phone of that pupil, or a valid one-time pupil code."""
    actor = require_user()
    with unit_of_work() as session:
        user = session.get(User, actor.id)
        student, relation, verified_by, code_row = None, None, None, None
        if binding_code:
            code_row = session.scalar(
                sa.select(StudentBindingCode).where(
                    StudentBindingCode.code_hash == digest(normalize_code(binding_code))
                )
            )
            if code_row is None:
                raise BindingCodeInvalid()
            student = session.get(Student, code_row.student_id)
            if (
                student is None
                or student.student_no != student_no.strip()
                or (student.name != name.strip())
            ):
                raise BindingCodeInvalid()
            if code_row.used_at is not None and code_row.used_by != actor.id:
                raise BindingCodeUsed()
            if code_row.expires_at <= now():
                raise BindingCodeExpired()
            relation, verified_by = code_row.relation, "binding_code"
        elif user.phone and user.phone_verified_at:
            row = session.execute(
                sa.select(Student, RosterGuardian.relation)
                .join(RosterGuardian, RosterGuardian.student_id == Student.id)
                .where(
                    Student.student_no == student_no.strip(),
                    Student.name == name.strip(),
                    Student.active.is_(True),
                    RosterGuardian.phone == user.phone,
                )
                .order_by(Student.id)
            ).first()
            if row is not None:
                student, relation = row
                verified_by = "phone"
        if student is None:
            raise BindingNotVerified()
        existing = session.scalar(
            sa.select(GuardianLink).where(
                GuardianLink.user_id == actor.id, GuardianLink.student_id == student.id
            )
        )
        if existing is not None:  # a double tap binds once and answers the same
            return _child_view(session, student, existing.relation), False
        if code_row is not None:
            code_row.used_at, code_row.used_by = now(), actor.id
        session.add(
            GuardianLink(
                user_id=actor.id, student_id=student.id, relation=relation, verified_by=verified_by
            )
        )
        session.flush()
        record(
            session,
            action="guardian.bind",
            object_type="student",
            object_id=student.id,
            school_id=student.school_id,
            after={"user_id": actor.id, "relation": relation, "verified_by": verified_by},
        )
        notify_guardians(
            session,
            student.id,
            kind="guardian_added",
            school_id=student.school_id,
            exclude_user_id=actor.id,
            payload={"fields": {"thing1": student.name, "thing2": "新增一位监护人绑定"}},
        )
        view = _child_view(session, student, relation)
    return view, True


def list_children(user_id: int) -> list[dict]:
    session = get_session()
    rows = session.execute(
        sa.select(Student, GuardianLink.relation)
        .join(GuardianLink, GuardianLink.student_id == Student.id)
        .where(GuardianLink.user_id == user_id)
        .order_by(Student.id)
    ).all()
    return [_child_view(session, student, relation) for student, relation in rows]


def unbind_child(student_id: int) -> None:
    actor = require_user()
    with unit_of_work() as session:
        link = session.scalar(
            sa.select(GuardianLink).where(
                GuardianLink.user_id == actor.id, GuardianLink.student_id == student_id
            )
        )
        if link is None:
            raise NotFound()
        student = session.get(Student, student_id)
        session.delete(link)
        record(
            session,
            action="guardian.unbind",
            object_type="student",
            object_id=student_id,
            school_id=student.school_id,
            before={"user_id": actor.id, "relation": link.relation},
        )


def me() -> dict:
    from backend.auth.context import load_grants
    from backend.common.privacy import mask_phone

    actor = require_user()
    session = get_session()
    user = session.get(User, actor.id)
    return {
        "id": user.id,
        "roles": [g.as_dict() for g in load_grants(session, user.id)],
        "phone_masked": mask_phone(user.phone),
        "children": list_children(user.id),
    }
