"""Time in the schools' zone (Asia/Shanghai); one place to read the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SCHOOL_TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(UTC)


def local_now() -> datetime:
    return now().astimezone(SCHOOL_TZ)


def today() -> date:
    return local_now().date()


def iso(dt: datetime | None) -> str | None:
    return dt.astimezone(SCHOOL_TZ).isoformat() if dt else None
