"""Reads other domains may call (the district bureau, dashboards). No writes here.

The callers authorize first and pass the set of school ids the caller may see; these
functions trust that set and never widen it.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from backend.common.clock import now
from backend.common.pagination import paginate
from backend.complaints.models import Complaint
from backend.complaints.states import AWAITING_SCHOOL, OPEN
from backend.complaints.views import district_view, events_of


def overdue_clause(moment: datetime | None = None):
    """SQL: still waiting for the school after its due time."""
    return sa.and_(Complaint.status.in_(AWAITING_SCHOOL), Complaint.due_at < (moment or now()))


def counts_by_school(session, school_ids) -> dict[int, dict[str, int]]:
    """{school_id: {"open": n, "overdue": n}} for every given school, in one grouped query.
    Open = not answered yet (submitted, accepted, escalated); overdue = waiting for the
    school past its due time."""
    ids = list(school_ids)
    out = {sid: {"open": 0, "overdue": 0} for sid in ids}
    if not ids:
        return out
    overdue = sa.case((overdue_clause(), 1), else_=0)
    rows = session.execute(
        sa.select(Complaint.school_id, sa.func.count(), sa.func.coalesce(sa.func.sum(overdue), 0))
        .where(Complaint.school_id.in_(ids), Complaint.status.in_(OPEN))
        .group_by(Complaint.school_id)
    )
    for school_id, open_count, overdue_count in rows:
        out[school_id] = {"open": int(open_count), "overdue": int(overdue_count)}
    return out


def escalated_or_overdue(
    session, school_ids, status: str | None, page: int, page_size: int
) -> tuple[list[dict], int]:
    """(page, total) of the district's complaints: escalated ones and overdue ones of the
    given schools, oldest due first, as district views (no filer, no pupil). `status`
    narrows to one status (e.g. "escalated"); None lists both kinds."""
    ids = list(school_ids)
    if not ids:
        return [], 0
    wanted = sa.or_(Complaint.status == "escalated", overdue_clause())
    stmt = sa.select(Complaint).where(Complaint.school_id.in_(ids), wanted)
    if status is not None:
        stmt = stmt.where(Complaint.status == status)
    stmt = stmt.order_by(Complaint.due_at, Complaint.id)
    rows, total = paginate(session, stmt, page, page_size)
    events = events_of(session, [c.id for c in rows])
    return [district_view(c, events[c.id]) for c in rows], total


def district_complaint(session, school_ids, complaint_id: int) -> dict | None:
    """One complaint of the given schools as the district sees it, or None."""
    row = session.get(Complaint, complaint_id)
    if row is None or row.school_id not in set(school_ids):
        return None
    return district_view(row, events_of(session, [row.id])[row.id])
