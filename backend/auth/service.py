"""Mini-program sign-in: WeChat login, refresh-token rotation, logout and the verified phone."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.auth.context import load_grants
from backend.auth.errors import RefreshTokenInvalid, RefreshTokenReused
from backend.auth.models import AuthSession, User
from backend.auth.sessions import open_session, revoke, rotate
from backend.common.clock import now
from backend.common.privacy import mask_phone
from backend.database import unit_of_work
from backend.wechat.client import get_wechat

log = logging.getLogger("kehou.auth")


def _signed_in(session, user_id: int, tokens: dict) -> dict:
    roles = [grant.as_dict() for grant in load_grants(session, user_id)]
    return {**tokens, "user": {"id": user_id, "roles": roles}}


def _find_or_create_user(session, openid: str, unionid: str | None) -> User:
    user = session.scalar(sa.select(User).where(User.openid == openid))
    if user is not None:
        return user
    try:
        # A savepoint: two first logins of one user racing must not fail the loser.
        with session.begin_nested():
            user = User(openid=openid, unionid=unionid)
            session.add(user)
    except IntegrityError:
        user = session.scalar(sa.select(User).where(User.openid == openid))
    return user


def wechat_login(code: str, *, client_ip: str | None = None) -> dict:
    """Exchange a wx.login() code; the first login creates the user."""
    # WeChat is asked before the transaction opens: no row lock is held over the network,
    # and a WeChat failure cannot leave anything half written.
    identity = get_wechat().code_to_session(code)
    with unit_of_work() as session:
        user = _find_or_create_user(session, identity["openid"], identity["unionid"])
        if identity["unionid"] and user.unionid != identity["unionid"]:
            user.unionid = identity["unionid"]
        user.last_login_at = now()
        tokens = open_session(session, user_id=user.id, client_ip=client_ip)
        result = _signed_in(session, user.id, tokens)
    log.info("user %s signed in", user.id)
    return result


def refresh(refresh_token: str) -> dict:
    """Rotate a refresh token; a reused one ends the whole session."""
    with unit_of_work() as session:
        row, outcome = rotate(session, refresh_token)
        if row is not None:
            outcome = _signed_in(session, row.user_id, outcome)
    # Raised only after the commit, so a reuse's revocation of the session is kept.
    if row is None:
        if outcome == "reused":
            log.warning("refresh token reused; session revoked")
            raise RefreshTokenReused()
        raise RefreshTokenInvalid()
    return outcome


def logout(session_id: int) -> None:
    """End the caller's session: its access and refresh tokens stop working."""
    with unit_of_work() as session:
        row = session.get(AuthSession, session_id)
        if row is not None:
            revoke(session, row, reason="logout")


def verify_phone(user_id: int, code: str) -> dict:
    """Store the phone WeChat verified for the user (getPhoneNumber)."""
    phone = get_wechat().get_phone_number(code)
    with unit_of_work() as session:
        user = session.get(User, user_id)
        user.phone = phone
        user.phone_verified_at = now()
    return {"phone_masked": mask_phone(phone)}
