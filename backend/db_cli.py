"""`flask db upgrade|check`: Alembic from the command line, on the app's DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def register(app) -> None:
    db = AppGroup("db", help="Database migrations (Alembic).")

    @db.command("upgrade")
    @click.argument("revision", default="head")
    def upgrade(revision):
        from alembic import command

        settings = app.extensions["kehou"]["settings"]
        command.upgrade(alembic_config(settings.database_url), revision)
        click.echo(f"database at {revision}")

    @db.command("check")
    def check():
        from alembic import command

        settings = app.extensions["kehou"]["settings"]
        command.check(alembic_config(settings.database_url))

    app.cli.add_command(db)
