"""How a complaint is shown: to its filer, to the school office, to the district.

The office sees the filer (role, name) and the pupil only when the complaint is not
anonymous; the district never sees either (aggregates and complaint texts only, R18).
Events name parties (filer, school, district, system), never staff members.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from backend.common.clock import now
from backend.complaints.deadline import ESCALATE_AFTER_REPLY
from backend.complaints.models import Complaint, ComplaintEvent
from backend.complaints.states import AWAITING_SCHOOL, REPLIED
from backend.schools.models import SchoolClass, Student


def is_overdue(c: Complaint, moment: datetime | None = None) -> bool:
    """Still waiting for the school after its due time."""
    return c.status in AWAITING_SCHOOL and (moment or now()) > c.due_at


def may_escalate(c: Complaint, moment: datetime | None = None) -> bool:
    """Overdue; or within 7 days of a (school) reply the filer has not accepted.
    A complaint goes to the district once: the district's answer is final."""
    moment = moment or now()
    if c.escalated_at is not None:
        return False
    if is_overdue(c, moment):
        return True
    return (
        c.status in REPLIED
        and c.feedback_satisfied is not True
        and moment <= c.replied_at + ESCALATE_AFTER_REPLY
    )


def events_of(session, complaint_ids: list[int]) -> dict[int, list[dict]]:
    """Every complaint's history, oldest first."""
    out: dict[int, list[dict]] = {cid: [] for cid in complaint_ids}
    if not complaint_ids:
        return out
    rows = session.scalars(
        sa.select(ComplaintEvent)
        .where(ComplaintEvent.complaint_id.in_(complaint_ids))
        .order_by(ComplaintEvent.id)
    )
    for e in rows:
        item = {"at": e.at, "kind": e.kind, "status": e.status, "by": e.by}
        if e.text is not None:
            item["text"] = e.text
        out[e.complaint_id].append(item)
    return out


def _common(c: Complaint, moment: datetime) -> dict:
    return {
        "id": c.id,
        "school_id": c.school_id,
        "tracking_no": c.tracking_no,
        "category": c.category,
        "text": c.text,
        "anonymous": c.anonymous,
        "status": c.status,
        "created_at": c.created_at,
        "due_at": c.due_at,
        "overdue": is_overdue(c, moment),
        "accepted_at": c.accepted_at,
        "replied_at": c.replied_at,
        "replied_by": c.replied_by,
        "reply_text": c.reply_text,
        "escalated_at": c.escalated_at,
        "feedback": None
        if c.feedback_at is None
        else {
            "satisfied": c.feedback_satisfied,
            "comment": c.feedback_comment,
            "at": c.feedback_at,
        },
    }


def filer_view(c: Complaint, events: list[dict] | None = None) -> dict:
    """The filer's own complaint (their pupil included, anonymous or not)."""
    moment = now()
    out = _common(c, moment) | {"student_id": c.student_id, "can_escalate": may_escalate(c)}
    if events is not None:
        out["events"] = events
    return out


def pupils_of(session, complaints: list[Complaint]) -> dict[int, dict]:
    """{student_id: {id, name, class_name}} of the named (not anonymous) complaints."""
    ids = {c.student_id for c in complaints if not c.anonymous and c.student_id is not None}
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Student.id, Student.name, SchoolClass.name)
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .where(Student.id.in_(ids))
    )
    return {sid: {"id": sid, "name": name, "class_name": klass} for sid, name, klass in rows}


def office_view(
    session, c: Complaint, events: list[dict] | None = None, pupils: dict | None = None
) -> dict:
    """The school's view: the filer and pupil only when not anonymous (`pupils` from
    pupils_of, for a page of complaints; looked up when not given)."""
    out = _common(c, now()) | {"overdue_flagged_at": c.overdue_flagged_at}
    out["filer"] = None if c.anonymous else {"role": c.filer_role, "name": c.filer_name}
    if pupils is None:
        pupils = pupils_of(session, [c])
    out["student"] = None if c.anonymous else pupils.get(c.student_id)
    if events is not None:
        out["events"] = events
    return out


def district_view(c: Complaint, events: list[dict] | None = None) -> dict:
    """The district's view: no filer, no pupil, whether anonymous or not."""
    out = _common(c, now()) | {"overdue_flagged_at": c.overdue_flagged_at}
    if events is not None:
        out["events"] = events
    return out
