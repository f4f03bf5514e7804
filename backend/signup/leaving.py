"""A pupil leaves the service: the one place that says what a leaving ends.

A withdrawal, a completed deletion request and a removal from the roster all call
`leave_service` inside their own unit of work, so the consequences in other domains are
written here, each by a call to the domain that owns it, and commit or roll back together
with the leaving (a guardian unbinding themselves is not a leaving: the pupil stays).
"""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa

from backend.audit.service import record
from backend.common.clock import SCHOOL_TZ, today
from backend.courses import selection
from backend.pickup import codes, notices
from backend.signup.errors import ApplicationStateConflict
from backend.signup.models import Application
from backend.signup.queries import DEAD_STATES
from backend.signup.transitions import move
from backend.terms.models import Term

REASONS = ("withdrawal", "deletion", "roster_removal")


def _applications(session, student_id: int, on: date, term_ids) -> list[Application]:
    """The pupil's applications the leaving ends, locked: in the given terms, or else every
    live one of a term not over by `on`. The lock is the pupil's sign-up lock, taken before
    any course or pickup row (the order select() and drop() use)."""
    stmt = (
        sa.select(Application)
        .join(Term, Term.id == Application.term_id)
        .where(Application.student_id == student_id, Term.ends_on >= on)
        .order_by(Application.id)
        .with_for_update(of=Application)
        .execution_options(populate_existing=True)
    )
    if term_ids is not None:
        stmt = stmt.where(Application.term_id.in_(list(term_ids)))
    else:
        stmt = stmt.where(Application.state.not_in(DEAD_STATES))
    return list(session.scalars(stmt))


def _withdraw(session, app: Application, on: date, reason: str, actor, role: str) -> None:
    """Withdraw an application still alive (billing stops on `on`, the first day not served)."""
    if app.state in DEAD_STATES:
        return
    at = None if on == today() else datetime.combine(on, time.min, tzinfo=SCHOOL_TZ)
    move(
        session,
        app,
        "withdraw",
        actor=actor,
        role=role,
        comment=f"离开服务：{reason}",
        conflict=ApplicationStateConflict,
        withdrawn_at=at,
    )


def leave_service(
    session,
    student_id: int,
    *,
    reason: str,
    actor,
    role: str = "office",
    on: date | None = None,
    term_ids=None,
) -> dict:
    """The pupil leaves the service from `on` (today by default), in the caller's unit of
    work: applications withdrawn (billing prorates from that day), live selections ended
    (seats passed to the waitlist), open handoff codes voided and open pickup notices
    cancelled from that day on. `term_ids` limits it to those terms (a withdrawal)."""
    if reason not in REASONS:
        raise ValueError(f"unknown leaving reason {reason}")
    on = on or today()
    apps = _applications(session, student_id, on, term_ids)
    ended, voided, cancelled = [], [], []
    for app in apps:
        _withdraw(session, app, on, reason, actor, role)
    for term_id in dict.fromkeys(app.term_id for app in apps):
        term = session.get(Term, term_id)
        first, last = max(on, term.starts_on), term.ends_on
        ended += selection.end_for_leaving(session, term.id, student_id, reason)
        voided += codes.void_codes_from(session, student_id, first, last)
        cancelled += notices.cancel_notices_from(session, student_id, first, last)
    if apps:
        record(
            session,
            action="student.leave_service",
            object_type="student",
            object_id=student_id,
            school_id=apps[0].school_id,
            after={
                "reason": reason,
                "on": on.isoformat(),
                "application_ids": [a.id for a in apps],
                "selection_ids": ended,
                "handoff_code_ids": voided,
                "notice_ids": cancelled,
            },
            actor=actor,
        )
    return {"applications": len(apps), "selections": ended, "codes": voided, "notices": cancelled}
