"""Service days: weekdays minus public holidays plus make-up days, then office overrides."""

from __future__ import annotations

from datetime import date, time, timedelta

import chinese_calendar
import sqlalchemy as sa

from backend.terms.models import CalendarOverride, Term


def is_official_workday(day: date) -> tuple[bool, str]:
    """(workday?, source). chinese-calendar knows the State Council's published years;
    for later years only weekdays are known until the office adds overrides."""
    try:
        return chinese_calendar.is_workday(day), "official"
    except NotImplementedError:
        return day.weekday() < 5, "weekdays_only"


def uncovered_years(start: date, end: date) -> list[int]:
    """Years between the dates that the holiday data does not cover (weekdays only there)."""
    return [
        year
        for year in range(start.year, end.year + 1)
        if is_official_workday(date(year, 1, 1))[1] == "weekdays_only"
    ]


def _unverified_note() -> str:
    from backend.errors import wants_english

    if wants_english():
        return "No official holiday data for this year yet: counted as a weekday, check it"
    return "该年法定节假日尚未收录：暂按周一至周五计算，请核对"


def _days(start: date, end: date):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def overrides(session, term_id: int, start: date, end: date) -> dict[date, CalendarOverride]:
    rows = session.scalars(
        sa.select(CalendarOverride).where(
            CalendarOverride.term_id == term_id,
            CalendarOverride.day >= start,
            CalendarOverride.day <= end,
        )
    )
    return {row.day: row for row in rows}


def calendar(session, term: Term, start: date | None = None, end: date | None = None) -> list:
    """Every date of the term (or a part of it) with whether service runs and until when."""
    start = max(start or term.starts_on, term.starts_on)
    end = min(end or term.ends_on, term.ends_on)
    if end < start:
        return []
    known = overrides(session, term.id, start, end)
    out = []
    for day in _days(start, end):
        workday, source = is_official_workday(day)
        row = known.get(day)
        if row is not None:
            out.append(
                {
                    "date": day,
                    "is_service_day": row.is_service_day,
                    "service_end_time": row.service_end_time or term.service_end_time,
                    "source": "override",
                    "note": row.note,
                    "warning": None,
                }
            )
        else:
            out.append(
                {
                    "date": day,
                    "is_service_day": workday,
                    "service_end_time": term.service_end_time,
                    "source": source,
                    "note": None,
                    "warning": _unverified_note() if source == "weekdays_only" else None,
                }
            )
    return out


def service_days(session, term: Term, start: date | None = None, end: date | None = None):
    return [d["date"] for d in calendar(session, term, start, end) if d["is_service_day"]]


def is_service_day(session, term: Term, day: date) -> bool:
    entries = calendar(session, term, day, day)
    return bool(entries) and entries[0]["is_service_day"]


def service_end(session, term: Term, day: date) -> time | None:
    entries = calendar(session, term, day, day)
    if not entries or not entries[0]["is_service_day"]:
        return None
    return entries[0]["service_end_time"]


def term_on(session, school_id: int, day: date) -> Term | None:
    """The school's term that covers a date (terms of one school do not overlap)."""
    return session.scalar(
        sa.select(Term)
        .where(Term.school_id == school_id, Term.starts_on <= day, Term.ends_on >= day)
        .order_by(Term.starts_on.desc())
    )
