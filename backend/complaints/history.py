"""What every complaint write leaves behind: an event, an audit row, a message to the filer.

An anonymous filer's own acts are audited as actor `anonymous` with no user id and no
client address, so the audit views the office (and later the district) read cannot name
them; the complaint row alone keeps the link that lets the filer see their own.
"""

from __future__ import annotations

from types import SimpleNamespace

from backend.audit.service import record
from backend.common.clock import now
from backend.complaints.models import Complaint, ComplaintEvent
from backend.notifications.outbox import enqueue

ANONYMOUS = SimpleNamespace(kind="anonymous", id=None)
STATUS_ZH = {
    "submitted": "已提交",
    "accepted": "已受理",
    "resolved": "已办结",
    "rejected": "不予支持",
    "escalated": "已提交上级督办",
}
# Outbox kinds (WeChat template per kind: WECHAT_TEMPLATE_<KIND>, see notifications/templates).
KINDS = {
    "accepted": "complaint_accepted",
    "replied": "complaint_replied",
    "escalated": "complaint_escalated",
    "overdue": "complaint_overdue",
}


def add_event(session, complaint: Complaint, kind: str, by: str, text: str | None = None):
    """Append one step of the complaint's history (its status after the step)."""
    session.add(
        ComplaintEvent(
            complaint_id=complaint.id,
            at=now(),
            kind=kind,
            status=complaint.status,
            by=by,
            text=text,
        )
    )


def audit(session, complaint: Complaint, action: str, *, by_filer=False, before=None, after=None):
    """One audit row; the filer of an anonymous complaint is recorded as `anonymous`."""
    hidden = by_filer and complaint.anonymous
    row = record(
        session,
        action=f"complaint.{action}",
        object_type="complaint",
        object_id=complaint.id,
        school_id=complaint.school_id,
        before=before,
        after=after,
        actor=ANONYMOUS if hidden else None,
    )
    if hidden:
        row.client_ip = None  # an address can name a family as well as an id
    return row


def tell_filer(session, complaint: Complaint, kind: str, note: str | None = None) -> None:
    """Queue the WeChat message that tells the filer their complaint changed."""
    fields = {
        "character_string1": complaint.tracking_no,
        "phrase2": STATUS_ZH[complaint.status],
        "thing3": (note or "").strip()[:20] or "请查看处理进度",
    }
    enqueue(
        session,
        kind=KINDS[kind],
        user_id=complaint.filer_user_id,
        school_id=complaint.school_id,
        payload={"fields": fields, "page": f"pages/complaints/detail?id={complaint.id}"},
    )
