"""The fee plan: the school's monthly cap, course extra fees, refundable leave days."""

from __future__ import annotations

import importlib
from datetime import date

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor
from backend.auth.scope import require_platform_admin
from backend.database import unit_of_work
from backend.errors import NotFound
from backend.schools.models import School
from backend.terms.models import Term
from backend.terms.service import monthly_fee_fen


def set_fee_cap(school_id: int, data: dict) -> dict:
    """The regional cap is set by the platform (education bureau), not by the school."""
    actor = require_platform_admin(current_actor())
    with unit_of_work() as session:
        school = session.get(School, school_id, with_for_update=True)
        if school is None:
            raise NotFound()
        before = school.monthly_fee_cap_fen
        school.monthly_fee_cap_fen = data["monthly_fee_cap_fen"]
        terms = session.scalars(sa.select(Term).where(Term.school_id == school.id)).all()
        # Terms already planned keep their fee (families agreed to it); the office sees
        # which ones are now above the cap and must change them through the term API.
        above = [t.id for t in terms if monthly_fee_fen(t) > school.monthly_fee_cap_fen]
        record(
            session,
            action="school.fee_cap",
            object_type="school",
            object_id=school.id,
            school_id=school.id,
            before={"monthly_fee_cap_fen": before},
            after={"monthly_fee_cap_fen": school.monthly_fee_cap_fen},
            actor=actor,
        )
    return {
        "school_id": school.id,
        "monthly_fee_cap_fen": school.monthly_fee_cap_fen,
        "terms_above_cap": above,
    }


def _optional_models(module: str):
    # Colleagues' domains may be absent or mid-edit; fees still work without their lines.
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def course_fees(session, term_id: int, student_ids=None) -> dict[int, list[tuple[str, int]]]:
    """Confirmed courses with an extra fee, per pupil (one query for the whole term)."""
    courses = _optional_models("backend.courses.queries")
    if courses is None:
        return {}
    return courses.fee_courses(session, term_id, student_ids)


def leave_days(
    session, term_id: int, start: date, end: date, student_ids=None
) -> dict[int, set[date]]:
    """Approved leave days marked refundable (asked before the cutoff), per pupil."""
    pickup = _optional_models("backend.pickup.queries")
    if pickup is None:
        return {}
    return pickup.leave_days(session, start, end, student_ids, term_id=term_id, refundable=True)
