"""`flask --app backend complaints sweep`: flag overdue complaints (run daily)."""

from __future__ import annotations

import click


def register(app) -> None:
    @app.cli.group("complaints")
    def complaints():
        """Complaint channel jobs."""

    @complaints.command("sweep")
    def sweep():
        """Flag complaints past their due time (once each) and tell their filers; the
        office sees them in its list (overdue=true) and summary. Idempotent."""
        from backend.complaints.jobs import sweep as run

        click.echo(run())
