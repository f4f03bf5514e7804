"""Role grants: a staff or committee role waiting for its holder, and its revocation."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from backend.auth.tokens import digest, readable_code
from backend.common.clock import now
from backend.common.pagination import paginate
from backend.database import unit_of_work
from backend.errors import NotFound
from backend.schools.access import audit, class_in_school, grade_in_school, school_for, settings
from backend.schools.models import RoleGrant
from backend.staff.records import staff_in_school


def create_role_grant(school_id: int, data: dict) -> dict:
    """A staff/committee role waiting for its holder to bind it with a one-time code."""
    with unit_of_work() as session:
        school = school_for(session, school_id)
        if data.get("class_id") is not None:
            class_in_school(session, school.id, data["class_id"])
        if data.get("grade_id") is not None:
            grade_in_school(session, school.id, data["grade_id"])
        if data.get("staff_id") is not None:
            staff_in_school(session, school.id, data["staff_id"])
        code = readable_code()
        row = RoleGrant(
            school_id=school.id,
            role=data["role"],
            name=data["name"].strip(),
            class_id=data.get("class_id"),
            grade_id=data.get("grade_id"),
            level=data.get("level"),
            staff_id=data.get("staff_id"),
            code_hash=digest(code),
            code_expires_at=now() + timedelta(hours=settings().binding_code_ttl_hours),
        )
        session.add(row)
        session.flush()
        keys = ("role", "name", "class_id", "grade_id", "level", "staff_id")
        audit(session, "role_grant.create", row.id, school.id, after={k: data.get(k) for k in keys})
        return {"id": row.id, "binding_code": code, "expires_at": row.code_expires_at}


def list_role_grants(school_id, filters: dict, page, page_size) -> tuple[list[RoleGrant], int]:
    with unit_of_work() as session:
        school = school_for(session, school_id)
        stmt = sa.select(RoleGrant).where(RoleGrant.school_id == school.id).order_by(RoleGrant.id)
        if filters.get("role"):
            stmt = stmt.where(RoleGrant.role == filters["role"])
        if not filters.get("include_revoked"):
            stmt = stmt.where(RoleGrant.revoked_at.is_(None))
        rows, total = paginate(session, stmt, page, page_size)
        return rows, total


def revoke_role_grant(school_id: int, grant_id: int) -> None:
    """End a role at once (its holder loses it on the next request); repeating is a no-op."""
    with unit_of_work() as session:
        school = school_for(session, school_id)
        row = session.get(RoleGrant, grant_id)
        if row is None or row.school_id != school.id:
            raise NotFound()
        if row.revoked_at is None:
            row.revoked_at = now()
            audit(
                session,
                "role_grant.revoke",
                row.id,
                school.id,
                before={"revoked_at": None},
                after={"revoked_at": row.revoked_at, "user_id": row.user_id},
            )
