"""A guardian's side of sign-up: apply, read, withdraw and resubmit (R1, R2, R4, R9)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.audit.service import record
from backend.auth.context import require_user
from backend.auth.scope import guardian_student, guardian_student_ids
from backend.common.clock import now, today
from backend.common.retry import on_deadlock
from backend.database import get_session, unit_of_work
from backend.districts import queries as district_queries
from backend.districts.errors import PlanNotApproved
from backend.errors import NotFound
from backend.schools.models import SchoolClass, Student
from backend.signup import leaving, notify, states
from backend.signup.errors import (
    AgreementRequired,
    ApplicationExists,
    ApplicationStateConflict,
    SignupClosed,
    SignupNotReady,
    StudentLeft,
    TermOver,
)
from backend.signup.models import Application, ReviewStep
from backend.signup.transitions import move
from backend.terms.models import Agreement, Term
from backend.terms.queries import has_agreement


def create_application(data: dict, client_ip: str | None) -> dict:
    """A guardian's own application for one pupil and term (one live one per pupil)."""
    actor = require_user()
    with unit_of_work() as session:
        student = guardian_student(session, actor, data["student_id"])
        term = session.get(Term, data["term_id"])
        if term is None or term.school_id != student.school_id:
            raise NotFound()
        if not student.active:
            raise StudentLeft()
        moment = now()
        if not term.signup_opens_at <= moment < term.signup_closes_at:
            raise SignupClosed()
        if not has_agreement(session, term.id):
            raise SignupNotReady()
        if district_queries.plan_requirement(session, term.school_id, term.id):
            raise PlanNotApproved()
        agreement = (
            session.get(Agreement, data["agreement_id"]) if data.get("agreement_id") else None
        )
        if data.get("agree") is not True or agreement is None or agreement.term_id != term.id:
            raise AgreementRequired(errors={"agreement_id": ["须同意本学期的服务协议"]})
        if _live_application(session, term.id, student.id) is not None:
            raise ApplicationExists()
        level = states.waiting_level(term.review_levels or states.DEFAULT_LEVELS, states.INITIAL)
        app = Application(
            term_id=term.id,
            student_id=student.id,
            school_id=student.school_id,
            class_id=student.class_id,
            state=states.INITIAL,
            level=level,
            applicant_user_id=actor.id,
            agreement_id=agreement.id,
            agreed_at=moment,
            client_ip=client_ip,
            priority_flags=sorted(set(data.get("priority_flags") or [])),
            exemption_category=data.get("exemption_category"),
            note=data.get("note"),
            waiting_since=moment,
        )
        try:
            # A savepoint, so the unique-index failure of a racing twin maps to a 409.
            with session.begin_nested():
                session.add(app)
                session.flush()
        except IntegrityError as exc:
            if not _is_live_index(exc):
                raise
            raise ApplicationExists() from None
        session.add(
            ReviewStep(
                application_id=app.id,
                level=None,
                decision="submit",
                comment=app.note,
                actor_kind="user",
                actor_id=actor.id,
                actor_role="guardian",
                from_state=None,
                to_state=states.INITIAL,
                decided_at=moment,
            )
        )
        record(
            session,
            action="application.submit",
            object_type="application",
            object_id=app.id,
            school_id=app.school_id,
            after={
                "term_id": term.id,
                "student_id": student.id,
                "state": "submitted",
                "level": level,
                "agreement_id": agreement.id,
                "agreement_version": agreement.version,
                "priority_flags": app.priority_flags,
                "exemption_category": app.exemption_category,
            },
        )
        return view(session, app, student=student)


def _live_application(session, term_id: int, student_id: int):
    return session.scalar(
        sa.select(Application.id).where(
            Application.term_id == term_id,
            Application.student_id == student_id,
            Application.state != "withdrawn",
        )
    )


def _is_live_index(exc: IntegrityError) -> bool:
    text = str(exc.orig)
    return "uq_applications_live" in text or "applications.term_id" in text


def view(session, app: Application, *, student: Student | None = None) -> dict:
    student = student or session.get(Student, app.student_id)
    klass = session.get(SchoolClass, app.class_id)
    agreement = session.get(Agreement, app.agreement_id)
    return {
        "id": app.id,
        "term_id": app.term_id,
        "student_id": app.student_id,
        "student_name": student.name,
        "class_id": app.class_id,
        "class_name": klass.name if klass else None,
        "state": app.state,
        "level": app.level,
        "priority_flags": app.priority_flags or [],
        "exemption_category": app.exemption_category,
        "note": app.note,
        "agreement_id": app.agreement_id,
        "agreement_version": agreement.version if agreement else None,
        "agreed_at": app.agreed_at,
        "created_at": app.created_at,
        "updated_at": app.updated_at,
        "waiting_since": app.waiting_since,
        "enrolled_at": app.enrolled_at,
        "withdrawn_at": app.withdrawn_at,
    }


def steps_for_guardian(session, app_id: int) -> list[dict]:
    """The history a family sees: which level decided what and why, not who decided."""
    rows = session.scalars(
        sa.select(ReviewStep)
        .where(ReviewStep.application_id == app_id)
        .order_by(ReviewStep.decided_at, ReviewStep.id)
    )
    return [
        {
            "level": r.level,
            "decision": r.decision,
            "comment": r.comment,
            "decided_at": r.decided_at,
            "state": r.to_state,
        }
        for r in rows
    ]


def _my_application(session, actor, application_id: int, *, lock: bool = False) -> Application:
    stmt = sa.select(Application).where(
        Application.id == application_id,
        Application.student_id.in_(guardian_student_ids(session, actor) or [0]),
    )
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    app = session.scalar(stmt)
    if app is None:
        raise NotFound()
    return app


def my_applications(term_id: int | None = None, student_id: int | None = None) -> list[dict]:
    actor = require_user()
    session = get_session()
    ids = guardian_student_ids(session, actor)
    if not ids:
        return []
    stmt = sa.select(Application).where(Application.student_id.in_(ids))
    if term_id is not None:
        stmt = stmt.where(Application.term_id == term_id)
    if student_id is not None:
        stmt = stmt.where(Application.student_id == student_id)
    rows = session.scalars(stmt.order_by(Application.created_at.desc(), Application.id.desc()))
    return [view(session, app) for app in rows]


def my_application(application_id: int) -> dict:
    actor = require_user()
    session = get_session()
    app = _my_application(session, actor, application_id)
    return {**view(session, app), "steps": steps_for_guardian(session, app.id)}


def withdraw(application_id: int, reason: str | None) -> dict:
    """R1: a guardian may withdraw at any time, from any state but withdrawn. The pupil
    leaves the service with it; retried on a deadlock, as the leaving promotes others."""
    return on_deadlock(_withdraw, require_user(), application_id, reason)


def _withdraw(actor, application_id: int, reason: str | None) -> dict:
    with unit_of_work() as session:
        app = _my_application(session, actor, application_id, lock=True)
        move(
            session,
            app,
            "withdraw",
            actor=actor,
            role="guardian",
            comment=reason,
            conflict=ApplicationStateConflict,
        )
        leaving.leave_service(
            session,
            app.student_id,
            reason="withdrawal",
            actor=actor,
            role="guardian",
            term_ids=[app.term_id],
        )
        student = session.get(Student, app.student_id)
        notify.withdrawn(session, app, student.name, actor.id)
        return {**view(session, app, student=student), "steps": steps_for_guardian(session, app.id)}


def resubmit(application_id: int, note: str | None) -> dict:
    """After a rejection: back to the first review level (while the term runs)."""
    actor = require_user()
    with unit_of_work() as session:
        app = _my_application(session, actor, application_id, lock=True)
        term = session.get(Term, app.term_id)
        if app.state == "rejected" and today() > term.ends_on:
            raise TermOver()
        move(
            session,
            app,
            "resubmit",
            actor=actor,
            role="guardian",
            comment=note,
            conflict=ApplicationStateConflict,
            extra={"note": note} if note else None,
        )
        return {**view(session, app), "steps": steps_for_guardian(session, app.id)}
