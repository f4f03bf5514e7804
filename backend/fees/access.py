"""Reaching fee objects through the caller's scope, the term-closed guard, and the audit
row of an office change to a statement."""

from __future__ import annotations

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor
from backend.auth.scope import admin_school
from backend.errors import NotFound
from backend.fees.errors import TermSettled
from backend.fees.models import Settlement, Statement
from backend.terms.models import Term


def office_term(session, school_id: int, term_id: int, *, lock: bool = False) -> Term:
    """A term of a school the calling admin runs (404 otherwise); optionally row-locked,
    which is how fee writers of one term take turns (generation, settlement)."""
    admin_school(session, current_actor(), school_id)
    stmt = sa.select(Term).where(Term.id == term_id, Term.school_id == school_id)
    if lock:
        stmt = stmt.with_for_update()
    term = session.scalar(stmt)
    if term is None:
        raise NotFound()
    return term


def office_statement(session, school_id: int, statement_id: int, *, lock=False) -> Statement:
    admin_school(session, current_actor(), school_id)
    stmt = sa.select(Statement).where(
        Statement.id == statement_id, Statement.school_id == school_id
    )
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    st = session.scalar(stmt)
    if st is None:
        raise NotFound()
    return st


def settlement_of(session, term_id: int) -> Settlement | None:
    return session.scalar(sa.select(Settlement).where(Settlement.term_id == term_id))


def ensure_not_settled(session, term_id: int) -> None:
    if settlement_of(session, term_id) is not None:
        raise TermSettled()


def audit_statement(session, st: Statement, action: str, before: dict, **after) -> None:
    """One audit row for a change to the statement: before, and its status after with
    what the change names."""
    record(
        session,
        action=action,
        object_type="statement",
        object_id=st.id,
        school_id=st.school_id,
        before=before,
        after={"status": st.status, **after},
    )
