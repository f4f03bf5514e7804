"""The daily sweep: flag complaints that passed their due time, once each.

Flagging is not a state change (the complaint still waits for the school); it stamps
`overdue_flagged_at`, which the office's list and summary show (`overdue=true`, the
`overdue` count), leaves an event and an audit row, and tells the filer they may now
escalate. School admins have no WeChat, so the office is told through its own console
rather than the outbox. Running it again flags nothing twice.
"""

from __future__ import annotations

import sqlalchemy as sa

from backend.common.clock import now
from backend.complaints.history import add_event, audit, tell_filer
from backend.complaints.models import Complaint
from backend.complaints.queries import overdue_clause
from backend.database import unit_of_work


def sweep() -> dict:
    """Flag every overdue, unflagged complaint; returns how many were flagged."""
    moment = now()
    count = 0
    with unit_of_work() as session:
        rows = session.scalars(
            sa.select(Complaint)
            .where(overdue_clause(moment), Complaint.overdue_flagged_at.is_(None))
            .order_by(Complaint.id)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            row.overdue_flagged_at = moment
            add_event(session, row, "overdue", "system")
            audit(session, row, "overdue", after={"due_at": row.due_at.isoformat()})
            tell_filer(session, row, "overdue", "已超过办理期限，可申请上级督办")
            count += 1
    return {"flagged": count}
