"""Idempotency-Key for creating POSTs: a repeat returns the first response, no new effect.

Some first responses carry secrets (a handoff code and its QR token). Nothing readable is
kept at rest: the row holds the key's SHA-256 and the response sealed (Fernet) with a key
derived from SECRET_KEY and the client's Idempotency-Key, which only the client holds.
A row is served for REPLAY_WINDOW; after that the key starts afresh and
`flask idempotency purge` deletes it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import timedelta
from functools import wraps

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from flask import Response, current_app, request
from sqlalchemy.exc import IntegrityError

from backend.auth.context import current_actor
from backend.common.clock import now
from backend.common.models import IdempotencyKey
from backend.database import session_factory, unit_of_work
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


def _expired(row: IdempotencyKey) -> bool:
    return row.created_at is not None and row.created_at <= now() - REPLAY_WINDOW


def _fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _claim(principal: str, key: str, fingerprint: str):
    """Insert the in-flight marker in its own transaction; return (row, claimed_by_us).

    `key` is the key's digest. A row past the replay window is deleted and the key
    claimed afresh, as if it had never been used."""
    with session_factory()() as session:
        try:
            row = IdempotencyKey(principal=principal, key=key, fingerprint=fingerprint)
            session.add(row)
            session.commit()
            return row, True
        except IntegrityError:
            session.rollback()
        deadline = time.monotonic() + _WAIT_SECONDS
        while True:
            row = session.scalar(
                sa.select(IdempotencyKey).where(
                    IdempotencyKey.principal == principal, IdempotencyKey.key == key
                )
            )
            if row is None:  # the first attempt failed and released the key: take it
                return _claim(principal, key, fingerprint)
            if _expired(row):
                session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.id == row.id))
                session.commit()
                return _claim(principal, key, fingerprint)
            if row.fingerprint != fingerprint or row.status_code is not None:
                return row, False
            if time.monotonic() > deadline:
                raise RequestInProgress()
            session.rollback()
            time.sleep(0.05)


def _finish(row_id: int, response: Response | None, sealer: Fernet) -> None:
    """Keep a 2xx answer sealed; release the key (delete the row) otherwise."""
    with session_factory()() as session:
        if response is None:
            session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.id == row_id))
        else:
            session.execute(
                sa.update(IdempotencyKey)
                .where(IdempotencyKey.id == row_id)
                .values(
                    status_code=response.status_code,
                    response_body=sealer.encrypt(response.get_data()).decode(),
                    content_type=response.content_type,
                )
            )
        session.commit()


def _replay(row: IdempotencyKey, sealer: Fernet) -> Response | None:
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
    an error releases the key so that a retry is tried afresh."""

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
        row, ours = _claim(principal, _key_digest(key), _fingerprint())
        if not ours:
            if row.fingerprint != _fingerprint():
                raise IdempotencyKeyReused()
            replay = _replay(row, sealer)
            if replay is not None:
                return replay
            _finish(row.id, None, sealer)  # unreadable: start afresh
            return wrapper(*args, **kwargs)
        try:
            response = view(*args, **kwargs)
        except BaseException:
            _finish(row.id, None, sealer)
            raise
        _finish(row.id, response if 200 <= response.status_code < 300 else None, sealer)
        return response

    return wrapper
