"""Districts themselves: created by the platform admin, read by their own district admins."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.audit.service import record
from backend.auth.context import require_admin
from backend.auth.scope import district_of, require_platform_admin
from backend.common.pagination import paginate
from backend.database import unit_of_work
from backend.districts.errors import DistrictCodeTaken
from backend.districts.models import District
from backend.schools.models import School

FIELDS = ("name", "code", "requires_plan_approval")


def view(row: District) -> dict:
    return {key: getattr(row, key) for key in ("id", *FIELDS)} | {"created_at": row.created_at}


def create_district(data: dict) -> dict:
    """Platform admin: a new district (409 district_code_taken)."""
    actor = require_platform_admin(require_admin())
    with unit_of_work() as session:
        if session.scalar(sa.select(District.id).where(District.code == data["code"])):
            raise DistrictCodeTaken()
        row = District(
            name=data["name"].strip(),
            code=data["code"],
            requires_plan_approval=bool(data.get("requires_plan_approval", False)),
        )
        session.add(row)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError as exc:  # a concurrent create took the code first
            raise DistrictCodeTaken() from exc
        record(
            session,
            action="district.create",
            object_type="district",
            object_id=row.id,
            after={key: getattr(row, key) for key in FIELDS},
            actor=actor,
        )
        return view(row)


def update_district(district_id: int, data: dict) -> dict:
    """Platform admin: rename a district or change whether plans need approval."""
    actor = require_platform_admin(require_admin())
    with unit_of_work() as session:
        row = district_of(session, actor, district_id)
        before = {key: getattr(row, key) for key in FIELDS}
        for key in ("name", "requires_plan_approval"):
            if key in data:
                setattr(row, key, data[key])
        record(
            session,
            action="district.update",
            object_type="district",
            object_id=row.id,
            before=before,
            after={key: getattr(row, key) for key in FIELDS},
            actor=actor,
        )
        session.flush()
        return view(row)


def list_districts(page: int, page_size: int) -> tuple[list[dict], int]:
    """All districts for the platform admin; a district admin's own; 403 for school admins."""
    actor = require_admin()
    with unit_of_work() as session:
        stmt = sa.select(District).order_by(District.id)
        if actor.is_district_admin:
            stmt = stmt.where(District.id == actor.district_id)
        else:
            require_platform_admin(actor)
        rows, total = paginate(session, stmt, page, page_size)
        return [view(r) for r in rows], total


def get_district(district_id: int) -> dict:
    with unit_of_work() as session:
        return view(district_of(session, require_admin(), district_id))


def district_schools(district_id: int, page: int, page_size: int) -> tuple[list[dict], int]:
    """The district's schools (names and codes only: no pupil data)."""
    with unit_of_work() as session:
        district_of(session, require_admin(), district_id)
        stmt = sa.select(School).where(School.district_id == district_id).order_by(School.id)
        rows, total = paginate(session, stmt, page, page_size)
        return [
            {"id": s.id, "name": s.name, "code": s.code, "district_id": s.district_id} for s in rows
        ], total
