"""The console's sign-in state: the admin session in an HttpOnly cookie, and CSRF tokens.

The cookie holds the same admin access token the admin API uses, so the console shares
the API's sessions, lockout, TOTP and idle timeout (auth.context reads it). A form's CSRF
token is an HMAC of the session id: a page of another site can neither read it nor make it.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import wraps

from flask import abort, current_app, g, redirect, request, url_for

from backend.auth.context import actor_from_admin_token
from backend.errors import DomainError

COOKIE = "kehou_console"


def csrf_token() -> str:
    """The CSRF token of the signed-in session ('' when nobody is signed in)."""
    actor = g.get("actor")
    if actor is None:
        return ""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"console-csrf:{actor.session_id}".encode(), hashlib.sha256).hexdigest()


def check_csrf() -> None:
    """403 for a write without the session's CSRF token (form field or X-CSRF-Token)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    if not (g.get("actor") and hmac.compare_digest(sent, csrf_token())):
        abort(403)


def load_actor() -> None:
    """before_request of the console: the admin behind the cookie, or nobody."""
    g.actor = None
    token = request.cookies.get(COOKIE)
    if token:
        try:
            g.actor = actor_from_admin_token(token)
        except DomainError:  # expired, idle or revoked: sign in again
            g.actor = None


def set_cookie(response, token: str, max_age: int):
    """The session cookie: HttpOnly, SameSite=Strict, Secure outside development."""
    secure = current_app.extensions["kehou"]["settings"].env == "production"
    response.set_cookie(
        COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="Strict",
        secure=secure,
        path="/console",
    )
    return response


def signed_in(view):
    """A page for a signed-in admin with TOTP enrolled; others sign in or enrol first."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.get("actor") is None:
            return redirect(url_for("console.login", next=request.path))
        check_csrf()
        # A session that has not proved TOTP may only enrol it, as on the admin API.
        if request.endpoint != "console.totp" and not g.actor.second_factor:
            return redirect(url_for("console.totp"))
        return view(*args, **kwargs)

    return wrapper
