"""The district overview: one row of figures per school for the terms running on a day.

Every figure is one grouped SQL query over all the schools asked for (never a loop over
pupils), so 200 schools of 2,000 pupils answer in well under a second (scripts/bench/
district_overview.py). The figures are the schools' own: enrolment as sign-up counts it,
income as payments minus refunds on the term's statements, expenses as the term's ledger.
"""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa

from backend.common.clock import SCHOOL_TZ
from backend.complaints import queries as complaint_queries
from backend.courses.models import Course, Provider
from backend.fees.models import Expense, FeeExemption, Payment, Refund
from backend.pickup.models import PickupAlert
from backend.schools.models import School, Student
from backend.signup.models import Application
from backend.surveys import queries as survey_queries
from backend.terms.models import Term
from backend.terms.service import monthly_fee_fen

FIGURES = (
    "roster_pupils",
    "enrolled",
    "participation_rate",
    "enrichment_share",
    "active_providers",
    "monthly_fee_fen",
    "fee_cap_fen",
    "exemptions",
    "income_fen",
    "expenses_fen",
    "late_pickups",
    "complaints_open",
    "complaints_overdue",
)
SUMMED = ("roster_pupils", "enrolled", "active_providers", "exemptions")
SUMMED += ("income_fen", "expenses_fen", "late_pickups", "complaints_open", "complaints_overdue")


def running_terms(session, school_ids: list[int], on: date) -> dict[int, Term]:
    """School id -> the term running on `on` (the latest started when terms overlap)."""
    rows = session.scalars(
        sa.select(Term)
        .where(Term.school_id.in_(school_ids), Term.starts_on <= on, Term.ends_on >= on)
        .order_by(Term.school_id, Term.starts_on)
    )
    return {t.school_id: t for t in rows}


def _grouped(session, stmt) -> dict:
    return {key: value for key, value in session.execute(stmt)}


def _roster(session, school_ids):
    return _grouped(
        session,
        sa.select(Student.school_id, sa.func.count())
        .where(Student.school_id.in_(school_ids), Student.active.is_(True))
        .group_by(Student.school_id),
    )


def _by_term(session, term_ids, column, value, *where):
    """term_id -> aggregate `value` of rows whose `column` is one of the terms."""
    stmt = sa.select(column, value).where(column.in_(term_ids), *where).group_by(column)
    return _grouped(session, stmt)


def _enrichment(session, term_ids) -> dict[int, float | None]:
    """term_id -> enrichment share of the weekly course minutes of open courses (R7)."""
    minutes: dict[int, list[int]] = {}
    rows = session.execute(
        sa.select(
            Course.term_id, Course.kind, Course.weekdays, Course.start_time, Course.end_time
        ).where(Course.term_id.in_(term_ids), Course.status == "open")
    )
    for term_id, kind, weekdays, start, end in rows:  # courses, not pupils: a few per school
        length = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        total = minutes.setdefault(term_id, [0, 0])
        total[0] += length * len(weekdays)
        if kind == "enrichment":
            total[1] += length * len(weekdays)
    return {t: round(x / all_, 4) if all_ else None for t, (all_, x) in minutes.items()}


def _providers(session, school_ids, on: date):
    """school_id -> providers active and not barred at the end of `on` (R12: at least 3)."""
    moment = datetime.combine(on, time(23, 59), tzinfo=SCHOOL_TZ)
    return _grouped(
        session,
        sa.select(Provider.school_id, sa.func.count())
        .where(
            Provider.school_id.in_(school_ids),
            Provider.status == "active",
            sa.or_(Provider.blacklisted_until.is_(None), Provider.blacklisted_until <= moment),
        )
        .group_by(Provider.school_id),
    )


def _late(session, terms: dict[int, Term], on: date) -> dict[int, int]:
    """school_id -> pupils not collected by service end + grace, counted per day, this term."""
    if not terms:
        return {}
    earliest = min(t.starts_on for t in terms.values())
    rows = session.execute(
        sa.select(PickupAlert.school_id, PickupAlert.day, sa.func.count())
        .where(
            PickupAlert.school_id.in_(list(terms)),
            PickupAlert.day >= earliest,
            PickupAlert.day <= on,
            PickupAlert.kind == "overdue",
        )
        .group_by(PickupAlert.school_id, PickupAlert.day)
    )
    out: dict[int, int] = {}
    for school_id, day, n in rows:  # one row per school-day, not per pupil
        if day >= terms[school_id].starts_on:
            out[school_id] = out.get(school_id, 0) + n
    return out


def figures(session, schools: list[School], on: date) -> list[dict]:
    """One row per school (in the order given) for the terms running on `on`."""
    ids = [s.id for s in schools]
    terms = running_terms(session, ids, on)
    term_ids = [t.id for t in terms.values()]
    roster = _roster(session, ids)
    enrolled = _by_term(
        session, term_ids, Application.term_id, sa.func.count(), Application.state == "enrolled"
    )
    exemptions = _by_term(
        session, term_ids, FeeExemption.term_id, sa.func.count(), FeeExemption.status == "approved"
    )
    paid = _by_term(
        session,
        term_ids,
        Payment.term_id,
        sa.func.sum(Payment.amount_fen),
        Payment.status == "paid",
    )
    refunded = _by_term(
        session, term_ids, Refund.term_id, sa.func.sum(Refund.amount_fen), Refund.status != "failed"
    )
    spent = _by_term(session, term_ids, Expense.term_id, sa.func.sum(Expense.amount_fen))
    enrichment = _enrichment(session, term_ids)
    providers = _providers(session, ids, on)
    late = _late(session, terms, on)
    complaints = complaint_queries.counts_by_school(session, ids)
    satisfaction = survey_queries.service_averages(session, term_ids)
    rows = []
    for school in schools:
        term = terms.get(school.id)
        row = {
            "school_id": school.id,
            "name": school.name,
            "roster_pupils": roster.get(school.id, 0),
            "active_providers": providers.get(school.id, 0),
            "fee_cap_fen": school.monthly_fee_cap_fen,
            "term_id": term.id if term else None,
            "term_name": term.name if term else None,
        }
        row.update(_term_figures(term, enrolled, exemptions, paid, refunded, spent, enrichment))
        row["late_pickups"] = late.get(school.id, 0)
        row["complaints_open"] = complaints[school.id]["open"]
        row["complaints_overdue"] = complaints[school.id]["overdue"]
        row["satisfaction_average"] = satisfaction.get(term.id) if term else None
        pupils = row["roster_pupils"]
        row["participation_rate"] = round(row["enrolled"] / pupils, 4) if pupils else None
        rows.append(row)
    return rows


def _term_figures(term, enrolled, exemptions, paid, refunded, spent, enrichment) -> dict:
    """The figures that belong to the school's running term (zero / None without one)."""
    if term is None:
        return dict.fromkeys(("enrolled", "exemptions", "income_fen", "expenses_fen"), 0) | {
            "monthly_fee_fen": None,
            "enrichment_share": None,
        }
    return {
        "enrolled": enrolled.get(term.id, 0),
        "exemptions": exemptions.get(term.id, 0),
        "income_fen": int(paid.get(term.id) or 0) - int(refunded.get(term.id) or 0),
        "expenses_fen": int(spent.get(term.id) or 0),
        "monthly_fee_fen": monthly_fee_fen(term),
        "enrichment_share": enrichment.get(term.id),
    }


def totals(rows: list[dict]) -> dict:
    """The district's totals: sums of counts and money, overall participation."""
    out = {key: sum(r[key] or 0 for r in rows) for key in SUMMED}
    out["schools"] = len(rows)
    out["schools_with_term"] = sum(1 for r in rows if r["term_id"] is not None)
    pupils = out["roster_pupils"]
    out["participation_rate"] = round(out["enrolled"] / pupils, 4) if pupils else None
    out["schools_over_fee_cap"] = sum(
        1
        for r in rows
        if r["monthly_fee_fen"] is not None and r["monthly_fee_fen"] > r["fee_cap_fen"]
    )
    out["schools_below_enrichment_half"] = sum(
        1 for r in rows if r["enrichment_share"] is not None and r["enrichment_share"] < 0.5
    )
    out["schools_below_three_providers"] = sum(1 for r in rows if r["active_providers"] < 3)
    return out
