"""The district overview: one row of figures per school for the terms running on a day.

Each figure is asked of the domain that owns it (schools, signup, courses, fees, pickup,
complaints, surveys: their queries.py), each answer one grouped SQL query over all the
schools or terms asked for, never a loop over pupils (scripts/bench/district_overview.py).
The figures are the schools' own: enrolment as sign-up counts it, income as payments minus
refunds, expenses as the term's ledger, satisfaction as the survey results show it.
"""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa

from backend.common.clock import SCHOOL_TZ
from backend.complaints import queries as complaint_queries
from backend.courses import queries as course_queries
from backend.fees import queries as fee_queries
from backend.pickup import queries as pickup_queries
from backend.schools import queries as school_queries
from backend.schools.models import School
from backend.signup import queries as signup_queries
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


def figures(session, schools: list[School], on: date) -> list[dict]:
    """One row per school (in the order given) for the terms running on `on`."""
    ids = [s.id for s in schools]
    terms = running_terms(session, ids, on)
    term_ids = [t.id for t in terms.values()]
    moment = datetime.combine(on, time(23, 59), tzinfo=SCHOOL_TZ)
    asked = {
        "roster": school_queries.roster_counts(session, ids),
        "providers": course_queries.active_provider_counts(session, ids, moment),
        "late": pickup_queries.late_pickup_counts(
            session, {sid: t.starts_on for sid, t in terms.items()}, on
        ),
        "complaints": complaint_queries.counts_by_school(session, ids),
        "enrolled": signup_queries.enrolled_counts(session, term_ids),
        "money": fee_queries.term_money(session, term_ids),
        "enrichment": course_queries.enrichment_shares(session, term_ids),
        "satisfaction": survey_queries.service_averages(session, term_ids),
    }
    return [_row(school, terms.get(school.id), asked) for school in schools]


def _row(school: School, term: Term | None, asked: dict) -> dict:
    """The school's figures from what the owners answered."""
    complaints = asked["complaints"][school.id]
    row = {
        "school_id": school.id,
        "name": school.name,
        "roster_pupils": asked["roster"].get(school.id, 0),
        "active_providers": asked["providers"].get(school.id, 0),
        "fee_cap_fen": school.monthly_fee_cap_fen,
        "term_id": term.id if term else None,
        "term_name": term.name if term else None,
        "late_pickups": asked["late"].get(school.id, 0),
        "complaints_open": complaints["open"],
        "complaints_overdue": complaints["overdue"],
    }
    row.update(_term_figures(term, asked))
    pupils = row["roster_pupils"]
    row["participation_rate"] = round(row["enrolled"] / pupils, 4) if pupils else None
    return row


def _term_figures(term: Term | None, asked: dict) -> dict:
    """The figures that belong to the school's running term (zero / None without one)."""
    if term is None:
        return dict.fromkeys(("enrolled", "exemptions", "income_fen", "expenses_fen"), 0) | {
            "monthly_fee_fen": None,
            "enrichment_share": None,
            "satisfaction_average": None,
        }
    money = asked["money"].get(term.id, {})
    return {
        "enrolled": asked["enrolled"].get(term.id, 0),
        "exemptions": money.get("exemptions", 0),
        "income_fen": money.get("income_fen", 0),
        "expenses_fen": money.get("expenses_fen", 0),
        "monthly_fee_fen": monthly_fee_fen(term),
        "enrichment_share": asked["enrichment"].get(term.id),
        "satisfaction_average": asked["satisfaction"].get(term.id),
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
