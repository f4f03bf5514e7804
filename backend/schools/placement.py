"""A school's own settings: its stage (R5, R7), its name and the district overseeing it."""

from __future__ import annotations

from backend.audit.service import record
from backend.auth.context import require_admin
from backend.auth.scope import admin_school, require_platform_admin
from backend.database import unit_of_work
from backend.districts.models import District
from backend.errors import ValidationFailed
from backend.schools.errors import StageConflict
from backend.terms.queries import STAGE_ZH, latest_service_end, terms_ending_after

PLATFORM_FIELDS = ("name", "district_id")
FIELDS = (*PLATFORM_FIELDS, "stage")


def check_district(session, district_id: int | None) -> None:
    """422 when the district named does not exist."""
    if district_id is not None and session.get(District, district_id) is None:
        raise ValidationFailed(errors={"district_id": ["没有这个区县"]})


def _check_stage(session, school, stage: str) -> None:
    """409 stage_conflict while a current or future term runs later than `stage` allows."""
    if stage == school.stage:
        return
    latest = latest_service_end(stage)
    late = terms_ending_after(session, school.id, latest)
    if late:
        raise StageConflict(
            stage=stage,
            stage_zh=STAGE_ZH[stage],
            latest=latest.strftime("%H:%M"),
            terms=", ".join(map(str, late)),
        )


def update_school(school_id: int, data: dict):
    """The school's settings: stage (its office or the platform, R5); name and district
    (the platform admin only)."""
    actor = require_admin()
    with unit_of_work() as session:
        school = admin_school(session, actor, school_id)
        if any(key in data for key in PLATFORM_FIELDS):
            require_platform_admin(actor)
        check_district(session, data.get("district_id"))
        if "stage" in data:
            _check_stage(session, school, data["stage"])
        before = {key: getattr(school, key) for key in FIELDS}
        for key in FIELDS:
            if key in data:
                setattr(school, key, data[key].strip() if key == "name" else data[key])
        after = {key: getattr(school, key) for key in FIELDS}
        if after != before:
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
