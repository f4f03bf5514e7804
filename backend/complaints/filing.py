"""The filer's side: file a complaint, follow it, escalate it, rate the reply."""

from __future__ import annotations

import sqlalchemy as sa

from backend.auth.context import Actor, require_user
from backend.auth.models import User
from backend.auth.scope import guardian_student
from backend.common.clock import SCHOOL_TZ, now
from backend.common.pagination import paginate
from backend.common.states import step
from backend.complaints import states
from backend.complaints.deadline import due_at
from backend.complaints.errors import CannotEscalate, FeedbackGiven, NotReplied
from backend.complaints.history import add_event, audit, tell_filer
from backend.complaints.models import Complaint, ComplaintCounter
from backend.complaints.views import events_of, filer_view, may_escalate
from backend.database import get_session, unit_of_work
from backend.errors import NotFound
from backend.schools.models import GuardianLink, RoleGrant, RosterGuardian, Student


def file_complaint(data: dict) -> dict:
    """File a complaint with a school the caller belongs to; 404 for any other school."""
    actor = require_user()
    school_id = data["school_id"]
    roles = [g.role for g in actor.grants if g.school_id == school_id]
    if not roles:
        raise NotFound()
    with unit_of_work() as session:
        student_id = data.get("student_id")
        if student_id is not None:
            student = guardian_student(session, actor, student_id)
            if student.school_id != school_id:
                raise NotFound()
        anonymous = data.get("anonymous", False)
        moment = now()
        row = Complaint(
            school_id=school_id,
            tracking_no=_tracking_no(session, school_id, moment),
            category=data["category"],
            text=data["text"],
            anonymous=anonymous,
            filer_user_id=actor.id,
            filer_role=None if anonymous else roles[0],
            filer_name=None if anonymous else _filer_name(session, actor, school_id, roles[0]),
            student_id=student_id,
            status=states.INITIAL,
            due_at=due_at(moment),
            created_at=moment,
        )
        session.add(row)
        session.flush()
        add_event(session, row, "submitted", "filer")
        after = {"tracking_no": row.tracking_no, "category": row.category, "anonymous": anonymous}
        if not anonymous:
            after |= {"filer_role": row.filer_role, "student_id": student_id}
        audit(session, row, "file", by_filer=True, after=after)
        out = {"id": row.id, "tracking_no": row.tracking_no, "status": row.status}
        out["due_at"] = row.due_at
    return out


def _tracking_no(session, school_id: int, moment) -> str:
    """TS-YYYYMMDD-NNNN, numbered per school and Shanghai day by one atomic upsert (the
    counter row stays locked until commit, so concurrent filings never share a number)."""
    day = moment.astimezone(SCHOOL_TZ).date()
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(ComplaintCounter).values(school_id=school_id, day=day, last=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["school_id", "day"], set_={"last": ComplaintCounter.last + 1}
    ).returning(ComplaintCounter.last)
    number = session.execute(stmt).scalar_one()
    return f"TS-{day:%Y%m%d}-{number:04d}"


def _filer_name(session, actor: Actor, school_id: int, role: str) -> str | None:
    """The name the school knows the filer by: the roster entry or the role grant."""
    if role == "guardian":
        phone = session.scalar(sa.select(User.phone).where(User.id == actor.id))
        return session.scalar(
            sa.select(RosterGuardian.name)
            .join(Student, Student.id == RosterGuardian.student_id)
            .join(GuardianLink, GuardianLink.student_id == Student.id)
            .where(
                GuardianLink.user_id == actor.id,
                Student.school_id == school_id,
                RosterGuardian.phone == phone,
            )
            .order_by(RosterGuardian.id)
            .limit(1)
        )
    return session.scalar(
        sa.select(RoleGrant.name)
        .where(
            RoleGrant.user_id == actor.id,
            RoleGrant.school_id == school_id,
            RoleGrant.revoked_at.is_(None),
        )
        .order_by(RoleGrant.id)
        .limit(1)
    )


def list_mine(page: int, page_size: int) -> tuple[list[dict], int]:
    """The caller's own complaints, newest first."""
    actor = require_user()
    session = get_session()
    stmt = (
        sa.select(Complaint)
        .where(Complaint.filer_user_id == actor.id)
        .order_by(Complaint.id.desc())
    )
    rows, total = paginate(session, stmt, page, page_size)
    return [filer_view(c) for c in rows], total


def _mine(session, actor: Actor, complaint_id: int, lock: bool = False) -> Complaint:
    stmt = sa.select(Complaint).where(
        Complaint.id == complaint_id, Complaint.filer_user_id == actor.id
    )
    row = session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        raise NotFound()
    return row


def get_mine(complaint_id: int) -> dict:
    """One of the caller's complaints with its history."""
    actor = require_user()
    session = get_session()
    row = _mine(session, actor, complaint_id)
    return filer_view(row, events_of(session, [row.id])[row.id])


def escalate(complaint_id: int) -> dict:
    """Send the complaint to the district (overdue, or a reply not accepted in 7 days)."""
    actor = require_user()
    with unit_of_work() as session:
        row = _mine(session, actor, complaint_id, lock=True)
        if not may_escalate(row):
            raise CannotEscalate()
        was = row.status
        row.status = step(states.TRANSITIONS, was, "escalate")
        row.escalated_at = now()
        add_event(session, row, "escalated", "filer")
        audit(
            session,
            row,
            "escalate",
            by_filer=True,
            before={"status": was},
            after={"status": row.status},
        )
        tell_filer(session, row, "escalated", "已提交上级部门督办")
        out = filer_view(row, events_of(session, [row.id])[row.id])
    return out


def feedback(complaint_id: int, data: dict) -> dict:
    """Rate the latest reply, once per reply; satisfied closes the way to the district."""
    actor = require_user()
    with unit_of_work() as session:
        row = _mine(session, actor, complaint_id, lock=True)
        if row.status not in states.REPLIED:
            raise NotReplied()
        if row.feedback_at is not None and row.feedback_at >= row.replied_at:
            raise FeedbackGiven()
        row.feedback_satisfied = data["satisfied"]
        row.feedback_comment = data.get("comment")
        row.feedback_at = now()
        add_event(session, row, "feedback", "filer", data.get("comment"))
        audit(session, row, "feedback", by_filer=True, after={"satisfied": row.feedback_satisfied})
        out = filer_view(row, events_of(session, [row.id])[row.id])
    return out
