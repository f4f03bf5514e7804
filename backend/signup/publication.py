"""The public posting (公示): publish, show masked, take objections, answer them, finalize."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor, require_user
from backend.auth.scope import admin_school
from backend.common.clock import SCHOOL_TZ, now
from backend.common.privacy import mask_name
from backend.database import get_session, unit_of_work
from backend.errors import Forbidden, NotFound
from backend.schools.models import SchoolClass, Student
from backend.signup import notify
from backend.signup.errors import (
    ApplicationStateConflict,
    NoPublication,
    NothingToPublish,
    PublicityNotOver,
)
from backend.signup.models import Application, Publication
from backend.signup.scope import belongs_to_school
from backend.signup.transitions import move_many
from backend.terms.models import Term


def term_or_404(session, term_id: int, school_id: int | None = None) -> Term:
    term = session.get(Term, term_id)
    if term is None or (school_id is not None and term.school_id != school_id):
        raise NotFound()
    return term


def _school_committeeterm_or_404(session, actor, term_id: int) -> Term:
    """403 without a school-level committee role; 404 for another school's term."""
    require_user()
    schools = {
        g.school_id for g in actor.grants if g.role == "committee_member" and g.level == "school"
    }
    if not schools:
        raise Forbidden()
    term = term_or_404(session, term_id)
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
        term = _school_committeeterm_or_404(session, actor, term_id)
        return _publish(session, actor, term)


def publish_as_office(school_id: int, term_id: int) -> Publication:
    actor = current_actor()
    with unit_of_work() as session:
        admin_school(session, actor, school_id)
        return _publish(session, actor, term_or_404(session, term_id, school_id))


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
    move_many(
        session,
        apps,
        "publish",
        from_state="approved",
        actor=actor,
        role=role,
        conflict=NothingToPublish,
        extra={"publication_id": pub.id},
    )
    until = pub.ends_at.astimezone(SCHOOL_TZ).strftime("%Y-%m-%d %H:%M")
    notify.bulk(
        session,
        apps,
        _names(session, apps),
        "application_in_publicity",
        "公示中",
        f"公示至{until}",
    )
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
            "state": "in_publicity",
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
    term = term_or_404(session, term_id)
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


def finalize(school_id: int, term_id: int) -> dict:
    """After the posting period: every in_publicity application of the term is enrolled."""
    actor = current_actor()
    with unit_of_work() as session:
        admin_school(session, actor, school_id)
        term = term_or_404(session, term_id, school_id)
        pub = latest(session, term.id)
        if pub is None:
            raise NoPublication()
        moment = now()
        if moment < pub.ends_at:
            # +08:00 to the second, like every other instant of the API
            ends_at = pub.ends_at.astimezone(SCHOOL_TZ).isoformat(timespec="seconds")
            raise PublicityNotOver(errors={"ends_at": [ends_at]})
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
        move_many(
            session,
            apps,
            "finalize",
            from_state="in_publicity",
            actor=actor,
            role="office",
            conflict=ApplicationStateConflict,
        )
        notify.bulk(
            session,
            apps,
            _names(session, apps),
            "application_enrolled",
            "已录取",
            "课后服务报名成功",
        )
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
            after={
                "term_id": term.id,
                "state": "enrolled",
                "enrolled": len(apps),
                "application_ids": [a.id for a in apps],
            },
        )
        return {"enrolled": len(apps), "term_id": term.id, "publication_id": pub.id}
