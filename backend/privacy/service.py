"""A family's data export, deletion requests and the retention sweep."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor, require_user
from backend.auth.models import AuthSession, User
from backend.auth.scope import admin_school, guardian_student, guardian_student_ids
from backend.common.clock import now, today
from backend.common.pagination import paginate
from backend.common.privacy import mask_phone
from backend.database import Base, get_session, unit_of_work
from backend.errors import NotFound
from backend.privacy.anonymise import anonymise_student
from backend.privacy.errors import RequestDecided, RequestPending
from backend.privacy.models import DeletionRequest
from backend.privacy.policy import (
    ADDRESS_COLUMNS,
    PHONE_COLUMNS,
    ROW_AUTHOR,
    SECRET_COLUMNS,
    STUDENT_TABLES,
)
from backend.schools.models import GuardianLink, RoleGrant, School, Student
from backend.signup.leaving import leave_service


def _plain(value):
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _rows(session, table: sa.Table, condition, me: User | None) -> list[dict]:
    """The rows as plain values, secrets left out, and other people's phone numbers masked
    and their network addresses left out (a co-guardian's entries are theirs, not ours)."""
    author = ROW_AUTHOR.get(table.name)
    out = []
    for row in session.execute(sa.select(table).where(condition)).mappings():
        mine = me is not None and author is not None and row[author] == me.id
        item = {}
        for key, value in row.items():
            if key in SECRET_COLUMNS or (key in ADDRESS_COLUMNS and not mine):
                continue
            if key in PHONE_COLUMNS and not mine and not (me and value == me.phone):
                value = mask_phone(value)
            item[key] = _plain(value)
        out.append(item)
    return out


def export_family() -> dict:
    """Everything the service holds about me and my children, as JSON (the export is
    itself recorded in the audit trail)."""
    actor = require_user()
    with unit_of_work() as session:
        user = session.get(User, actor.id)
        children = []
        for student_id in guardian_student_ids(session, actor):
            student = session.get(Student, student_id)
            records = {}
            for name in STUDENT_TABLES:
                table = Base.metadata.tables.get(name)
                if table is not None:
                    rows = _rows(session, table, table.c.student_id == student_id, user)
                    if rows:
                        records[name] = rows
            children.append(
                {
                    "student": _rows(session, Student.__table__, Student.id == student_id, None)[0],
                    "records": records,
                }
            )
            record(
                session,
                action="privacy.export",
                object_type="student",
                object_id=student.id,
                school_id=student.school_id,
            )
        return {
            "exported_at": now().isoformat(),
            "user": {"id": user.id, "phone": user.phone, "created_at": user.created_at.isoformat()},
            "children": children,
        }


def request_deletion(student_id: int, reason: str | None) -> DeletionRequest:
    actor = require_user()
    with unit_of_work() as session:
        student = guardian_student(session, actor, student_id)
        pending = session.scalar(
            sa.select(DeletionRequest.id).where(
                DeletionRequest.student_id == student.id, DeletionRequest.status == "pending"
            )
        )
        if pending:
            raise RequestPending()
        row = DeletionRequest(
            school_id=student.school_id, student_id=student.id, requested_by=actor.id, reason=reason
        )
        session.add(row)
        session.flush()
        record(
            session,
            action="privacy.deletion_requested",
            object_type="deletion_request",
            object_id=row.id,
            school_id=student.school_id,
            after={"student_id": student.id},
        )
    return row


def my_requests() -> list[DeletionRequest]:
    actor = require_user()
    return list(
        get_session().scalars(
            sa.select(DeletionRequest)
            .where(DeletionRequest.requested_by == actor.id)
            .order_by(DeletionRequest.id.desc())
        )
    )


def delete_account() -> None:
    """Close my account: sessions revoked, children unbound, roles released, phone gone."""
    actor = require_user()
    with unit_of_work() as session:
        user = session.get(User, actor.id)
        session.execute(
            sa.update(AuthSession)
            .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now(), revoked_reason="account_deleted")
        )
        session.execute(sa.delete(GuardianLink).where(GuardianLink.user_id == user.id))
        session.execute(
            sa.update(RoleGrant).where(RoleGrant.user_id == user.id).values(revoked_at=now())
        )
        user.phone, user.phone_verified_at, user.unionid = None, None, None
        user.openid = f"deleted-{user.id}"
        record(session, action="privacy.account_deleted", object_type="user", object_id=user.id)


def admin_requests(school_id: int, status: str | None, page: int, page_size: int):
    """(a page of the school's deletion requests, total), oldest first."""
    session = get_session()
    admin_school(session, current_actor(), school_id)
    stmt = sa.select(DeletionRequest).where(DeletionRequest.school_id == school_id)
    if status:
        stmt = stmt.where(DeletionRequest.status == status)
    return paginate(session, stmt.order_by(DeletionRequest.id), page, page_size)


def decide_request(school_id: int, request_id: int, complete: bool, response: str | None):
    with unit_of_work() as session:
        admin_school(session, current_actor(), school_id)
        row = session.get(DeletionRequest, request_id)
        if row is None or row.school_id != school_id:
            raise NotFound()
        if row.status != "pending":
            raise RequestDecided()
        deleted = {}
        if complete:
            leave_service(session, row.student_id, reason="deletion", actor=current_actor())
            deleted = anonymise_student(session, session.get(Student, row.student_id))
        row.status = "completed" if complete else "declined"
        row.decided_at, row.response = now(), response
        record(
            session,
            action=f"privacy.deletion_{row.status}",
            object_type="deletion_request",
            object_id=row.id,
            school_id=school_id,
            after={"deleted": deleted},
        )
    return row


def set_retention(school_id: int, days: int) -> School:
    with unit_of_work() as session:
        school = admin_school(session, current_actor(), school_id)
        before = school.retention_days
        school.retention_days = days
        record(
            session,
            action="privacy.retention_set",
            object_type="school",
            object_id=school.id,
            school_id=school.id,
            before={"retention_days": before},
            after={"retention_days": days},
        )
    return school


def due_for_retention(session, on: date) -> list[Student]:
    """Pupils whose last term ended more than the school's retention days ago."""
    from backend.signup.models import Application
    from backend.terms.models import Term

    last_end = (
        sa.select(Application.student_id, sa.func.max(Term.ends_on).label("last_end"))
        .join(Term, Term.id == Application.term_id)
        .group_by(Application.student_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(Student, last_end.c.last_end, School.retention_days)
        .join(last_end, last_end.c.student_id == Student.id)
        .join(School, School.id == Student.school_id)
        .where(Student.anonymised_at.is_(None))
    ).all()
    return [s for s, end, days in rows if end + timedelta(days=days) < on]


def retention_sweep(on: date | None = None) -> int:
    """Anonymise every pupil past retention; returns how many. Safe to run daily."""
    on = on or today()
    count = 0
    with unit_of_work() as session:
        for student in due_for_retention(session, on):
            deleted = anonymise_student(session, student)
            record(
                session,
                action="privacy.retention_anonymised",
                object_type="student",
                object_id=student.id,
                school_id=student.school_id,
                after={"deleted": deleted},
            )
            count += 1
    return count
