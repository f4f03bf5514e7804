"""The console's blueprint, its sign-in hook, and what every page template is given."""

from __future__ import annotations

from flask import Blueprint, g

from backend.console.session import csrf_token, load_actor

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
bp.before_request(load_actor)


@bp.app_context_processor
def _page_globals():
    return {"csrf_token": csrf_token, "actor": g.get("actor")}


@bp.after_request
def _no_store(response):
    # Pages hold children's data: never cached, never framed by another site.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; frame-ancestors 'none'"
    )
    return response
