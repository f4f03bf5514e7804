"""Alembic environment: Kehou's models, any database URL, batch mode on SQLite.

The URL comes from the Alembic config (`sqlalchemy.url`, set by `flask --app backend db
...`), else DATABASE_URL, else the embedded dev SQLite file. A caller may also hand over
an open connection in `config.attributes["connection"]` (tests do).
"""

from __future__ import annotations

import logging
import os
import sys
from logging.config import fileConfig
from pathlib import Path

import sqlalchemy as sa
from alembic import context

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import backend.models  # noqa: E402,F401  (registers every table on Base.metadata)
from backend.database import Base  # noqa: E402

config = context.config
target_metadata = Base.metadata

# Configure logging from alembic.ini only when nobody has (the Flask app and pytest have).
if (
    config.config_file_name is not None
    and config.attributes.get("configure_logger", True)
    and not logging.getLogger().handlers
):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL", "")
    if not url:
        from backend.settings import Settings

        # Only the embedded dev database is a sensible fallback here.
        url = Settings.from_env(env="development").database_url
    return url


def render_item(type_, obj, autogen_context):
    # Our TypeDecorators (TZDateTime) are written as their plain SQL type, so revisions
    # never import application code that may later change.
    if type_ == "type" and isinstance(obj, sa.types.TypeDecorator):
        autogen_context.imports.add("import sqlalchemy as sa")
        return f"sa.{obj.impl!r}"
    return False


def process_revision_directives(context_, revision, directives):
    # `alembic revision --autogenerate` with no model change writes no empty revision.
    cmd_opts = getattr(config, "cmd_opts", None)
    if cmd_opts is not None and getattr(cmd_opts, "autogenerate", False):
        script = directives[0]
        if script.upgrade_ops.is_empty():
            directives[:] = []
            print("No changes in schema detected; no revision written.")


def _configure(**kwargs) -> None:
    url = kwargs.pop("url", None)
    connection = kwargs.pop("connection", None)
    dialect = (
        connection.dialect.name if connection is not None else sa.make_url(url).get_backend_name()
    )
    context.configure(
        url=url,
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=False,
        render_as_batch=dialect == "sqlite",
        render_item=render_item,
        process_revision_directives=process_revision_directives,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(
        url=database_url(),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    connectable = sa.create_engine(database_url(), poolclass=sa.pool.NullPool)
    try:
        with connectable.connect() as conn:
            _run_on(conn)
            conn.commit()
    finally:
        connectable.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
