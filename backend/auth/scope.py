"""The authorization layer: every object is reached through the caller's scope.

403 when the caller's roles do not allow the action at all; 404 when the object does not
exist or lies outside the caller's scope (another family's, class's or school's), so that
nothing about other families leaks.
"""

from __future__ import annotations

import sqlalchemy as sa

from backend.auth.context import Actor, Grant, require_admin, require_user
from backend.districts.models import District
from backend.errors import Forbidden, NotFound
from backend.schools.models import GuardianLink, School, SchoolClass, Student


def guardian_student(session, actor: Actor, student_id: int) -> Student:
    """A pupil bound to the calling guardian, else 404."""
    require_user()
    student = session.scalar(
        sa.select(Student)
        .join(GuardianLink, GuardianLink.student_id == Student.id)
        .where(Student.id == student_id, GuardianLink.user_id == actor.id)
    )
    if student is None:
        raise NotFound()
    return student


def guardian_student_ids(session, actor: Actor) -> list[int]:
    return list(
        session.scalars(sa.select(GuardianLink.student_id).where(GuardianLink.user_id == actor.id))
    )


def head_teacher_class(session, actor: Actor, class_id: int) -> SchoolClass:
    """A class the caller is head teacher of: 403 for non-teachers, 404 for other classes."""
    require_user()
    grants = actor.grants_of("head_teacher")
    if not grants:
        raise Forbidden()
    if not any(g.class_id == class_id for g in grants):
        raise NotFound()
    klass = session.get(SchoolClass, class_id)
    if klass is None:
        raise NotFound()
    return klass


def committee_grants(actor: Actor, level: str | None = None) -> list[Grant]:
    """The caller's committee grants (at a level): 403 when there are none."""
    require_user()
    grants = [g for g in actor.grants_of("committee_member") if level is None or g.level == level]
    if not grants:
        raise Forbidden()
    return grants


def gate_school_ids(actor: Actor) -> list[int]:
    require_user()
    ids = sorted({g.school_id for g in actor.grants_of("gate_staff")})
    if not ids:
        raise Forbidden()
    return ids


def admin_school(session, actor: Actor | None, school_id: int) -> School:
    """A school the admin may run: platform admins any, school admins only their own."""
    actor = actor or require_admin()
    if actor.kind != "admin":
        raise Forbidden()
    if actor.is_district_admin:
        # A bureau reads aggregates through /districts only, never a school's own records.
        school = session.get(School, school_id)
        if school is None or school.district_id != actor.district_id:
            raise NotFound()
        raise Forbidden()
    if not actor.is_platform_admin and actor.school_id != school_id:
        raise NotFound()
    school = session.get(School, school_id)
    if school is None:
        raise NotFound()
    return school


def district_of(session, actor: Actor | None, district_id: int):
    """A district the admin oversees: platform admins any, district admins only their own."""
    actor = actor or require_admin()
    if actor.kind != "admin" or not (actor.is_platform_admin or actor.is_district_admin):
        raise Forbidden()
    if actor.is_district_admin and actor.district_id != district_id:
        raise NotFound()
    district = session.get(District, district_id)
    if district is None:
        raise NotFound()
    return district


def district_admin_of(session, actor: Actor | None, district_id: int):
    """A district whose own decisions the caller may take: its district admins only."""
    actor = actor or require_admin()
    district = district_of(session, actor, district_id)
    if not actor.is_district_admin:
        raise Forbidden()
    return district


def require_platform_admin(actor: Actor) -> Actor:
    if actor.kind != "admin" or not actor.is_platform_admin:
        raise Forbidden()
    return actor
