"""Who reviews what: the class, grade and school scopes of head teachers and committees."""

from __future__ import annotations

import sqlalchemy as sa

from backend.auth.context import Actor, Grant, require_user
from backend.errors import Forbidden, NotFound
from backend.schools.models import SchoolClass
from backend.signup.models import Application
from backend.terms.models import Term

LEVELS = ("class", "grade", "school")


def grant_level(grant: Grant) -> str | None:
    """The review level a grant works at (a head teacher reviews at class level)."""
    if grant.role == "head_teacher" and grant.class_id is not None:
        return "class"
    if grant.role == "committee_member":
        return grant.level
    return None


def reviewer_grants(actor: Actor, level: str | None = None) -> list[Grant]:
    """The caller's review grants (at a level): 403 when there are none."""
    require_user()
    grants = [
        g
        for g in actor.grants
        if grant_level(g) is not None and (level is None or grant_level(g) == level)
    ]
    if not grants:
        raise Forbidden()
    return grants


def reviewer_term(session, actor: Actor, term_id: int, level: str | None) -> tuple[Term, list]:
    """The term and the caller's grants in its school: 403 no such role, 404 other school."""
    grants = reviewer_grants(actor, level)
    term = session.get(Term, term_id)
    if term is None:
        raise NotFound()
    grants = [g for g in grants if g.school_id == term.school_id]
    if not grants:
        raise NotFound()
    return term, grants


def scope_clause(grants: list[Grant]):
    """SQL condition on Application: inside the scope of any of these grants."""
    class_ids = {g.class_id for g in grants if grant_level(g) == "class" and g.class_id}
    grade_ids = {g.grade_id for g in grants if grant_level(g) == "grade" and g.grade_id}
    school_ids = {g.school_id for g in grants if grant_level(g) == "school"}
    parts = []
    if class_ids:
        parts.append(Application.class_id.in_(sorted(class_ids)))
    if grade_ids:
        parts.append(
            Application.class_id.in_(
                sa.select(SchoolClass.id).where(SchoolClass.grade_id.in_(sorted(grade_ids)))
            )
        )
    if school_ids:
        parts.append(Application.school_id.in_(sorted(school_ids)))
    return sa.or_(*parts) if parts else sa.false()


def role_for(grants: list[Grant], application: Application) -> str:
    """The role under which the caller decides this application (kept on the step)."""
    for g in grants:
        if g.role == "head_teacher" and g.class_id == application.class_id:
            return "head_teacher"
    for g in grants:
        if g.role == "committee_member":
            return f"committee_member:{g.level}"
    return "reviewer"


def is_guardian_of_school(actor: Actor, school_id: int) -> bool:
    return any(g.role == "guardian" and g.school_id == school_id for g in actor.grants)


def belongs_to_school(actor: Actor, school_id: int) -> bool:
    """Guardians and staff of the school (who may see its posting)."""
    return any(g.school_id == school_id for g in actor.grants)
