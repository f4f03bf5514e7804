"""`flask --app backend idempotency purge`: drop stored replays past their window."""

from __future__ import annotations

import click
from flask.cli import AppGroup


def register(app) -> None:
    group = AppGroup("idempotency", help="Stored first responses of Idempotency-Key requests.")

    @group.command("purge")
    def purge():
        """Delete stored responses older than the replay window (run daily or more often)."""
        from backend.common.idempotency import REPLAY_WINDOW, purge

        click.echo(f"purged {purge()} idempotency keys older than {REPLAY_WINDOW}")

    app.cli.add_command(group)
