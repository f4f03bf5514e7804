"""The brute-force guard of typed 6-digit codes at the gate (stored in the database).

Wrong codes are GateFailure rows, counted in a sliding window that a right code does not
clear: 5 in 15 minutes lock the gate account's code entry at that school for 15 minutes,
and 30 in 15 minutes at one school (from any of its gate accounts) stop code entry there
until the window has room again. QR tokens (signed, unguessable) always work.
"""

from __future__ import annotations

import math
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backend.pickup.errors import VerificationLocked
from backend.pickup.models import GateFailure, GateGuard

LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=15)
FAILURE_WINDOW = timedelta(minutes=15)
# A school's gates together: several accounts guessing in turn still meet a limit.
SCHOOL_LOCK_AFTER = 30
# Failures older than this are of no use to any window; they are deleted as new ones come.
KEEP_FAILURES = timedelta(days=1)


def guards(session, user_id: int, school_ids: list[int]) -> list[GateGuard]:
    """The account's guard row at each school, created if missing, locked FOR UPDATE."""

    def locked_rows():
        return session.scalars(
            sa.select(GateGuard)
            .where(GateGuard.gate_user_id == user_id, GateGuard.school_id.in_(school_ids))
            .order_by(GateGuard.school_id)
            .with_for_update()
        ).all()

    rows = locked_rows()
    if len(rows) < len(school_ids):
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(
            insert(GateGuard)
            .values([{"gate_user_id": user_id, "school_id": s} for s in school_ids])
            .on_conflict_do_nothing(index_elements=["gate_user_id", "school_id"])
        )
        rows = locked_rows()
    return rows


def lock_error(until, moment) -> VerificationLocked:
    seconds = max(1, math.ceil((until - moment).total_seconds()))
    return VerificationLocked(
        minutes=math.ceil(seconds / 60), headers={"Retry-After": str(seconds)}
    )


def _school_full_until(session, school_id: int, moment):
    """When the school's window has room again, or None when it has room now."""
    nth = session.scalar(
        sa.select(GateFailure.at)
        .where(GateFailure.school_id == school_id, GateFailure.at > moment - FAILURE_WINDOW)
        .order_by(GateFailure.at.desc())
        .offset(SCHOOL_LOCK_AFTER - 1)
        .limit(1)
    )
    return nth + FAILURE_WINDOW if nth is not None else None


def refusal(session, rows: list[GateGuard], moment) -> VerificationLocked | None:
    """The 423 for an account locked at one of its schools, or a school whose gates made
    too many wrong tries; None when codes may be typed."""
    until = [g.locked_until for g in rows if g.locked_until and g.locked_until > moment]
    until += [t for t in (_school_full_until(session, g.school_id, moment) for g in rows) if t]
    return lock_error(max(until), moment) if until else None


def count_failure(session, user_id: int, rows: list[GateGuard], moment) -> None:
    """Record a wrong code at each of the account's schools; lock where the account made
    LOCK_AFTER of them within the window."""
    session.add_all(
        GateFailure(gate_user_id=user_id, school_id=g.school_id, at=moment) for g in rows
    )
    session.flush()
    for guard in rows:
        recent = session.scalar(
            sa.select(sa.func.count())
            .select_from(GateFailure)
            .where(
                GateFailure.gate_user_id == user_id,
                GateFailure.school_id == guard.school_id,
                GateFailure.at > moment - FAILURE_WINDOW,
            )
        )
        if recent >= LOCK_AFTER:
            guard.locked_until = moment + LOCK_FOR
    session.execute(
        sa.delete(GateFailure).where(
            GateFailure.school_id.in_([g.school_id for g in rows]),
            GateFailure.at < moment - KEEP_FAILURES,
        )
    )
