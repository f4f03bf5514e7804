"""`flask --app backend surveys sweep`: opening messages and reminders of surveys."""

from __future__ import annotations

import click


def register(app) -> None:
    """Add the `surveys` command group."""

    @app.cli.group("surveys")
    def surveys():
        """Satisfaction surveys."""

    @surveys.command("sweep")
    def sweep():
        """Tell families when a survey opens and remind, once, those who have not answered
        within 24 hours of the close. Safe to run every few minutes."""
        from backend.surveys.jobs import sweep as run

        click.echo(run())
