"""Test harness: real PostgreSQL/Redis when configured, SQLite + fakeredis otherwise.

Each test runs inside one connection's outer transaction; services' commits become
savepoints, and everything is rolled back afterwards. Tests that need real commits from
several connections (concurrency) use the `committed` fixture instead.
"""

from __future__ import annotations

import os
import tempfile

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from backend import create_app
from backend.database import Base
from backend.settings import Settings

# create_app() and Settings.from_env() default to production checks; the suite runs the
# fakes on purpose (tests that check the production default unset this themselves).
os.environ.setdefault("KEHOU_ENV", "testing")

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_URL = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
REDIS_URL = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL") or ""

if IN_CI and not (PG_URL.startswith("postgresql") and REDIS_URL):
    raise pytest.UsageError("CI=true needs TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL")


def _ensure_database(url: str) -> None:
    target = sa.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
        )
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def fake_wechat():
    from backend.wechat.fake_server import FakeWeChat

    server = FakeWeChat.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app(fake_wechat):
    if PG_URL.startswith("postgresql"):
        _ensure_database(PG_URL)
        db_url = PG_URL
    else:
        db_url = f"sqlite:///{tempfile.mkdtemp(prefix='kehou-test-')}/test.sqlite3"
    settings = Settings.from_env(
        env="testing",
        database_url=db_url,
        redis_url=REDIS_URL,
        secret_key="test-secret-key-" + "x" * 32,
        wechat_api_base_url=fake_wechat.base_url,
        log_json=True,
        extra={"access_log": False},
    )
    application = create_app(settings)
    application.config["TESTING"] = True
    from tests import factories

    factories.APP = application
    engine = application.extensions["kehou"]["engine"]
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    yield application
    engine.dispose()


@pytest.fixture(scope="session")
def is_pg(app) -> bool:
    return app.extensions["kehou"]["engine"].dialect.name == "postgresql"


@pytest.fixture
def requires_pg(is_pg):
    """For claims only a real PostgreSQL can prove; never skipped in CI."""
    if not is_pg:
        if IN_CI:
            pytest.fail("this test needs PostgreSQL and CI must provide it")
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL)")


@pytest.fixture
def requires_redis():
    if not REDIS_URL:
        if IN_CI:
            pytest.fail("this test needs Redis and CI must provide it")
        pytest.skip("needs Redis (set TEST_REDIS_URL)")


@pytest.fixture(autouse=True)
def _clean_redis(app):
    app.extensions["kehou"]["redis"].flushdb()
    from backend.extensions import limiter

    limiter.reset()
    yield


@pytest.fixture(autouse=True)
def _fresh_fake_wechat(fake_wechat):
    fake_wechat.reset()
    yield


@pytest.fixture
def db(app):
    """A session inside the test's outer transaction; the app uses the same connection."""
    ext = app.extensions["kehou"]
    original = ext["sessionmaker"]
    connection = ext["engine"].connect()
    outer = connection.begin()
    factory = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    ext["sessionmaker"] = factory
    session = factory()
    try:
        yield session
    finally:
        session.close()
        ext["sessionmaker"] = original
        outer.rollback()
        connection.close()


@pytest.fixture
def committed(app):
    """Real commits on separate connections (for concurrency); tables emptied afterwards."""
    ext = app.extensions["kehou"]
    session = ext["sessionmaker"]()
    try:
        yield session
    finally:
        session.close()
        engine = ext["engine"]
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in reversed(Base.metadata.sorted_tables):
                    conn.execute(table.delete())


@pytest.fixture
def client(app, db):
    return app.test_client()
