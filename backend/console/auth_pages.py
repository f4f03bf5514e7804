"""Sign-in, TOTP enrolment and sign-out, over the admin API's own use cases."""

from __future__ import annotations

from flask import g, make_response, redirect, render_template, request, url_for

from backend.auth import admin_service
from backend.console.blueprint import bp
from backend.console.qr import qr_data_uri
from backend.console.session import COOKIE, check_csrf, set_cookie, signed_in
from backend.errors import DomainError, wants_english


def _message(exc: DomainError) -> str:
    zh, en = exc.messages()
    return en if wants_english() else zh


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form: username, password and the authenticator's code."""
    if request.method == "GET":
        return render_template("console/login.html", error=None, username="")
    form = request.form
    try:
        tokens = admin_service.login(
            form.get("username", ""),
            form.get("password", ""),
            form.get("otp") or None,
            request.remote_addr,
        )
    except DomainError as exc:
        page = render_template(
            "console/login.html",
            error=_message(exc),
            code=exc.code,
            username=form.get("username", ""),
        )
        return page, exc.status
    target = request.args.get("next") or url_for("console.home")
    if not target.startswith("/console"):
        target = url_for("console.home")
    return set_cookie(redirect(target), tokens["access_token"], tokens["expires_in"])


@bp.route("/totp", methods=["GET", "POST"])
@signed_in
def totp():
    """Enrol the authenticator: a new secret and its QR code, then confirm with a code."""
    if g.actor.second_factor:
        return redirect(url_for("console.home"))
    error = None
    if request.method == "POST":
        try:
            admin_service.totp_confirm(request.form.get("otp", ""))
            return redirect(url_for("console.home"))
        except DomainError as exc:
            error = _message(exc)
    setup = admin_service.totp_setup()
    return render_template(
        "console/totp.html",
        secret=setup["secret"],
        qr=qr_data_uri(setup["otpauth_uri"]),
        error=error,
    ), (422 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out: the session ends for the API too."""
    if g.get("actor") is not None:
        check_csrf()
        admin_service.logout()
    response = make_response(redirect(url_for("console.login")))
    response.delete_cookie(COOKIE, path="/console")
    return response
