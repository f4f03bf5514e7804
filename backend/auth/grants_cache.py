"""The caller's grants cached in Redis, so an authenticated request reads no grant rows.

Every cached entry carries the grants version it was read under; any transaction that
changes a grant or a binding (role_grants, guardian_links, a pupil's school or activity)
sets a new version when it commits, so the next request of every user reads the database
again: a revoked grant stops working at once. The version is read before the database,
so an entry can never carry a version newer than the rows it was read from. Redis down
means the database is read on every request: correct, just slower.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import weakref

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

VERSION_KEY = "kehou:grants:version"
# Bounds the life of an entry whose invalidation was lost (Redis down during a change).
TTL_SECONDS = 300
WATCHED_TABLES = frozenset({"role_grants", "guardian_links"})
# A pupil's row counts only when what a guardian grant derives from changes.
STUDENT_FIELDS = ("school_id", "active")
_CHANGED = "kehou_grants_changed"
log = logging.getLogger(__name__)
# Each app's Redis by its engine: a transaction finds whom to tell through its own bind,
# inside or outside an app context (CLI, workers, tests).
_REDIS_OF_ENGINE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def register(engine, redis) -> None:
    """Tell the grants cache which Redis the transactions on `engine` invalidate."""
    _REDIS_OF_ENGINE[engine] = redis


def _redis():
    return current_app.extensions["kehou"]["redis"]


def _redis_of(session):
    try:
        return _REDIS_OF_ENGINE.get(session.get_bind().engine)
    except Exception:  # an unbound session: nothing cached can depend on it
        return None


def _user_key(user_id: int) -> str:
    return f"kehou:grants:u:{user_id}"


def cached_grants(session, user_id: int, load, grant) -> list:
    """The user's grants from Redis when current, else from load(session, user_id);
    `grant(**fields)` rebuilds a cached one (the caller's Grant: no import back)."""
    redis = _redis()
    try:
        version, raw = redis.mget(VERSION_KEY, _user_key(user_id))
        if version is None:
            # Never seen or lost (flush, eviction): a fresh random version matches no
            # entry written before, so nothing older can be served.
            redis.set(VERSION_KEY, secrets.token_hex(8), nx=True)
    except RedisError:
        return load(session, user_id)
    if raw is not None and version is not None:
        data = json.loads(raw)
        if data["v"] == version.decode():
            return [grant(**item) for item in data["g"]]
    grants = load(session, user_id)
    if version is not None:
        entry = json.dumps({"v": version.decode(), "g": [gr.as_dict() for gr in grants]})
        with contextlib.suppress(RedisError):
            redis.set(_user_key(user_id), entry, ex=TTL_SECONDS)
    return grants


def bump_version(redis) -> None:
    """Invalidate every cached entry (a new random version; Redis down: logged)."""
    if redis is None:
        return
    try:
        redis.set(VERSION_KEY, secrets.token_hex(8))
    except RedisError:
        log.warning("grants version not bumped: Redis unavailable")


def _touches_grants(obj, deleted: bool) -> bool:
    table = getattr(getattr(obj, "__table__", None), "name", None)
    if table in WATCHED_TABLES:
        return True
    if table != "students":
        return False
    if deleted:
        return True
    from sqlalchemy import inspect

    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in STUDENT_FIELDS)


@event.listens_for(Session, "before_flush")
def _note_flush(session, _flush_context, _instances) -> None:
    dirty = [(o, False) for o in (*session.new, *session.dirty)]
    if any(_touches_grants(o, d) for o, d in (*dirty, *((o, True) for o in session.deleted))):
        session.info[_CHANGED] = True


@event.listens_for(Session, "after_flush_postexec")
def _bump_after_flush(session, _flush_context) -> None:
    # Not the bump that matters (a reader may still see the rows before commit, which
    # the bump after commit covers): it serves readers sharing this transaction's
    # connection, such as the tests' outer transaction.
    if session.info.get(_CHANGED):
        bump_version(_redis_of(session))


@event.listens_for(Session, "do_orm_execute")
def _note_bulk(state) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in WATCHED_TABLES | {"students"}:
        state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session) -> None:
    if session.info.pop(_CHANGED, False):
        bump_version(_redis_of(session))


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session, _previous) -> None:
    if not session.in_transaction():
        session.info.pop(_CHANGED, None)
