"""Mini-program API: WeChat sign-in, token refresh, logout and the verified phone."""

from __future__ import annotations

import hashlib

from flask import current_app, request

from backend.auth import service
from backend.auth.context import public, require_user
from backend.auth.schemas import PhoneIn, PhoneOut, RefreshIn, TokensOut, WeChatLoginIn
from backend.common.pagination import Blueprint
from backend.extensions import limiter, rate_key_by_address

blp = Blueprint(
    "auth_app",
    __name__,
    url_prefix="/api/v1/auth",
    description="Sign-in with WeChat and our own rotating tokens",
)

# A wx.login() code is good for one exchange; more tries than this are a client loop or abuse.
CODE_LIMIT = "10/minute"


def _login_limit() -> str:
    return current_app.extensions["kehou"]["settings"].rate_limit_login


def _rate_key_by_code() -> str:
    body = request.get_json(silent=True)
    code = body.get("code") if isinstance(body, dict) else None
    if not isinstance(code, str):
        return "code:none"
    # Hashed: the key lands in Redis, and a login code should not.
    return "code:" + hashlib.sha256(code.encode()).hexdigest()[:32]


@blp.route("/wechat-login", methods=["POST"])
@public
@limiter.limit(_login_limit, key_func=rate_key_by_address)
@limiter.limit(CODE_LIMIT, key_func=_rate_key_by_code)
@blp.arguments(WeChatLoginIn)
@blp.response(200, TokensOut)
@blp.alt_response(
    401,
    description="`wechat_code_invalid`: WeChat rejected the code "
    "(invalid, used or expired); call wx.login() again.",
)
@blp.alt_response(422, description="`validation_error`: missing, unknown or overlong field.")
@blp.alt_response(
    429,
    description="`rate_limited`: too many sign-ins from this address "
    "or with this code; see Retry-After.",
)
@blp.alt_response(
    503,
    description="`wechat_unavailable`: WeChat could not be reached; "
    "nothing was written, retry later.",
)
def wechat_login(data):
    """Sign in with a wx.login() code.

    The code is exchanged with WeChat (code2Session); the first sign-in creates the user.
    Returns a short-lived access token and a refresh token, and the user's roles.
    """
    return service.wechat_login(data["code"], client_ip=request.remote_addr)


@blp.route("/refresh", methods=["POST"])
@public
@blp.arguments(RefreshIn)
@blp.response(200, TokensOut)
@blp.alt_response(
    401,
    description="`refresh_token_invalid`: unknown, expired or signed-out "
    "token. `refresh_token_reused`: the token was already used, so the whole "
    "session was ended; sign in again.",
)
@blp.alt_response(422, description="`validation_error`")
def refresh(data):
    """Trade a refresh token for new tokens.

    Each refresh token works once: the answer carries its successor. Presenting a used one
    again ends the session (every token of it) for safety.
    """
    return service.refresh(data["refresh_token"])


@blp.route("/logout", methods=["POST"])
@blp.response(204)
@blp.alt_response(401, description="`unauthorized` or `session_expired`")
def logout():
    """Sign out: this session's access and refresh tokens stop working."""
    service.logout(require_user().session_id)


@blp.route("/phone", methods=["POST"])
@blp.arguments(PhoneIn)
@blp.response(200, PhoneOut)
@blp.alt_response(401, description="`unauthorized` or `session_expired`")
@blp.alt_response(
    422,
    description="`phone_code_invalid`: WeChat rejected the phone code "
    "(invalid, used or expired). `validation_error`: bad body.",
)
@blp.alt_response(503, description="`wechat_unavailable`: WeChat could not be reached.")
def phone(data):
    """Store my phone number as verified by WeChat (the getPhoneNumber button's code).

    The verified phone is what links a guardian to their children on the school roster.
    """
    return service.verify_phone(require_user().id, data["code"])
