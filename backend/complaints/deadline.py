"""Due times: 5 working days by the Chinese calendar, to the end of that day (Shanghai)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from backend.common.clock import SCHOOL_TZ
from backend.terms.calendar import is_official_workday

WORKING_DAYS = 5
# A reply may be escalated for this many calendar days after it was given.
ESCALATE_AFTER_REPLY = timedelta(days=7)
_END_OF_DAY = time(23, 59, 59)


def working_days_after(day: date, count: int) -> date:
    """The `count`-th working day after `day` (weekends and public holidays skipped,
    make-up working days counted, per the State Council calendar)."""
    while count > 0:
        day += timedelta(days=1)
        if is_official_workday(day)[0]:
            count -= 1
    return day


def due_at(filed_at: datetime) -> datetime:
    """The end (23:59:59 Asia/Shanghai) of the 5th working day after the filing day."""
    filed_on = filed_at.astimezone(SCHOOL_TZ).date()
    return datetime.combine(
        working_days_after(filed_on, WORKING_DAYS), _END_OF_DAY, tzinfo=SCHOOL_TZ
    )
