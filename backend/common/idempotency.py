"""Idempotency-Key for creating POSTs: a repeat returns the first response, no new effect."""

from __future__ import annotations

import hashlib
import time
from functools import wraps

import sqlalchemy as sa
from flask import Response, request
from sqlalchemy.exc import IntegrityError

from backend.auth.context import current_actor
from backend.common.models import IdempotencyKey
from backend.database import session_factory
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


def _fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _claim(principal: str, key: str, fingerprint: str):
    """Insert the in-flight marker in its own transaction; return (row, claimed_by_us)."""
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
            if row.fingerprint != fingerprint or row.status_code is not None:
                return row, False
            if time.monotonic() > deadline:
                raise RequestInProgress()
            session.rollback()
            time.sleep(0.05)


def _finish(row_id: int, response: Response | None) -> None:
    with session_factory()() as session:
        if response is None:
            session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.id == row_id))
        else:
            session.execute(
                sa.update(IdempotencyKey)
                .where(IdempotencyKey.id == row_id)
                .values(
                    status_code=response.status_code,
                    response_body=response.get_data(as_text=True),
                    content_type=response.content_type,
                )
            )
        session.commit()


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
        row, ours = _claim(f"{actor.kind}:{actor.id}", key, _fingerprint())
        if not ours:
            if row.fingerprint != _fingerprint():
                raise IdempotencyKeyReused()
            replay = Response(
                row.response_body, status=row.status_code, content_type=row.content_type
            )
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = view(*args, **kwargs)
        except BaseException:
            _finish(row.id, None)
            raise
        _finish(row.id, response if 200 <= response.status_code < 300 else None)
        return response

    return wrapper
