"""Issuing, rotating and revoking sign-in sessions (shared by app and admin sign-in)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from backend.auth.models import AuthSession, RefreshToken
from backend.auth.tokens import digest, make_access_token, new_secret
from backend.common.clock import now


def _settings():
    return current_app.extensions["kehou"]["settings"]


def open_session(
    session, *, user_id=None, admin_id=None, client_ip=None, second_factor=False
) -> dict:
    """Create a session and its first tokens; the caller's unit of work commits.

    second_factor: an admin session whose TOTP was proven (else it may only enrol TOTP)."""
    settings = _settings()
    moment = now()
    kind = "admin" if admin_id else "user"
    ttl = settings.admin_token_ttl if admin_id else settings.refresh_token_ttl
    row = AuthSession(
        user_id=user_id,
        admin_id=admin_id,
        expires_at=moment + timedelta(seconds=ttl),
        last_seen_at=moment,
        client_ip=client_ip,
        second_factor_at=moment if admin_id and second_factor else None,
    )
    session.add(row)
    session.flush()
    tokens = {
        "access_token": make_access_token(row.id, kind),
        "expires_in": settings.admin_token_ttl if admin_id else settings.access_token_ttl,
        "token_type": "Bearer",
    }
    if user_id:
        tokens["refresh_token"] = _new_refresh(session, row)
    return tokens


def _new_refresh(session, row: AuthSession) -> str:
    secret = new_secret()
    session.add(
        RefreshToken(session_id=row.id, token_hash=digest(secret), expires_at=row.expires_at)
    )
    return secret


def rotate(session, refresh_token: str) -> tuple[AuthSession, dict] | tuple[None, str]:
    """Use a refresh token once. Returns (session, tokens) or (None, reason).

    Presenting a token that was already used means it was copied: the whole session
    (every token of the family) is revoked.
    """
    token = session.scalar(
        sa.select(RefreshToken).where(RefreshToken.token_hash == digest(refresh_token))
    )
    if token is None:
        return None, "invalid"
    row = session.get(AuthSession, token.session_id)
    moment = now()
    if row.revoked_at is not None or row.expires_at <= moment or token.expires_at <= moment:
        return None, "expired"
    # Conditional update: of two concurrent uses only one wins; the loser is a reuse.
    used = session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.id == token.id, RefreshToken.used_at.is_(None))
        .values(used_at=moment)
    ).rowcount
    if used != 1:
        revoke(session, row, reason="refresh_reused")
        return None, "reused"
    row.last_seen_at = moment
    tokens = {
        "access_token": make_access_token(row.id, "user"),
        "expires_in": _settings().access_token_ttl,
        "token_type": "Bearer",
        "refresh_token": _new_refresh(session, row),
    }
    return row, tokens


def revoke(session, row: AuthSession, *, reason: str) -> None:
    if row.revoked_at is None:
        row.revoked_at = now()
        row.revoked_reason = reason
