"""The console's blueprint, its sign-in hook, and what every page template is given."""

from __future__ import annotations

from flask import Blueprint, g

from backend.common.clock import SCHOOL_TZ, local_now
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
    return {"csrf_token": csrf_token, "actor": g.get("actor"), "now_hhmmss": _now_hhmmss}


def _now_hhmmss() -> str:
    return local_now().strftime("%H:%M:%S")


@bp.app_template_filter("local")
def local(moment, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant on the school's wall clock (Asia/Shanghai)."""
    if moment is None:
        return "—"
    if getattr(moment, "tzinfo", None) is not None:
        moment = moment.astimezone(SCHOOL_TZ)
    return moment.strftime(fmt)


@bp.app_template_filter("yuan")
def yuan(fen) -> str:
    """Fen as yuan with two decimals (integer arithmetic: no float rounding)."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


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
