"""The public posting (公示): publish, show masked, take objections, answer them, finalize."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor, require_user
from backend.auth.scope import admin_school
from backend.common.clock import now
from backend.common.privacy import mask_name
from backend.database import get_session, unit_of_work
from backend.errors import Forbidden, NotFound, ValidationFailed
from backend.schools.models import SchoolClass, Student
from backend.signup import notify
from backend.signup.errors import (
    ApplicationStateConflict,
    NoPublication,
    NothingToPublish,
    ObjectionAnswered,
    ObjectionNeedsApplication,
    PublicityClosed,
    PublicityNotOver,
)
from backend.signup.models import Application, Objection, Publication
from backend.signup.scope import belongs_to_school, is_guardian_of_school
from backend.signup.service import first_level
from backend.signup.transitions import move
from backend.terms.models import Term


def _term(session, term_id: int, school_id: int | None = None) -> Term:
    term = session.get(Term, term_id)
    if term is None or (school_id is not None and term.school_id != school_id):
        raise NotFound()
    return term


def _school_committee_term(session, actor, term_id: int) -> Term:
    """403 without a school-level committee role; 404 for another school's term."""
    require_user()
    schools = {
        g.school_id for g in actor.grants if g.role == "committee_member" and g.level == "school"
    }
    if not schools:
        raise Forbidden()
    term = _term(session, term_id)
    if term.school_id not in schools:
        raise NotFound()
    return term


def latest(session, term_id: int) -> Publication | None:
    return session.scalar(
        sa.select(Publication)
        .where(Publication.term_id == term_id)
        .order_by(Publication.starts_at.desc(), Publication.id.desc())
        .limit(1)
    )


def publish_as_committee(term_id: int) -> Publication:
    actor = require_user()
    with unit_of_work() as session:
        term = _school_committee_term(session, actor, term_id)
        return _publish(session, actor, term)


def publish_as_office(school_id: int, term_id: int) -> Publication:
    actor = current_actor()
    with unit_of_work() as session:
        admin_school(session, actor, school_id)
        return _publish(session, actor, _term(session, term_id, school_id))


def _publish(session, actor, term: Term) -> Publication:
    """Every approved application of the term goes in_publicity under one new posting."""
    apps = list(
        session.scalars(
            sa.select(Application)
            .where(Application.term_id == term.id, Application.state == "approved")
            .order_by(Application.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    if not apps:
        raise NothingToPublish()
    moment = now()
    pub = Publication(
        term_id=term.id,
        school_id=term.school_id,
        starts_at=moment,
        ends_at=moment + timedelta(days=term.publicity_days),
        entry_count=len(apps),
        published_by_kind=actor.kind,
        published_by_id=actor.id,
    )
    session.add(pub)
    session.flush()
    role = "office" if actor.kind == "admin" else "committee_member:school"
    names = _names(session, apps)
    for app in apps:
        move(
            session,
            app,
            "publish",
            to_state="in_publicity",
            level=None,
            actor=actor,
            role=role,
            conflict=NothingToPublish,
            extra={"publication_id": pub.id},
        )
        notify.in_publicity(session, app, names[app.student_id], pub.ends_at)
    record(
        session,
        action="publication.create",
        object_type="publication",
        object_id=pub.id,
        school_id=term.school_id,
        after={
            "term_id": term.id,
            "starts_at": pub.starts_at,
            "ends_at": pub.ends_at,
            "application_ids": [a.id for a in apps],
        },
    )
    return pub


def _names(session, apps) -> dict[int, str]:
    ids = {a.student_id for a in apps}
    rows = session.execute(sa.select(Student.id, Student.name).where(Student.id.in_(ids)))
    return {student_id: name for student_id, name in rows}


def posting(term_id: int) -> dict:
    """The latest posting, masked (张*明 and class only), for that school's people."""
    actor = require_user()
    session = get_session()
    term = _term(session, term_id)
    if not belongs_to_school(actor, term.school_id):
        raise NotFound()
    pub = latest(session, term.id)
    if pub is None:
        raise NoPublication()
    rows = session.execute(
        sa.select(Application.id, Student.name, SchoolClass.name)
        .join(Student, Student.id == Application.student_id)
        .join(SchoolClass, SchoolClass.id == Application.class_id)
        .where(
            Application.publication_id == pub.id,
            Application.state.in_(("in_publicity", "enrolled")),
        )
        .order_by(SchoolClass.name, Application.id)
    ).all()
    moment = now()
    return {
        "id": pub.id,
        "term_id": term.id,
        "starts_at": pub.starts_at,
        "ends_at": pub.ends_at,
        "open": pub.finalized_at is None and pub.starts_at <= moment < pub.ends_at,
        "finalized_at": pub.finalized_at,
        "entries": [
            {"application_id": app_id, "class_name": klass, "student_name_masked": mask_name(name)}
            for app_id, name, klass in rows
        ],
    }


def object_to(term_id: int, data: dict) -> Objection:
    """A guardian of the school objects while the posting is open."""
    actor = require_user()
    with unit_of_work() as session:
        term = _term(session, term_id)
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
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    rows = session.scalars(
        stmt.order_by(Objection.id.desc()).offset((page - 1) * page_size).limit(page_size)
    ).all()
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
    term = session.get(Term, app.term_id)
    move(
        session,
        app,
        "uphold_objection",
        to_state="submitted",
        level=first_level(term),
        actor=actor,
        role="office",
        comment=f"公示异议：{o.text}\n处理意见：{data['response']}",
        objection_id=o.id,
        conflict=ApplicationStateConflict,
        extra={"publication_id": None},
    )
    notify.sent_back(session, app, session.get(Student, app.student_id).name)
    return app.id


def finalize(school_id: int, term_id: int) -> dict:
    """After the posting period: every in_publicity application of the term is enrolled."""
    actor = current_actor()
    with unit_of_work() as session:
        admin_school(session, actor, school_id)
        term = _term(session, term_id, school_id)
        pub = latest(session, term.id)
        if pub is None:
            raise NoPublication()
        moment = now()
        if moment < pub.ends_at:
            raise PublicityNotOver(errors={"ends_at": [pub.ends_at.isoformat()]})
        apps = list(
            session.scalars(
                sa.select(Application)
                .join(Publication, Publication.id == Application.publication_id)
                .where(
                    Application.term_id == term.id,
                    Application.state == "in_publicity",
                    Publication.ends_at <= moment,
                )
                .order_by(Application.id)
                .with_for_update(of=Application)
                .execution_options(populate_existing=True)
            )
        )
        names = _names(session, apps)
        for app in apps:
            move(
                session,
                app,
                "finalize",
                to_state="enrolled",
                level=None,
                actor=actor,
                role="office",
                conflict=ApplicationStateConflict,
            )
            notify.enrolled(session, app, names[app.student_id])
        session.execute(
            sa.update(Publication)
            .where(
                Publication.term_id == term.id,
                Publication.finalized_at.is_(None),
                Publication.ends_at <= moment,
            )
            .values(finalized_at=moment)
        )
        record(
            session,
            action="publication.finalize",
            object_type="publication",
            object_id=pub.id,
            school_id=school_id,
            after={"term_id": term.id, "enrolled": len(apps)},
        )
        return {"enrolled": len(apps), "term_id": term.id, "publication_id": pub.id}
