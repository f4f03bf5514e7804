"""Reads of the district domain that schools' use cases ask for."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from backend.districts.models import BlacklistEntry, District, Filing
from backend.schools.models import School


def school_ids(session, district_id: int) -> list[int]:
    """Ids of the district's schools, in id order."""
    stmt = sa.select(School.id).where(School.district_id == district_id).order_by(School.id)
    return list(session.scalars(stmt))


def blacklisted(session, school_id: int, licence_no: str, on: date) -> BlacklistEntry | None:
    """The district blacklist entry barring this licence at this school on `on`, if any."""
    stmt = (
        sa.select(BlacklistEntry)
        .join(School, School.district_id == BlacklistEntry.district_id)
        .where(
            School.id == school_id,
            BlacklistEntry.licence_no == licence_no.strip(),
            BlacklistEntry.lifted_at.is_(None),
            BlacklistEntry.until >= on,
        )
    )
    return session.scalars(stmt.limit(1)).first()


def blacklisted_licences(session, school_id: int, on: date) -> dict[str, BlacklistEntry]:
    """Licence number -> entry, for every licence barred at this school's district on `on`."""
    stmt = (
        sa.select(BlacklistEntry)
        .join(School, School.district_id == BlacklistEntry.district_id)
        .where(
            School.id == school_id,
            BlacklistEntry.lifted_at.is_(None),
            BlacklistEntry.until >= on,
        )
    )
    return {row.licence_no: row for row in session.scalars(stmt)}


def plan_requirement(session, school_id: int, term_id: int) -> str | None:
    """Why sign-up must stay shut for the term ("plan_not_approved"), or None when it may open.

    Only a district with requires_plan_approval asks; then the term needs an approved
    service_plan filing.
    """
    required = session.scalar(
        sa.select(District.requires_plan_approval)
        .join(School, School.district_id == District.id)
        .where(School.id == school_id)
    )
    if not required:
        return None
    approved = session.scalar(
        sa.select(Filing.id)
        .where(
            Filing.school_id == school_id,
            Filing.term_id == term_id,
            Filing.kind == "service_plan",
            Filing.status == "approved",
        )
        .limit(1)
    )
    return None if approved else "plan_not_approved"
