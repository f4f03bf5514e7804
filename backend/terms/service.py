"""Creating and changing terms, their calendar and agreements; reading them by scope."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor, require_user
from backend.auth.scope import admin_school
from backend.database import get_session, unit_of_work
from backend.errors import NotFound
from backend.schools.models import School
from backend.terms import calendar as cal
from backend.terms.errors import (
    DateOutsideTerm,
    FeeAboveCap,
    InvalidReviewLevels,
    InvalidTermDates,
    ServiceEndTooLate,
    TermOverlap,
)
from backend.terms.models import DEFAULT_REVIEW_LEVELS, Agreement, CalendarOverride, Term
from backend.terms.queries import STAGE_ZH, latest_service_end
from backend.terms.views import latest_agreement, snapshot, term_view


def _months(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def monthly_fee_fen(term: Term) -> int:
    """What a family pays per month under the term's billing mode (for the cap, R8)."""
    if term.billing_mode == "monthly":
        return term.base_fee_fen
    return -(-term.base_fee_fen // _months(term.starts_on, term.ends_on))


def _yuan(fen: int) -> str:
    return f"{fen / 100:.2f}".rstrip("0").rstrip(".")


def _validate(session, term: Term, school: School, *, check_end: bool = True) -> None:
    errors = {}
    if term.ends_on < term.starts_on:
        errors["ends_on"] = ["结束日期早于开始日期"]
    if term.signup_closes_at <= term.signup_opens_at:
        errors["signup_closes_at"] = ["报名截止时间须晚于开始时间"]
    if term.selection_closes_at <= term.selection_opens_at:
        errors["selection_closes_at"] = ["选课截止时间须晚于开始时间"]
    if term.signup_opens_at.date() > term.ends_on:
        errors["signup_opens_at"] = ["报名须在学期结束前开始"]
    if term.selection_opens_at.date() > term.ends_on:
        errors["selection_opens_at"] = ["选课须在学期结束前开始"]
    if errors:
        raise InvalidTermDates(errors=errors)
    if check_end:
        check_service_end(school, term.service_end_time, "service_end_time")
    levels = list(term.review_levels or [])
    ordered = [lvl for lvl in DEFAULT_REVIEW_LEVELS if lvl in levels]
    if levels != ordered or not levels or levels[-1] != "school":
        raise InvalidReviewLevels(errors={"review_levels": ['例如 ["class", "grade", "school"]']})
    fee = monthly_fee_fen(term)
    if fee > school.monthly_fee_cap_fen:
        raise FeeAboveCap(
            fee=_yuan(fee),
            cap=_yuan(school.monthly_fee_cap_fen),
            errors={"base_fee_fen": [f"上限为每月{school.monthly_fee_cap_fen}分"]},
        )
    overlap = session.scalar(
        sa.select(Term.id).where(
            Term.school_id == school.id,
            Term.id != (term.id or 0),
            Term.starts_on <= term.ends_on,
            Term.ends_on >= term.starts_on,
        )
    )
    if overlap:
        raise TermOverlap()


def check_service_end(school: School, end, field: str) -> None:
    """R5: service ends by 18:30 at a primary school, by 19:00 at a middle school."""
    latest = latest_service_end(school.stage)
    if end is not None and end > latest:
        raise ServiceEndTooLate(
            stage=school.stage,
            stage_zh=STAGE_ZH.get(school.stage, school.stage),
            latest=latest.strftime("%H:%M"),
            errors={field: [f"最晚{latest.strftime('%H:%M')}"]},
        )


def create_term(school_id: int, data: dict) -> Term:
    with unit_of_work() as session:
        school = admin_school(session, current_actor(), school_id)
        data = dict(data)
        data.setdefault("review_levels", list(DEFAULT_REVIEW_LEVELS))
        term = Term(school_id=school.id, **data)
        _validate(session, term, school)
        session.add(term)
        session.flush()
        record(
            session,
            action="term.create",
            object_type="term",
            object_id=term.id,
            school_id=school.id,
            after=snapshot(term),
        )
        return term_view(session, term, office=True)


def update_term(school_id: int, term_id: int, data: dict) -> Term:
    with unit_of_work() as session:
        school = admin_school(session, current_actor(), school_id)
        term = _term_of(session, school.id, term_id)
        before = snapshot(term)
        for key, value in data.items():
            setattr(term, key, value)
        # R5 holds a changed end time; a term made before the rule stays editable.
        _validate(session, term, school, check_end="service_end_time" in data)
        record(
            session,
            action="term.update",
            object_type="term",
            object_id=term.id,
            school_id=school.id,
            before=before,
            after=snapshot(term),
        )
        return term_view(session, term, office=True)


def _term_of(session, school_id: int, term_id: int) -> Term:
    term = session.get(Term, term_id)
    if term is None or term.school_id != school_id:
        raise NotFound()
    return term


def admin_terms(school_id: int) -> list[dict]:
    """The school's terms, newest first, each with its sign-up state and warnings."""
    session = get_session()
    admin_school(session, current_actor(), school_id)
    terms = session.scalars(
        sa.select(Term).where(Term.school_id == school_id).order_by(Term.starts_on.desc())
    )
    return [term_view(session, t, office=True) for t in terms]


def admin_term(school_id: int, term_id: int) -> dict:
    """One term for the office, with the warnings it should act on."""
    session = get_session()
    admin_school(session, current_actor(), school_id)
    return term_view(session, _term_of(session, school_id, term_id), office=True)


def add_agreement(school_id: int, term_id: int, data: dict) -> Agreement:
    """A new version; earlier applicants keep the version they agreed to."""
    with unit_of_work() as session:
        admin_school(session, current_actor(), school_id)
        term = _term_of(session, school_id, term_id)
        current = latest_agreement(session, term.id)
        row = Agreement(term_id=term.id, version=(current.version + 1) if current else 1, **data)
        session.add(row)
        session.flush()
        record(
            session,
            action="agreement.create",
            object_type="agreement",
            object_id=row.id,
            school_id=school_id,
            after={"term_id": term.id, "version": row.version, "title": row.title},
        )
    return row


def agreements(school_id: int, term_id: int) -> list[Agreement]:
    session = get_session()
    admin_school(session, current_actor(), school_id)
    term = _term_of(session, school_id, term_id)
    return list(
        session.scalars(
            sa.select(Agreement).where(Agreement.term_id == term.id).order_by(Agreement.version)
        )
    )


def set_calendar_day(school_id: int, term_id: int, day: date, data: dict) -> dict:
    with unit_of_work() as session:
        school = admin_school(session, current_actor(), school_id)
        term = _term_of(session, school_id, term_id)
        if not term.starts_on <= day <= term.ends_on:
            raise DateOutsideTerm()
        check_service_end(school, data.get("service_end_time"), "service_end_time")
        row = cal.overrides(session, term.id, day, day).get(day)
        before = None
        if row is None:
            row = CalendarOverride(term_id=term.id, day=day, is_service_day=False)
            session.add(row)
        else:
            before = {
                "is_service_day": row.is_service_day,
                "service_end_time": row.service_end_time,
                "note": row.note,
            }
        row.is_service_day = data["is_service_day"]
        row.service_end_time = data.get("service_end_time")
        row.note = data.get("note")
        session.flush()
        record(
            session,
            action="calendar.override",
            object_type="term",
            object_id=term.id,
            school_id=school_id,
            before=before,
            after={
                "date": day,
                "is_service_day": row.is_service_day,
                "service_end_time": row.service_end_time,
                "note": row.note,
            },
        )
        return cal.calendar(session, term, day, day)[0]


def admin_calendar(school_id: int, term_id: int, start=None, end=None) -> list[dict]:
    session = get_session()
    admin_school(session, current_actor(), school_id)
    return cal.calendar(session, _term_of(session, school_id, term_id), start, end)


def visible_school_ids(actor) -> set[int]:
    """Schools a mini-program user belongs to: children's schools and staff roles."""
    return {g.school_id for g in actor.grants}


def app_terms() -> list[dict]:
    actor = require_user()
    session = get_session()
    schools = visible_school_ids(actor)
    if not schools:
        return []
    terms = session.scalars(
        sa.select(Term).where(Term.school_id.in_(schools)).order_by(Term.starts_on.desc())
    )
    return [term_view(session, t) for t in terms]


def app_term(term_id: int) -> Term:
    actor = require_user()
    session = get_session()
    term = session.get(Term, term_id)
    if term is None or term.school_id not in visible_school_ids(actor):
        raise NotFound()
    return term


def app_term_view(term_id: int) -> dict:
    return term_view(get_session(), app_term(term_id))


def app_calendar(term_id: int, start=None, end=None) -> list[dict]:
    term = app_term(term_id)
    return cal.calendar(get_session(), term, start, end)
