"""The district bureau's use cases over complaints. The district's routes authorize the
caller first and pass the school ids of the caller's district; nothing here widens them.

    district_reply(school_ids, complaint_id, text, resolution) -> district view
"""

from __future__ import annotations

import sqlalchemy as sa

from backend.complaints.handling import apply_reply
from backend.complaints.models import Complaint
from backend.complaints.states import REPLIED
from backend.complaints.views import district_view, events_of
from backend.database import unit_of_work
from backend.errors import NotFound, ValidationFailed


def district_reply(school_ids, complaint_id: int, text: str, resolution: str) -> dict:
    """Answer an escalated complaint of one of `school_ids` (resolved | rejected): 404
    outside them, 409 illegal_transition unless escalated. The filer is told; the audit
    row carries the calling admin (from the request) on the school's chain."""
    if resolution not in REPLIED:
        raise ValidationFailed(errors={"resolution": ["须为 resolved 或 rejected"]})
    if not 1 <= len(text.strip()) <= 2000:
        raise ValidationFailed(errors={"text": ["请填写1至2000字"]})
    allowed = set(school_ids)
    with unit_of_work() as session:
        row = session.scalar(
            sa.select(Complaint).where(Complaint.id == complaint_id).with_for_update()
        )
        if row is None or row.school_id not in allowed:
            raise NotFound()
        apply_reply(session, row, "district", text, resolution)
        out = district_view(row, events_of(session, [row.id])[row.id])
    return out
