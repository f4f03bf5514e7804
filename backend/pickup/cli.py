"""`flask --app backend pickup sweep`: overdue alerts and the end-of-day expiry."""

from __future__ import annotations

import click


def register(app) -> None:
    @app.cli.group("pickup")
    def pickup():
        """Pickup safety nets."""

    @pickup.command("sweep")
    def sweep():
        """Alert once about pupils still in school after service end + grace, and expire
        past days' open codes and notices. Safe to run every few minutes."""
        from backend.pickup.jobs import sweep as run

        click.echo(run())
