"""Leave requests: guardians ask for service days off, the head teacher decides.

Refund rule for the fees work: a day is `refundable` when the request was made at least one
calendar day before it (Asia/Shanghai), i.e. before that day began; a same-day request is
honoured but not refunded. Fees read them through `pickup.queries.leave_days`.
"""

from __future__ import annotations

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import require_user
from backend.auth.scope import guardian_student, guardian_student_ids, head_teacher_class
from backend.common.clock import now, today
from backend.common.pagination import paginate
from backend.common.states import IllegalTransition
from backend.database import get_session, unit_of_work
from backend.errors import NotFound
from backend.notifications.outbox import enqueue, notify_guardians
from backend.pickup.errors import (
    DateInPast,
    LeaveAlreadyDecided,
    LeaveCommentRequired,
    LeaveOverlap,
    NotAServiceDay,
    NotEnrolled,
)
from backend.pickup.models import LeaveDay, LeaveRequest
from backend.pickup.queries import head_teacher_ids, lock_student, notify_users
from backend.pickup.states import leave_next
from backend.schools.models import Student
from backend.signup import queries as signup_queries
from backend.terms import calendar as cal

PAGE = "pages/pickup/leave?id={id}"
DECISION_ZH = {"approved": "已批准", "rejected": "未批准", "cancelled": "已撤回"}


def leave_view(session, req: LeaveRequest, days=None) -> dict:
    if days is None:
        days = session.scalars(
            sa.select(LeaveDay).where(LeaveDay.leave_request_id == req.id).order_by(LeaveDay.day)
        ).all()
    return {
        "id": req.id,
        "student_id": req.student_id,
        "term_id": req.term_id,
        "status": req.status,
        "reason": req.reason,
        "comment": req.comment,
        "dates": [d.day for d in days],
        "days": [{"date": d.day, "refundable": d.refundable} for d in days],
        "created_at": req.created_at,
        "decided_at": req.decided_at,
    }


def create_leave(data: dict) -> dict:
    actor = require_user()
    with unit_of_work() as session:
        student = guardian_student(session, actor, data["student_id"])
        dates = sorted(set(data["dates"]))
        past = [d.isoformat() for d in dates if d < today()]
        if past:
            raise DateInPast(errors={"dates": past})
        term = cal.term_on(session, student.school_id, dates[0])
        if term is None or dates[-1] > term.ends_on:
            raise NotAServiceDay(
                "请假日期须在同一学期的课后服务日内",
                errors={"dates": [d.isoformat() for d in dates]},
            )
        if not signup_queries.is_enrolled(session, term.id, student.id):
            raise NotEnrolled()
        service = set(cal.service_days(session, term, dates[0], dates[-1]))
        closed = [d.isoformat() for d in dates if d not in service]
        if closed:
            raise NotAServiceDay(errors={"dates": closed})
        lock_student(session, student.id)
        taken = session.scalars(
            sa.select(LeaveDay.day)
            .join(LeaveRequest, LeaveRequest.id == LeaveDay.leave_request_id)
            .where(
                LeaveDay.student_id == student.id,
                LeaveDay.day.in_(dates),
                LeaveRequest.status.in_(("pending", "approved")),
            )
        ).all()
        if taken:
            raise LeaveOverlap(errors={"dates": sorted(d.isoformat() for d in taken)})
        moment = now()
        req = LeaveRequest(
            student_id=student.id,
            school_id=student.school_id,
            class_id=student.class_id,
            term_id=term.id,
            reason=data["reason"].strip(),
            status="pending",
            requested_by=actor.id,
            created_at=moment,
        )
        session.add(req)
        session.flush()
        asked_on = today()
        days = [
            LeaveDay(
                leave_request_id=req.id,
                student_id=student.id,
                term_id=term.id,
                day=d,
                refundable=asked_on < d,
            )
            for d in dates
        ]
        session.add_all(days)
        session.flush()
        span = dates[0].isoformat() + (f" 至 {dates[-1].isoformat()}" if len(dates) > 1 else "")
        notify_users(
            session,
            head_teacher_ids(session, student.class_id),
            kind="leave_requested",
            school_id=student.school_id,
            payload={
                "fields": {"thing1": student.name, "thing2": span, "thing3": req.reason},
                "page": PAGE.format(id=req.id),
            },
        )
        record(
            session,
            action="leave.request",
            object_type="leave_request",
            object_id=req.id,
            school_id=student.school_id,
            after={
                "student_id": student.id,
                "dates": dates,
                "refundable": [d.refundable for d in days],
            },
        )
        return leave_view(session, req, days)


def list_leave(student_id, class_id, status, page: int, page_size: int):
    """A guardian's children's requests, or (class_id) a head teacher's class; newest first."""
    actor = require_user()
    session = get_session()
    query = sa.select(LeaveRequest)
    if class_id is not None:
        head_teacher_class(session, actor, class_id)
        query = query.where(LeaveRequest.class_id == class_id)
        if student_id is not None:
            query = query.where(LeaveRequest.student_id == student_id)
    elif student_id is not None:
        guardian_student(session, actor, student_id)
        query = query.where(LeaveRequest.student_id == student_id)
    else:
        query = query.where(LeaveRequest.student_id.in_(guardian_student_ids(session, actor)))
    if status is not None:
        query = query.where(LeaveRequest.status == status)
    rows, total = paginate(session, query.order_by(LeaveRequest.id.desc()), page, page_size)
    return [leave_view(session, r) for r in rows], total


def _transition(req: LeaveRequest, action: str) -> None:
    try:
        req.status = leave_next(req.status, action)
    except IllegalTransition:
        raise LeaveAlreadyDecided() from None


def decide(leave_id: int, decision: str, comment: str | None) -> dict:
    actor = require_user()
    with unit_of_work() as session:
        req = session.get(LeaveRequest, leave_id)
        if req is None:
            raise NotFound()
        student = session.get(Student, req.student_id)
        head_teacher_class(session, actor, student.class_id)
        if decision == "reject" and not (comment or "").strip():
            raise LeaveCommentRequired(errors={"comment": ["请填写原因"]})
        lock_student(session, student.id)
        session.refresh(req)
        before = req.status
        _transition(req, decision)
        req.decided_by, req.decided_at, req.comment = actor.id, now(), comment
        notify_guardians(
            session,
            student.id,
            kind="leave_decided",
            school_id=student.school_id,
            payload={
                "fields": {
                    "thing1": student.name,
                    "phrase2": DECISION_ZH[req.status],
                    "thing3": comment or "",
                },
                "page": PAGE.format(id=req.id),
            },
        )
        record(
            session,
            action=f"leave.{decision}",
            object_type="leave_request",
            object_id=req.id,
            school_id=student.school_id,
            before={"status": before},
            after={"status": req.status, "comment": comment},
        )
        return leave_view(session, req)


def cancel(leave_id: int) -> dict:
    """A guardian withdraws a request the teacher has not decided yet."""
    actor = require_user()
    with unit_of_work() as session:
        req = session.get(LeaveRequest, leave_id)
        if req is None:
            raise NotFound()
        student = guardian_student(session, actor, req.student_id)
        lock_student(session, student.id)
        session.refresh(req)
        _transition(req, "cancel")
        for user_id in head_teacher_ids(session, student.class_id):
            enqueue(
                session,
                kind="leave_cancelled",
                user_id=user_id,
                school_id=student.school_id,
                payload={"fields": {"thing1": student.name, "phrase2": "已撤回请假"}},
            )
        record(
            session,
            action="leave.cancel",
            object_type="leave_request",
            object_id=req.id,
            school_id=student.school_id,
            after={"status": req.status},
        )
        return leave_view(session, req)
