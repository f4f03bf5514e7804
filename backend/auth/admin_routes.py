"""Admin sign-in routes: login with lockout and TOTP, logout, TOTP enrolment, password."""

from __future__ import annotations

from flask import current_app, request

from backend.auth import admin_service
from backend.auth.admin_schemas import (
    AdminLoginIn,
    AdminOtpIn,
    AdminOut,
    AdminPasswordChangeIn,
    AdminTokenOut,
    TotpSetupOut,
    TotpStateOut,
)
from backend.auth.context import public
from backend.common.pagination import Blueprint
from backend.extensions import limiter, rate_key_by_address

blp = Blueprint(
    "admin_auth",
    __name__,
    url_prefix="/admin/api/v1/auth",
    description=(
        "Office sign-in: password (argon2) + TOTP (required: a session without it may only "
        "enrol), lockout per username and address after 5 failures, idle expiry."
    ),
)

# The lockout stops guessing; this caps the hashing one address spends on one name.
# Never per name alone: a stranger could then keep the real admin out.
LOGIN_PER_USERNAME = "20/minute"


def _login_limit() -> str:
    return current_app.extensions["kehou"]["settings"].rate_limit_login


def _username_key() -> str:
    data = request.get_json(silent=True)
    name = data.get("username") if isinstance(data, dict) else None
    name = name.strip().lower()[:64] if isinstance(name, str) else ""
    return f"admin-login:{name}:{rate_key_by_address()}"


@blp.route("/login", methods=["POST"])
@public
@limiter.limit(_login_limit, key_func=rate_key_by_address)
@limiter.limit(LOGIN_PER_USERNAME, key_func=_username_key)
@blp.arguments(AdminLoginIn)
@blp.response(200, AdminTokenOut)
@blp.alt_response(401, description="invalid_credentials, otp_required or invalid_otp")
@blp.alt_response(
    423, description="account_locked: this username from this address (Retry-After: how long)"
)
def login(args):
    """Sign in with username, password and (once enrolled) the TOTP code.

    Unknown usernames and wrong passwords get the same 401 `invalid_credentials`, in the
    same time. Five failures (password or TOTP code) of one username from one client
    address within 15 minutes lock that username for that address for 15 minutes (423
    `account_locked`, Retry-After), an unknown username exactly like a known one; other
    addresses are not locked out. `totp_enabled` false: the account has no TOTP yet and
    this session may only enrol it (`/auth/totp/setup`, `/auth/totp/confirm`) or log out;
    every other admin endpoint answers it 403 `totp_enrollment_required`.
    """
    return admin_service.login(
        args["username"], args["password"], args.get("otp"), request.remote_addr
    )


@blp.route("/logout", methods=["POST"])
@blp.response(204)
def logout():
    """End this session: its token stops working at once."""
    admin_service.logout()


@blp.route("/me", methods=["GET"])
@blp.response(200, AdminOut)
def me():
    """The signed-in admin account (school_id null = platform admin)."""
    return admin_service.me()


@blp.route("/totp/setup", methods=["POST"])
@blp.response(200, TotpSetupOut)
def totp_setup():
    """Start TOTP enrolment: returns a new secret and its otpauth:// URI (shown once).

    409 `totp_already_enabled` once enrolled: a password alone (a session without the
    code) can never replace the authenticator."""
    return admin_service.totp_setup()


@blp.route("/totp/confirm", methods=["POST"])
@blp.arguments(AdminOtpIn)
@blp.response(200, TotpStateOut)
def totp_confirm(args):
    """Confirm enrolment with a code from the app; from then on sign-in needs a code.

    Also makes this session a full one (until then it may only enrol)."""
    return admin_service.totp_confirm(args["otp"])


@blp.route("/password", methods=["POST"])
@blp.arguments(AdminPasswordChangeIn)
@blp.response(204)
def change_password(args):
    """Change one's own password (policy: 10+ characters, letters and digits)."""
    admin_service.change_password(args["current_password"], args["new_password"])
