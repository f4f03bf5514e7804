"""The school office's side: list, filter, accept, reply, export; and the one reply rule
the district shares (district.py)."""

from __future__ import annotations

import sqlalchemy as sa

from backend.auth.context import current_actor
from backend.auth.scope import admin_school
from backend.common.clock import SCHOOL_TZ, now
from backend.common.pagination import paginate
from backend.common.states import step
from backend.common.xlsx import single_sheet
from backend.complaints import states
from backend.complaints.history import STATUS_ZH, add_event, audit, tell_filer
from backend.complaints.models import Complaint
from backend.complaints.queries import counts_by_school, overdue_clause
from backend.complaints.views import events_of, office_view, pupils_of
from backend.database import get_session, unit_of_work
from backend.errors import NotFound

CATEGORY_ZH = {
    "fees": "收费",
    "safety": "安全",
    "teaching": "教学",
    "provider": "第三方机构",
    "staff": "工作人员",
    "other": "其他",
}


def _filtered(school_id: int, query: dict):
    stmt = sa.select(Complaint).where(Complaint.school_id == school_id)
    if query.get("status"):
        stmt = stmt.where(Complaint.status == query["status"])
    if query.get("category"):
        stmt = stmt.where(Complaint.category == query["category"])
    if query.get("overdue") is not None:
        clause = overdue_clause()
        stmt = stmt.where(clause if query["overdue"] else sa.not_(clause))
    return stmt


def list_for_school(school_id: int, query: dict, page: int, page_size: int):
    """The school's complaints, newest first, filtered by status, category, overdue."""
    session = get_session()
    admin_school(session, current_actor(), school_id)
    stmt = _filtered(school_id, query).order_by(Complaint.id.desc())
    rows, total = paginate(session, stmt, page, page_size)
    pupils = pupils_of(session, rows)
    return [office_view(session, c, pupils=pupils) for c in rows], total


def summary(school_id: int) -> dict:
    """Counts per status plus open and overdue: what the office sees first."""
    session = get_session()
    admin_school(session, current_actor(), school_id)
    per_status = dict(
        session.execute(
            sa.select(Complaint.status, sa.func.count())
            .where(Complaint.school_id == school_id)
            .group_by(Complaint.status)
        ).all()
    )
    out = {s: int(per_status.get(s, 0)) for s in states.STATES}
    return out | counts_by_school(session, [school_id])[school_id]


def _school_complaint(session, school_id: int, complaint_id: int, lock=False) -> Complaint:
    stmt = sa.select(Complaint).where(
        Complaint.id == complaint_id, Complaint.school_id == school_id
    )
    row = session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        raise NotFound()
    return row


def get_for_school(school_id: int, complaint_id: int) -> dict:
    """One complaint of the school with its history."""
    session = get_session()
    admin_school(session, current_actor(), school_id)
    row = _school_complaint(session, school_id, complaint_id)
    return office_view(session, row, events_of(session, [row.id])[row.id])


def accept(school_id: int, complaint_id: int) -> dict:
    """The office takes the complaint up; the filer is told."""
    with unit_of_work() as session:
        admin_school(session, current_actor(), school_id)
        row = _school_complaint(session, school_id, complaint_id, lock=True)
        was = row.status
        row.status = step(states.TRANSITIONS, was, "accept")
        row.accepted_at = now()
        add_event(session, row, "accepted", "school")
        audit(session, row, "accept", before={"status": was}, after={"status": row.status})
        tell_filer(session, row, "accepted", "学校已受理您的反映")
        out = office_view(session, row, events_of(session, [row.id])[row.id])
    return out


def reply(school_id: int, complaint_id: int, data: dict) -> dict:
    """The office answers an accepted complaint: resolved or rejected, with its text."""
    with unit_of_work() as session:
        admin_school(session, current_actor(), school_id)
        row = _school_complaint(session, school_id, complaint_id, lock=True)
        apply_reply(session, row, "school", data["text"], data["resolution"])
        out = office_view(session, row, events_of(session, [row.id])[row.id])
    return out


def apply_reply(session, row: Complaint, party: str, text: str, resolution: str) -> None:
    """A reply by the school or the district: the state table decides whether it may be
    given now; the previous rating is cleared (one rating per reply); the filer is told."""
    was = row.status
    row.status = step(states.TRANSITIONS, was, states.REPLY_ACTION[(party, resolution)])
    row.replied_at, row.replied_by, row.reply_text = now(), party, text
    row.feedback_satisfied = row.feedback_comment = row.feedback_at = None
    add_event(session, row, "replied", party, text)
    audit(
        session,
        row,
        "reply" if party == "school" else "district_reply",
        before={"status": was},
        after={"status": row.status, "replied_by": party},
    )
    tell_filer(session, row, "replied", text)


def _filer_cell(row: Complaint) -> str:
    if row.anonymous:
        return "匿名"
    return f"{row.filer_name or ''}（{row.filer_role or ''}）"


def export(school_id: int, query: dict):
    """The school's (filtered) complaints as .xlsx; anonymous ones name no one."""
    session = get_session()
    school = admin_school(session, current_actor(), school_id)
    stmt = _filtered(school_id, query).order_by(Complaint.id).limit(50_000)
    header = ["编号", "类别", "状态", "提交时间", "办理期限", "超期", "投诉人", "学生"]
    header += ["内容", "答复", "答复时间", "评价"]
    complaints = session.scalars(stmt).all()
    pupils = pupils_of(session, complaints)
    rows = []
    for c in complaints:
        view = office_view(session, c, pupils=pupils)
        rows.append(
            [
                c.tracking_no,
                CATEGORY_ZH[c.category],
                STATUS_ZH[c.status],
                _local(c.created_at),
                _local(c.due_at),
                "是" if view["overdue"] else "否",
                _filer_cell(c),
                view["student"]["name"] if view["student"] else "",
                c.text,
                c.reply_text or "",
                _local(c.replied_at),
                "" if c.feedback_at is None else ("满意" if c.feedback_satisfied else "不满意"),
            ]
        )
    return single_sheet("投诉", header, rows), f"complaints-{school.code}.xlsx"


def _local(moment) -> str:
    return moment.astimezone(SCHOOL_TZ).strftime("%Y-%m-%d %H:%M") if moment else ""
