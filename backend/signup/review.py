"""The three-level review (三级审核): what waits in my scope, and batch decisions."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from backend.auth.context import require_user
from backend.common.clock import now
from backend.database import get_session, unit_of_work
from backend.schools.models import SchoolClass, Student
from backend.signup import notify, states
from backend.signup.errors import CommentRequired, ReviewConflict
from backend.signup.models import Application, ReviewStep
from backend.signup.scope import reviewer_grants, reviewer_term, role_for, scope_clause
from backend.signup.transitions import move
from backend.terms.models import Term


def overdue_cutoff(term: Term):
    """Waiting since before this instant = overdue (the term's review_overdue_days)."""
    return now() - timedelta(days=term.review_overdue_days)


def waiting_query(term: Term, level: str | None, *, overdue: bool | None = None):
    stmt = sa.select(Application).where(
        Application.term_id == term.id, Application.state.in_(states.WAITING_STATES)
    )
    if level is not None:
        stmt = stmt.where(Application.level == level)
    if overdue is True:
        stmt = stmt.where(Application.waiting_since < overdue_cutoff(term))
    elif overdue is False:
        stmt = stmt.where(Application.waiting_since >= overdue_cutoff(term))
    return stmt


def history(session, app_ids: list[int]) -> dict[int, list[dict]]:
    """Steps by application, with the reviewer's role (reviewers may see who decided)."""
    out: dict[int, list[dict]] = {i: [] for i in app_ids}
    if not app_ids:
        return out
    rows = session.scalars(
        sa.select(ReviewStep)
        .where(ReviewStep.application_id.in_(app_ids))
        .order_by(ReviewStep.decided_at, ReviewStep.id)
    )
    for r in rows:
        out[r.application_id].append(
            {
                "level": r.level,
                "decision": r.decision,
                "comment": r.comment,
                "decided_at": r.decided_at,
                "role": r.actor_role,
                "state": r.to_state,
            }
        )
    return out


def rows_view(session, term: Term, apps: list[Application]) -> list[dict]:
    """Applications as a reviewer or the office sees them: class, pupil, flags, history."""
    if not apps:
        return []
    students = {
        s.id: s
        for s in session.scalars(
            sa.select(Student).where(Student.id.in_({a.student_id for a in apps}))
        )
    }
    classes = {
        c.id: c
        for c in session.scalars(
            sa.select(SchoolClass).where(SchoolClass.id.in_({a.class_id for a in apps}))
        )
    }
    steps = history(session, [a.id for a in apps])
    cutoff = overdue_cutoff(term)
    out = []
    for a in apps:
        waiting = a.state in states.WAITING_STATES
        out.append(
            {
                "id": a.id,
                "application_id": a.id,
                "term_id": a.term_id,
                "student_id": a.student_id,
                "student_name": students[a.student_id].name,
                "class_id": a.class_id,
                "class_name": classes[a.class_id].name,
                "grade_id": classes[a.class_id].grade_id,
                "state": a.state,
                "level": a.level,
                "priority_flags": a.priority_flags or [],
                "exemption_category": a.exemption_category,
                "note": a.note,
                "created_at": a.created_at,
                "waiting_since": a.waiting_since if waiting else None,
                "overdue": bool(waiting and a.waiting_since and a.waiting_since < cutoff),
                "history": steps[a.id],
            }
        )
    return out


def waiting_for_me(term_id: int, level: str, overdue: bool | None = None) -> list[dict]:
    """What waits at `level` in my scope, priority pupils (R4) first, then oldest first."""
    actor = require_user()
    session = get_session()
    term, grants = reviewer_term(session, actor, term_id, level)
    apps = list(
        session.scalars(
            waiting_query(term, level, overdue=overdue)
            .where(scope_clause(grants))
            .order_by(Application.waiting_since, Application.id)
        )
    )
    rows = rows_view(session, term, apps)
    rows.sort(key=lambda r: (not r["priority_flags"], r["waiting_since"], r["id"]))
    return rows


def decide(level: str, decisions: list[dict]) -> dict:
    """Apply a batch of decisions at one level, all or nothing."""
    actor = require_user()
    grants = reviewer_grants(actor, level)
    missing = [
        d["application_id"]
        for d in decisions
        if d["decision"] == "reject" and not (d.get("comment") or "").strip()
    ]
    if missing:
        raise CommentRequired(errors={"comment": missing})
    ids = [d["application_id"] for d in decisions]
    with unit_of_work() as session:
        # Lock the rows in id order (no deadlock between overlapping batches); on SQLite
        # the write lock taken at BEGIN already serialises reviewers.
        apps = {
            a.id: a
            for a in session.scalars(
                sa.select(Application)
                .where(Application.id.in_(ids), scope_clause(grants))
                .order_by(Application.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        }
        offending = {}
        for app_id in ids:
            app = apps.get(app_id)
            if app is None:
                offending[str(app_id)] = "not_in_scope"
            elif app.state not in states.WAITING_STATES or app.level != level:
                offending[str(app_id)] = "not_waiting_at_level"
        if offending:
            raise ReviewConflict(
                errors={"application_ids": sorted(int(i) for i in offending), "reasons": offending}
            )
        terms = {
            t.id: t
            for t in session.scalars(
                sa.select(Term).where(Term.id.in_({a.term_id for a in apps.values()}))
            )
        }
        results = []
        for d in decisions:
            app = apps[d["application_id"]]
            results.append(_apply(session, actor, grants, terms[app.term_id], app, level, d))
        return {"results": results}


def _apply(session, actor, grants, term: Term, app: Application, level: str, d: dict) -> dict:
    comment = (d.get("comment") or "").strip() or None
    role = role_for(grants, app)
    levels = term.review_levels or states.DEFAULT_LEVELS
    if d["decision"] == "approve" and level not in levels:
        raise ReviewConflict(errors={"application_ids": [app.id]})
    move(
        session,
        app,
        d["decision"],
        actor=actor,
        role=role,
        step_level=level,
        comment=comment,
        conflict=lambda: ReviewConflict(errors={"application_ids": [app.id]}),
    )
    if app.state == "rejected":
        student = session.get(Student, app.student_id)
        notify.rejected(session, app, student.name, level, comment)
    return {"application_id": app.id, "state": app.state, "level": app.level}
