"""Objections to a posting (公示): a guardian raises one, the office upholds or dismisses it."""

from __future__ import annotations

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor, require_user
from backend.auth.scope import admin_school
from backend.common.clock import now
from backend.common.pagination import paginate
from backend.database import get_session, unit_of_work
from backend.errors import Forbidden, NotFound, ValidationFailed
from backend.schools.models import Student
from backend.signup import notify
from backend.signup.errors import (
    ApplicationStateConflict,
    ObjectionAnswered,
    ObjectionNeedsApplication,
    PublicityClosed,
)
from backend.signup.models import Application, Objection
from backend.signup.publication import latest, term_or_404
from backend.signup.scope import belongs_to_school, is_guardian_of_school
from backend.signup.transitions import move


def object_to(term_id: int, data: dict) -> Objection:
    """A guardian of the school objects while the posting is open."""
    actor = require_user()
    with unit_of_work() as session:
        term = term_or_404(session, term_id)
        if not belongs_to_school(actor, term.school_id):
            raise NotFound()
        if not is_guardian_of_school(actor, term.school_id):
            raise Forbidden()
        pub = latest(session, term.id)
        moment = now()
        if (
            pub is None
            or pub.finalized_at is not None
            or not (pub.starts_at <= moment < pub.ends_at)
        ):
            raise PublicityClosed()
        app_id = data.get("application_id")
        if app_id is not None:
            listed = session.scalar(
                sa.select(Application.id).where(
                    Application.id == app_id, Application.publication_id == pub.id
                )
            )
            if listed is None:
                raise ValidationFailed(errors={"application_id": ["不在本次公示名单中"]})
        row = Objection(
            publication_id=pub.id,
            term_id=term.id,
            school_id=term.school_id,
            user_id=actor.id,
            application_id=app_id,
            text=data["text"],
            state="open",
        )
        session.add(row)
        session.flush()
        record(
            session,
            action="objection.create",
            object_type="objection",
            object_id=row.id,
            school_id=term.school_id,
            after={"publication_id": pub.id, "application_id": app_id, "text": row.text},
        )
        return row


def objections(school_id: int, query: dict, page: int, page_size: int):
    session = get_session()
    admin_school(session, current_actor(), school_id)
    stmt = sa.select(Objection).where(Objection.school_id == school_id)
    for key in ("term_id", "state", "publication_id"):
        if query.get(key) is not None:
            stmt = stmt.where(getattr(Objection, key) == query[key])
    rows, total = paginate(session, stmt.order_by(Objection.id.desc()), page, page_size)
    return [objection_view(session, o) for o in rows], total


def objection_view(session, o: Objection) -> dict:
    name = None
    if o.application_id:
        name = session.scalar(
            sa.select(Student.name)
            .join(Application, Application.student_id == Student.id)
            .where(Application.id == o.application_id)
        )
    return {
        "id": o.id,
        "publication_id": o.publication_id,
        "term_id": o.term_id,
        "application_id": o.application_id,
        "student_name": name,
        "text": o.text,
        "state": o.state,
        "response": o.response,
        "created_at": o.created_at,
        "answered_at": o.answered_at,
    }


def answer(school_id: int, objection_id: int, outcome: str, data: dict) -> dict:
    """uphold: the application goes back to the first review level; dismiss: unchanged."""
    actor = current_actor()
    with unit_of_work() as session:
        admin_school(session, actor, school_id)
        o = session.scalar(
            sa.select(Objection)
            .where(Objection.id == objection_id, Objection.school_id == school_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if o is None:
            raise NotFound()
        if o.state != "open":
            raise ObjectionAnswered()
        moment = now()
        app_id = _uphold(session, actor, o, data) if outcome == "upheld" else o.application_id
        changed = session.execute(
            sa.update(Objection)
            .where(Objection.id == o.id, Objection.state == "open")
            .values(
                state=outcome,
                response=data["response"],
                answered_by=actor.id,
                answered_at=moment,
                application_id=app_id,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            raise ObjectionAnswered()
        session.expire(o)
        record(
            session,
            action=f"objection.{'uphold' if outcome == 'upheld' else 'dismiss'}",
            object_type="objection",
            object_id=o.id,
            school_id=school_id,
            before={"state": "open"},
            after={
                "state": outcome,
                "response": data["response"],
                "application_id": o.application_id,
            },
        )
        notify.objection_answered(session, o, "异议成立" if outcome == "upheld" else "异议不成立")
        return objection_view(session, o)


def _uphold(session, actor, o: Objection, data: dict) -> int:
    app_id = o.application_id or data.get("application_id")
    if app_id is None:
        raise ObjectionNeedsApplication()
    app = session.scalar(
        sa.select(Application)
        .where(
            Application.id == app_id,
            Application.school_id == o.school_id,
            Application.term_id == o.term_id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if app is None:
        raise ValidationFailed(errors={"application_id": ["不在本校本学期的申请中"]})
    if app.state != "in_publicity":
        raise ApplicationStateConflict()
    move(
        session,
        app,
        "uphold_objection",
        actor=actor,
        role="office",
        comment=f"公示异议：{o.text}\n处理意见：{data['response']}",
        objection_id=o.id,
        conflict=ApplicationStateConflict,
        extra={"publication_id": None},
    )
    notify.sent_back(session, app, session.get(Student, app.student_id).name)
    return app.id
