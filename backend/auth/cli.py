"""`flask create-admin`: the first platform admin (and school admins) from the shell."""

from __future__ import annotations

import click

from backend.errors import DomainError


def register(app) -> None:
    @app.cli.command("create-admin")
    @click.option("--username", required=True, help="3-64 letters, digits, _ . -")
    @click.option(
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="At least 10 characters with letters and digits (prompted when omitted).",
    )
    @click.option("--school-id", type=int, default=None, help="A school admin of this school.")
    @click.option("--district-id", type=int, default=None, help="A district (bureau) admin.")
    def create_admin_command(username, password, school_id, district_id):
        """Create an admin account: platform admin, or school/district admin with an id."""
        import re

        from backend.auth.admin_schemas import USERNAME_RE
        from backend.auth.admin_service import create_admin

        if not re.fullmatch(USERNAME_RE, username):
            raise click.ClickException("用户名须为3-64位字母、数字或 _ . -")
        try:
            row = create_admin(username, password, school_id, district_id)
        except DomainError as exc:
            raise click.ClickException(exc.messages()[0]) from exc
        kind = (
            f"school {row['school_id']}"
            if row["school_id"]
            else f"district {row['district_id']}"
            if row["district_id"]
            else "platform"
        )
        click.echo(f"created {kind} admin {row['username']} (id {row['id']})")
