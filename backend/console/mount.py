"""Mounting the console: the blueprint with every page module registered on it."""

from __future__ import annotations

from backend.console import (  # noqa: F401  (each module adds its pages to the blueprint)
    auth_pages,
    complaint_pages,
    district_oversight_pages,
    district_pages,
    fee_pages,
    filing_pages,
    lottery_pages,
    pickup_pages,
    school_pages,
    signup_pages,
    staff_pages,
    term_pages,
)
from backend.console.blueprint import bp


def register(app) -> None:
    """Mount the console under /console."""
    app.register_blueprint(bp)
