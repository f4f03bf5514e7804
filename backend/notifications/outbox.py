"""Outbox: enqueue messages inside a transaction; hand them to the worker after commit."""

from __future__ import annotations


def dispatch_pending(session) -> None:
    """Called after a commit; the delivery wake-up is wired by the worker module."""
    return None
