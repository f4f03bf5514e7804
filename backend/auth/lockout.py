"""Admin sign-in lockout, per username and client address, in the database.

Five failures (wrong password or wrong TOTP code) of one username from one address within
15 minutes lock that pair for 15 minutes: a stranger can lock only themselves out, and an
unknown username locks exactly like a known one, so a 423 tells nothing about which
usernames exist. Guessing from many addresses meets the per-address rate limit and,
since TOTP is required, a second factor.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backend.auth.models import LoginThrottle
from backend.common.clock import now

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCK_FOR = timedelta(minutes=15)
# Rows of pairs quiet for this long help nobody; they go as new failures come.
KEEP = timedelta(days=1)


def _pair(username: str, client_ip: str | None) -> dict:
    return {"username": username[:64], "client_ip": (client_ip or "unknown")[:64]}


def locked_until(session, username: str, client_ip: str | None):
    """When the pair's lock ends, or None when it may try."""
    until = session.scalar(
        sa.select(LoginThrottle.locked_until).filter_by(**_pair(username, client_ip))
    )
    return until if until is not None and until > now() else None


def register_failure(session, username: str, client_ip: str | None):
    """Count one failure of the pair (atomic upsert); returns the lock's end when this
    failure locked the pair, else None."""
    moment = now()
    pair = _pair(username, client_ip)
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stale = LoginThrottle.window_started_at <= moment - WINDOW
    stmt = insert(LoginThrottle).values(**pair, failures=1, window_started_at=moment)
    failures = session.execute(
        stmt.on_conflict_do_update(
            index_elements=["username", "client_ip"],
            set_={
                "failures": sa.case((stale, 1), else_=LoginThrottle.failures + 1),
                "window_started_at": sa.case(
                    (stale, moment), else_=LoginThrottle.window_started_at
                ),
            },
        ).returning(LoginThrottle.failures)
    ).scalar_one()
    session.execute(
        sa.delete(LoginThrottle).where(
            LoginThrottle.window_started_at < moment - KEEP,
            sa.or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < moment),
        )
    )
    if failures < MAX_FAILURES:
        return None
    until = moment + LOCK_FOR
    # The count restarts: after the lock the pair gets a fresh five tries.
    session.execute(
        sa.update(LoginThrottle)
        .filter_by(**pair)
        .values(locked_until=until, failures=0, window_started_at=moment)
    )
    return until


def clear(session, username: str, client_ip: str | None) -> None:
    """A full sign-in forgets the pair's failures."""
    session.execute(sa.delete(LoginThrottle).filter_by(**_pair(username, client_ip)))
