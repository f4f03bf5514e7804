"""Reads of the terms domain that other domains may call."""

from __future__ import annotations

from datetime import time

import sqlalchemy as sa

from backend.common.clock import today
from backend.terms.models import Agreement, CalendarOverride, Term

# R5: the latest end of after-school service by school stage.
LATEST_SERVICE_END = {"primary": time(18, 30), "middle": time(19, 0)}
STAGE_ZH = {"primary": "小学", "middle": "初中"}


def latest_service_end(stage: str | None) -> time:
    """The latest service end R5 allows for a school of this stage (primary if unknown)."""
    return LATEST_SERVICE_END.get(stage or "primary", LATEST_SERVICE_END["primary"])


def terms_ending_after(session, school_id: int, latest: time) -> list[int]:
    """Ids of the school's current and future terms whose service (or one of its calendar
    days) ends after `latest`."""
    late_day = sa.exists().where(
        CalendarOverride.term_id == Term.id, CalendarOverride.service_end_time > latest
    )
    return list(
        session.scalars(
            sa.select(Term.id)
            .where(
                Term.school_id == school_id,
                Term.ends_on >= today(),
                sa.or_(Term.service_end_time > latest, late_day),
            )
            .order_by(Term.id)
        )
    )


def has_agreement(session, term_id: int) -> bool:
    """Whether the term has an agreement families can agree to (sign-up needs one)."""
    return (
        session.scalar(sa.select(Agreement.id).where(Agreement.term_id == term_id).limit(1))
        is not None
    )
