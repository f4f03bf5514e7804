"""Engine, sessions and the declarative Base (plain SQLAlchemy 2, no Flask-SQLAlchemy)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app, g
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class TZDateTime(sa.types.TypeDecorator):
    """Timezone-aware instants on both PostgreSQL and SQLite (stored as UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow, nullable=False)


def make_engine(url: str, **kwargs) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _sqlite_serialized_writes(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    return sa.create_engine(url, **kwargs)


def _sqlite_serialized_writes(engine: sa.Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN; take the write lock up front so
    # concurrent writers serialize instead of failing with "database is locked" mid-way.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory() -> sessionmaker:
    return current_app.extensions["kehou"]["sessionmaker"]


def get_session() -> Session:
    """The request's session (one per request or CLI command, closed at teardown)."""
    if "db_session" not in g:
        g.db_session = session_factory()()
    return g.db_session


def execute_core(session: Session, statement, params=None):
    """Run a Core statement on the session's connection, inside its transaction.

    For the hot paths that build no ORM objects: it skips the ORM's execution layer
    (autoflush, ORM events, entity loading), about half the cost of a short statement.
    A statement that writes a table some session event watches must not use it."""
    return session.connection().execute(statement, params)


def close_session(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


# session.info keys of an outer scope that owns the commit (see one_transaction).
_OUTER = "kehou_outer_commit"
_UNITS_DONE = "kehou_units_done"


@contextmanager
def unit_of_work():
    """One business transaction: commit on success, roll back on any error.

    Inside `one_transaction` the outer scope commits instead: a unit flushes, and a unit
    after a finished one runs in a savepoint so that its failure keeps the finished work.
    What happens after the commit (the outbox waking its worker, the audit chain sealed
    before it) hooks in with session events from its own package, so this module imports
    no domain.
    """
    session = get_session()
    if session.info.get(_OUTER):
        with _deferred_unit(session):
            yield session
        return
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


@contextmanager
def _deferred_unit(session: Session):
    """A unit of work whose commit belongs to the enclosing one_transaction."""
    savepoint = session.begin_nested() if session.info.get(_UNITS_DONE) else None
    try:
        yield
        if savepoint is not None:
            savepoint.commit()
        session.flush()
        session.info[_UNITS_DONE] = True
    except BaseException:
        if savepoint is not None:
            savepoint.rollback()
        else:
            session.rollback()
        raise


@contextmanager
def one_transaction(session: Session):
    """Run the units of work inside as one transaction; yields a callable telling whether
    any unit finished (its work is then still to be committed by the caller)."""
    session.info[_OUTER] = True
    session.info.pop(_UNITS_DONE, None)
    try:
        yield lambda: bool(session.info.get(_UNITS_DONE))
    finally:
        session.info.pop(_OUTER, None)
        session.info.pop(_UNITS_DONE, None)
