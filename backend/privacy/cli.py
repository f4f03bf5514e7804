"""`flask --app backend privacy retention`: anonymise pupils past the retention period."""

from __future__ import annotations

import click
from flask.cli import AppGroup


def register(app) -> None:
    privacy = AppGroup("privacy", help="Personal data retention.")

    @privacy.command("retention")
    def retention():
        """Anonymise every pupil whose last term ended more than retention_days ago."""
        from backend.privacy.service import retention_sweep

        click.echo(f"anonymised {retention_sweep()} pupils")

    app.cli.add_command(privacy)
