"""Running a unit of work again when PostgreSQL broke a deadlock by aborting it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import OperationalError

T = TypeVar("T")


def is_deadlock(exc: OperationalError) -> bool:
    """Whether the database aborted the transaction to break a deadlock (SQLSTATE 40P01)."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == "40P01"


def on_deadlock(work: Callable[..., T], *args, tries: int = 3, **kwargs) -> T:
    """Run `work` (a whole unit of work); run it again, a little later, if it was the one
    PostgreSQL aborted in a deadlock. Two pupils' changes that each promote the other
    lock each other's rows in opposite order; the retry finds the other one done."""
    for attempt in range(tries):
        try:
            return work(*args, **kwargs)
        except OperationalError as exc:
            if not is_deadlock(exc) or attempt == tries - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")
