"""The district blacklist (R12, R18): a licence barred from every school of the district.

Adding an entry flags at once every school of the district where a provider with that
licence is active: one audit row in that school's chain (its office sees it in the audit
log) and `district_blacklisted` on the school's provider list; the school can no longer
add or reactivate a provider with that licence (courses.providers asks districts.queries).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import require_admin
from backend.auth.scope import district_admin_of, district_of
from backend.common.clock import now, today
from backend.common.pagination import paginate
from backend.courses.models import Provider
from backend.database import unit_of_work
from backend.districts.errors import AlreadyBlacklisted
from backend.districts.models import BlacklistEntry
from backend.errors import NotFound, ValidationFailed
from backend.schools.models import School

BLACKLIST_YEARS = 6


def six_years_from(day: date) -> date:
    try:
        return day.replace(year=day.year + BLACKLIST_YEARS)
    except ValueError:  # 29 February
        return day.replace(year=day.year + BLACKLIST_YEARS, day=28)


def view(row: BlacklistEntry) -> dict:
    return {
        "id": row.id,
        "district_id": row.district_id,
        "licence_no": row.licence_no,
        "name": row.name,
        "reason": row.reason,
        "until": row.until,
        "active": row.lifted_at is None and row.until >= today(),
        "lifted_at": row.lifted_at,
        "created_at": row.created_at,
    }


def _active_providers(session, district_id: int, licence_no: str) -> list[Provider]:
    return list(
        session.scalars(
            sa.select(Provider)
            .join(School, School.id == Provider.school_id)
            .where(
                School.district_id == district_id,
                Provider.licence_no == licence_no,
                Provider.status == "active",
            )
            .order_by(Provider.school_id, Provider.id)
        )
    )


def add(district_id: int, data: dict) -> dict:
    """Bar a licence district-wide until `until` (default six years) and flag its schools."""
    licence_no = data["licence_no"].strip()
    until = data.get("until") or six_years_from(today())
    if until <= today():
        raise ValidationFailed(errors={"until": ["截止日期须晚于今天"]})
    with unit_of_work() as session:
        district_admin_of(session, require_admin(), district_id)
        clash = session.scalar(
            sa.select(BlacklistEntry.id).where(
                BlacklistEntry.district_id == district_id,
                BlacklistEntry.licence_no == licence_no,
                BlacklistEntry.lifted_at.is_(None),
                BlacklistEntry.until >= today(),
            )
        )
        if clash is not None:  # expired and lifted entries stay on record beside a new one
            raise AlreadyBlacklisted()
        row = BlacklistEntry(
            district_id=district_id,
            licence_no=licence_no,
            name=data["name"].strip(),
            reason=data["reason"],
            until=until,
        )
        session.add(row)
        session.flush()
        record(
            session,
            action="district.blacklist",
            object_type="district_blacklist",
            object_id=row.id,
            after={"licence_no": licence_no, "name": row.name, "until": until},
        )
        flagged = _flag_schools(session, row)
        return view(row) | {"flagged": flagged}


def _flag_schools(session, row: BlacklistEntry) -> list[dict]:
    """One audit row in each school where the licence is active; the list for the answer."""
    flagged = []
    for provider in _active_providers(session, row.district_id, row.licence_no):
        record(
            session,
            action="provider.district_blacklisted",
            object_type="provider",
            object_id=provider.id,
            school_id=provider.school_id,
            after={"licence_no": row.licence_no, "reason": row.reason, "until": row.until},
        )
        flagged.append(
            {"school_id": provider.school_id, "provider_id": provider.id, "name": provider.name}
        )
    return flagged


def entries(district_id: int, page: int, page_size: int) -> tuple[list[dict], int]:
    with unit_of_work() as session:
        district_of(session, require_admin(), district_id)
        stmt = (
            sa.select(BlacklistEntry)
            .where(BlacklistEntry.district_id == district_id)
            .order_by(BlacklistEntry.id.desc())
        )
        rows, total = paginate(session, stmt, page, page_size)
        return [view(r) for r in rows], total


def lift(district_id: int, entry_id: int) -> dict:
    """End a bar early (kept on record with the time it was lifted)."""
    with unit_of_work() as session:
        district_admin_of(session, require_admin(), district_id)
        row = session.get(BlacklistEntry, entry_id)
        if row is None or row.district_id != district_id:
            raise NotFound()
        if row.lifted_at is None:
            row.lifted_at = now()
            record(
                session,
                action="district.blacklist_lift",
                object_type="district_blacklist",
                object_id=row.id,
                after={"licence_no": row.licence_no},
            )
        return view(row)
