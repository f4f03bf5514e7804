"""`flask --app backend audit verify`: checks the hash chain, names the first broken row."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup


def register(app) -> None:
    audit = AppGroup("audit", help="Audit trail.")

    @audit.command("verify")
    def verify():
        from backend.audit.service import verify_chain
        from backend.database import get_session

        ok, broken, checked = verify_chain(get_session())
        if ok:
            click.echo(f"audit chain intact: {checked} rows")
            return
        where = (
            f"row id {broken.id} (chain {broken.chain}, seq {broken.seq})"
            if broken
            else ("the chain head")
        )
        click.echo(f"audit chain BROKEN at {where} after {checked} rows checked", err=True)
        sys.exit(1)

    app.cli.add_command(audit)
