"""`flask --app backend seed-demo`: create (or complete) the demo school."""

from __future__ import annotations

import click


def register(app) -> None:
    @app.cli.command("seed-demo")
    def seed_demo():
        """Create the demo school, its people, two admins and a running term (idempotent)."""
        from backend.demo import seed as demo_seed

        session = app.extensions["kehou"]["sessionmaker"]()
        try:
            demo = demo_seed.seed(session)
            click.echo(
                f"demo school {demo.school.name} ({demo.school.code}, id {demo.school.id}): "
                f"{len(demo.classes)} classes, {len(demo.pupils)} pupils, "
                f"{len(demo.users)} WeChat users; admins {demo_seed.SCHOOL_ADMIN} and "
                f"{demo_seed.PLATFORM_ADMIN} (password {demo_seed.ADMIN_PASSWORD})"
            )
            for username, secret in demo_seed.ADMIN_TOTP.items():
                click.echo(f"TOTP secret of {username}: {secret}")
            click.echo("a code now: flask --app backend totp-code --username demo-office")
        finally:
            session.close()
        _seed_term(app, demo_seed)

    def _seed_term(app, demo_seed) -> None:
        """The running term with courses, enrolled pupils and statements (backend/demo/term.py)."""
        from backend.demo.term import seed_running_term

        done = seed_running_term(app, demo_seed.SCHOOL_CODE, demo_seed.SCHOOL_ADMIN)
        click.echo(
            f"demo term {done['term']} (id {done['term_id']}): {done['courses']} courses, "
            f"{done['enrolled']} pupils enrolled, {done['statements']} statements this month"
        )

    @app.cli.command("totp-code")
    @click.option("--username", required=True)
    def totp_code(username):
        """Print the current TOTP code of an admin account (development and tests only)."""
        import pyotp
        import sqlalchemy as sa

        from backend.auth.models import AdminAccount

        if app.extensions["kehou"]["settings"].is_production:
            raise click.ClickException("totp-code is for development only")
        session = app.extensions["kehou"]["sessionmaker"]()
        try:
            secret = session.scalar(
                sa.select(AdminAccount.totp_secret).where(
                    AdminAccount.username == username.strip().lower(),
                    AdminAccount.totp_enabled.is_(True),
                )
            )
        finally:
            session.close()
        if not secret:
            raise click.ClickException(f"{username}: no such admin with TOTP enrolled")
        click.echo(pyotp.TOTP(secret).now())
