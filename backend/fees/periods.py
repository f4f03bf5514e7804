"""Billing periods of a term ("YYYY-MM" months or the whole "term") and their service days."""

from __future__ import annotations

import calendar as pycal
import re
from datetime import date

from backend.fees.errors import InvalidPeriod
from backend.terms import calendar as cal
from backend.terms.models import Term

_MONTH = re.compile(r"\A([0-9]{4})-(0[1-9]|1[0-2])\Z")


def bounds(term: Term, period: str) -> tuple[date, date]:
    """The first and last date of the period, clipped to the term."""
    if term.billing_mode == "term":
        if period != "term":
            raise InvalidPeriod(errors={"period": ["本学期按学期收费，账期为 term"]})
        return term.starts_on, term.ends_on
    match = _MONTH.match(period or "")
    if not match:
        raise InvalidPeriod(errors={"period": ["本学期按月收费，账期格式为 YYYY-MM"]})
    year, month = int(match.group(1)), int(match.group(2))
    start = date(year, month, 1)
    end = date(year, month, pycal.monthrange(year, month)[1])
    start, end = max(start, term.starts_on), min(end, term.ends_on)
    if end < start:
        raise InvalidPeriod(errors={"period": ["该月份不在学期内"]})
    return start, end


def period_of(term: Term, day: date) -> str:
    return "term" if term.billing_mode == "term" else f"{day.year:04d}-{day.month:02d}"


def service_days(session, term: Term, period: str) -> list[date]:
    start, end = bounds(term, period)
    return cal.service_days(session, term, start, end)


def months(term: Term) -> list[str]:
    """Every period of the term, in order."""
    if term.billing_mode == "term":
        return ["term"]
    out, year, month = [], term.starts_on.year, term.starts_on.month
    while (year, month) <= (term.ends_on.year, term.ends_on.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
