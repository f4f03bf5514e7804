"""Idempotency-Key for creating POSTs: a repeat returns the first response, no new effect.

Some first responses carry secrets (a handoff code and its QR token). Nothing readable is
kept at rest: the row holds the key's SHA-256 and the response sealed (Fernet) with a key
derived from SECRET_KEY and the client's Idempotency-Key, which only the client holds.
A row is served for REPLAY_WINDOW; after that the key starts afresh and
`flask idempotency purge` deletes it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import time
from datetime import timedelta
from functools import wraps
from typing import NamedTuple

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from flask import Response, current_app, request

from backend.auth.context import current_actor
from backend.common.clock import now
from backend.common.models import IdempotencyKey
from backend.database import execute_core, get_session, one_transaction, unit_of_work
from backend.errors import ValidationFailed, define

IdempotencyKeyReused = define(
    "idempotency_key_reused",
    422,
    "该请求编号已用于另一份内容，请重新提交",
    "Idempotency-Key was used with another body",
)
RequestInProgress = define(
    "request_in_progress",
    409,
    "同一请求正在处理中，请稍候",
    "The same request is in progress",
)
_WAIT_SECONDS = 5.0
# How long a first response is replayed (a client retries within minutes, not days).
REPLAY_WINDOW = timedelta(hours=24)


def _key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _sealer(principal: str, key: str) -> Fernet:
    """The Fernet of one (principal, key): the server's secret alone cannot open a row."""
    secret = current_app.extensions["kehou"]["settings"].secret_key.encode()
    raw = hmac.new(secret, f"idempotency:{principal}:{key}".encode(), hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(raw))


def _expired(row) -> bool:
    return row.created_at is not None and row.created_at <= now() - REPLAY_WINDOW


def _fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


class _Claim(NamedTuple):
    """The key this request holds: its row and what identifies it."""

    row_id: int
    principal: str
    key: str
    fingerprint: str


def _insert_claim(session, principal: str, key: str, fingerprint: str) -> int | None:
    """Insert the key's row in the request's transaction; its id, or None when taken.

    On a duplicate the unique index makes this wait for the first request's transaction:
    its effect and its stored answer commit together, so the row it leaves is whole."""
    params = {"principal": principal, "key": key, "fingerprint": fingerprint, "at": now()}
    return execute_core(session, _claim_statement(_dialect(session)), params).scalar()


def _dialect(session) -> str:
    return session.get_bind().dialect.name


@functools.cache
def _claim_statement(dialect: str):
    """The claim's INSERT for one dialect, built once (PostgreSQL and SQLite both know
    ON CONFLICT DO NOTHING)."""
    return (
        _insert_for(dialect)(IdempotencyKey)
        .values(
            principal=sa.bindparam("principal"),
            key=sa.bindparam("key"),
            fingerprint=sa.bindparam("fingerprint"),
            created_at=sa.bindparam("at"),
        )
        .on_conflict_do_nothing(index_elements=["principal", "key"])
        .returning(IdempotencyKey.id)
    )


def _insert_for(dialect: str):
    """The dialect's INSERT construct."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


# A stored answer as plain values (a rollback follows; ORM rows would be expired by it).
_STORED = sa.select(
    IdempotencyKey.id,
    IdempotencyKey.fingerprint,
    IdempotencyKey.status_code,
    IdempotencyKey.response_body,
    IdempotencyKey.content_type,
    IdempotencyKey.created_at,
)


def _claim(session, principal: str, key: str, fingerprint: str):
    """Claim the key in the request's transaction; return (row id or row, claimed_by_us).

    `key` is the key's digest. A row past the replay window is deleted and the key
    claimed afresh, as if it had never been used. A row without an answer belongs to a
    first request that committed part of its work and is still finishing: wait for it."""
    deadline = time.monotonic() + _WAIT_SECONDS
    while True:
        row_id = _insert_claim(session, principal, key, fingerprint)
        if row_id is not None:
            return row_id, True
        mine = (IdempotencyKey.principal == principal, IdempotencyKey.key == key)
        row = session.execute(_STORED.where(*mine)).first()
        if row is not None and _expired(row):
            session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.id == row.id))
            continue
        if row is not None and (row.fingerprint != fingerprint or row.status_code is not None):
            session.rollback()
            return row, False
        # None: released between the two statements; else the first is still finishing.
        session.rollback()
        if time.monotonic() > deadline:
            raise RequestInProgress()
        if row is not None:
            time.sleep(0.05)


_STORE_ANSWER = (
    sa.update(IdempotencyKey)
    .where(IdempotencyKey.id == sa.bindparam("row_id"))
    .values(
        status_code=sa.bindparam("status_code"),
        response_body=sa.bindparam("response_body"),
        content_type=sa.bindparam("content_type"),
    )
)


def _settle(session, claim: _Claim, response: Response | None, sealer: Fernet, done) -> None:
    """End the request's transaction: keep a 2xx answer sealed beside its effect; on an
    error release the key, keeping what finished units of work did (an attempt log)."""
    if response is not None:
        values = {
            "status_code": response.status_code,
            "response_body": sealer.encrypt(response.get_data()).decode(),
            "content_type": response.content_type,
        }
        stored = execute_core(
            session,
            sa.update(IdempotencyKey).where(IdempotencyKey.id == claim.row_id).values(**values),
        ).rowcount
        if stored == 0:  # a unit failed and rolled the claim back, then the view went on
            session.execute(
                _insert_for(_dialect(session))(IdempotencyKey)
                .values(principal=claim.principal, key=claim.key, created_at=now(), **values)
                .values(fingerprint=claim.fingerprint)
                .on_conflict_do_nothing(index_elements=["principal", "key"])
            )
        session.commit()
    elif done():
        session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.id == claim.row_id))
        session.commit()
    else:
        session.rollback()


def _replay(row, sealer: Fernet) -> Response | None:
    """The first answer again; None when it cannot be opened (SECRET_KEY rotated)."""
    try:
        body = sealer.decrypt(row.response_body.encode())
    except InvalidToken:
        return None
    replay = Response(body, status=row.status_code, content_type=row.content_type)
    replay.headers["Idempotent-Replayed"] = "true"
    return replay


def purge() -> int:
    """Delete the rows past the replay window; returns how many. Safe to run any time."""
    with unit_of_work() as session:
        return session.execute(
            sa.delete(IdempotencyKey).where(IdempotencyKey.created_at <= now() - REPLAY_WINDOW)
        ).rowcount


def idempotent(view):
    """Decorate a creating POST (outermost decorator). Only 2xx answers are remembered:
    an error releases the key so that a retry is tried afresh.

    The claim, the view's units of work and the stored answer are one transaction on the
    request's session: one effect per key without a second connection or transaction."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        if not (1 <= len(key) <= 100) or not key.isascii():
            raise ValidationFailed(errors={"Idempotency-Key": ["1-100 ASCII characters"]})
        actor = current_actor()
        principal = f"{actor.kind}:{actor.id}"
        sealer = _sealer(principal, key)
        session = get_session()
        claim = _Claim(0, principal, _key_digest(key), _fingerprint())
        found, ours = _claim(session, *claim[1:])
        if not ours:
            return _answer_again(session, found, claim, sealer, wrapper, args, kwargs)
        claim = claim._replace(row_id=found)
        with one_transaction(session) as done:
            try:
                response = view(*args, **kwargs)
            except BaseException:
                _settle(session, claim, None, sealer, done)
                raise
            ok = 200 <= response.status_code < 300
            _settle(session, claim, response if ok else None, sealer, done)
        return response

    return wrapper


def _answer_again(session, row, claim: _Claim, sealer, wrapper, args, kwargs):
    """A key already used: the first answer, 422 for another body, or afresh when the
    stored answer cannot be opened (SECRET_KEY rotated)."""
    if row.fingerprint != claim.fingerprint:
        raise IdempotencyKeyReused()
    replay = _replay(row, sealer)
    if replay is not None:
        return replay
    with unit_of_work():
        session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.id == row.id))
    return wrapper(*args, **kwargs)
