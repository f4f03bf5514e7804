"""The district's side of complaints (R16): escalated and overdue ones of its schools.

Scope is decided here (the district's own admins decide; the platform may read); the
complaints domain owns the complaint and its states (complaints.district, .queries).
"""

from __future__ import annotations

from backend.auth.context import require_admin
from backend.auth.scope import district_admin_of, district_of
from backend.complaints import district as complaint_decisions
from backend.complaints import queries as complaint_queries
from backend.database import unit_of_work
from backend.districts.queries import school_ids
from backend.errors import NotFound


def complaints(district_id: int, status: str | None, page: int, page_size: int):
    """(page, total): escalated complaints and overdue ones of the district's schools."""
    with unit_of_work() as session:
        district_of(session, require_admin(), district_id)
        ids = school_ids(session, district_id)
        return complaint_queries.escalated_or_overdue(session, ids, status, page, page_size)


def complaint(district_id: int, complaint_id: int) -> dict:
    """One complaint of the district's schools, as the district sees it (no filer, no pupil)."""
    with unit_of_work() as session:
        district_of(session, require_admin(), district_id)
        found = complaint_queries.district_complaint(
            session, school_ids(session, district_id), complaint_id
        )
        if found is None:
            raise NotFound()
        return found


def reply(district_id: int, complaint_id: int, data: dict) -> dict:
    """The district answers an escalated complaint (its own admins only)."""
    with unit_of_work() as session:
        district_admin_of(session, require_admin(), district_id)
        ids = school_ids(session, district_id)
    return complaint_decisions.district_reply(ids, complaint_id, data["text"], data["resolution"])
