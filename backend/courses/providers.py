"""Third-party providers of a school (R12): register, change, blacklist for six years."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor
from backend.auth.scope import admin_school
from backend.common.clock import now, today
from backend.courses.errors import ProviderBlacklisted, ProviderExists
from backend.courses.models import Provider
from backend.database import get_session, unit_of_work
from backend.districts import queries as district_queries
from backend.errors import NotFound, ValidationFailed
from backend.surveys.queries import low_satisfaction_provider_ids

BLACKLIST_YEARS = 6
FIELDS = ("name", "licence_no", "qualification", "contact", "status")


def years_later(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def snapshot(row: Provider) -> dict:
    out = {key: getattr(row, key) for key in FIELDS}
    out["blacklisted_until"] = row.blacklisted_until
    out["blacklist_reason"] = row.blacklist_reason
    return out


def view(row: Provider, low: set[int] = frozenset()) -> dict:
    out = snapshot(row)
    out.update(
        id=row.id,
        school_id=row.school_id,
        blacklisted=row.is_blacklisted(now()),
        blacklisted_at=row.blacklisted_at,
        low_satisfaction=row.id in low,
    )
    return out


def _provider_of(session, school_id: int, provider_id: int) -> Provider:
    row = session.get(Provider, provider_id)
    if row is None or row.school_id != school_id:
        raise NotFound()
    return row


def _not_district_blacklisted(session, school_id: int, row: Provider) -> None:
    """409 provider_blacklisted when the district bars the licence of an active provider."""
    if (row.status or "active") != "active":  # a new row gets its default at flush
        return
    entry = district_queries.blacklisted(session, school_id, row.licence_no, today())
    if entry is not None:
        raise ProviderBlacklisted(
            errors={"licence_no": [f"区县黑名单：{entry.reason}（至{entry.until}）"]}
        )


def _unique_name(session, school_id: int, name: str, own_id: int | None = None) -> None:
    clash = session.scalar(
        sa.select(Provider.id).where(
            Provider.school_id == school_id, Provider.name == name, Provider.id != (own_id or 0)
        )
    )
    if clash:
        raise ProviderExists(errors={"name": ["本校已有同名服务机构"]})


def create(school_id: int, data: dict) -> dict:
    with unit_of_work() as session:
        admin_school(session, current_actor(), school_id)
        _unique_name(session, school_id, data["name"])
        row = Provider(school_id=school_id, **data)
        _not_district_blacklisted(session, school_id, row)
        session.add(row)
        session.flush()
        record(
            session,
            action="provider.create",
            object_type="provider",
            object_id=row.id,
            school_id=school_id,
            after=snapshot(row),
        )
        return view(row)


def update(school_id: int, provider_id: int, data: dict) -> dict:
    with unit_of_work() as session:
        admin_school(session, current_actor(), school_id)
        row = _provider_of(session, school_id, provider_id)
        if "name" in data:
            _unique_name(session, school_id, data["name"], row.id)
        before = snapshot(row)
        for key, value in data.items():
            setattr(row, key, value)
        if "status" in data or "licence_no" in data:
            _not_district_blacklisted(session, school_id, row)
        session.flush()
        record(
            session,
            action="provider.update",
            object_type="provider",
            object_id=row.id,
            school_id=school_id,
            before=before,
            after=snapshot(row),
        )
        return view(row)


def blacklist(school_id: int, provider_id: int, data: dict) -> dict:
    """Bar the provider until `until` (default six years from now, R12)."""
    with unit_of_work() as session:
        admin_school(session, current_actor(), school_id)
        row = _provider_of(session, school_id, provider_id)
        moment = now()
        until = data.get("until") or years_later(moment, BLACKLIST_YEARS)
        if until <= moment:
            raise ValidationFailed(errors={"until": ["截止时间须晚于现在"]})
        before = snapshot(row)
        row.blacklisted_at, row.blacklisted_until = moment, until
        row.blacklist_reason = data["reason"]
        session.flush()
        record(
            session,
            action="provider.blacklist",
            object_type="provider",
            object_id=row.id,
            school_id=school_id,
            before=before,
            after=snapshot(row),
        )
        return view(row)


def list_for_school(school_id: int) -> list[dict]:
    """The school's providers, each flagged when its licence is on the district blacklist."""
    session = get_session()
    admin_school(session, current_actor(), school_id)
    rows = session.scalars(
        sa.select(Provider).where(Provider.school_id == school_id).order_by(Provider.id)
    )
    barred = district_queries.blacklisted_licences(session, school_id, today())
    low = low_satisfaction_provider_ids(session, school_id)
    return [view(r, low) | {"district_blacklisted": r.licence_no in barred} for r in rows]


def get(school_id: int, provider_id: int) -> dict:
    session = get_session()
    admin_school(session, current_actor(), school_id)
    row = _provider_of(session, school_id, provider_id)
    entry = district_queries.blacklisted(session, school_id, row.licence_no, today())
    low = low_satisfaction_provider_ids(session, school_id)
    return view(row, low) | {"district_blacklisted": entry is not None}
