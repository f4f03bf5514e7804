"""Which district a school belongs to, and its other platform-level settings."""

from __future__ import annotations

from backend.audit.service import record
from backend.auth.context import require_admin
from backend.auth.scope import admin_school, require_platform_admin
from backend.database import unit_of_work
from backend.districts.models import District
from backend.errors import ValidationFailed

FIELDS = ("name", "district_id")


def check_district(session, district_id: int | None) -> None:
    """422 when the district named does not exist."""
    if district_id is not None and session.get(District, district_id) is None:
        raise ValidationFailed(errors={"district_id": ["没有这个区县"]})


def update_school(school_id: int, data: dict):
    """Platform admin: rename a school or move it into (or out of) a district."""
    actor = require_platform_admin(require_admin())
    with unit_of_work() as session:
        school = admin_school(session, actor, school_id)
        check_district(session, data.get("district_id"))
        before = {key: getattr(school, key) for key in FIELDS}
        for key in FIELDS:
            if key in data:
                setattr(school, key, data[key].strip() if key == "name" else data[key])
        after = {key: getattr(school, key) for key in FIELDS}
        record(
            session,
            action="school.update",
            object_type="school",
            object_id=school.id,
            school_id=school.id,
            before=before,
            after=after,
        )
        session.flush()
        return school
