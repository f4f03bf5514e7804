"""The lottery of a lottery term for the school office: commit sha256(secret seed) before
the selection window closes, reveal the seed after it to draw, then read what is published."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from backend.console.blueprint import bp
from backend.console.forms import load, run
from backend.console.session import signed_in
from backend.courses import lottery
from backend.courses.schemas import CommitIn, DrawIn
from backend.schools import structure as schools
from backend.terms import service as terms


def _page(school_id: int, term_id: int, errors=None):
    """The commitment, the draw's seed and counts once drawn, and the two forms."""
    return render_template(
        "console/lottery.html",
        school=schools.get_school(school_id),
        term=terms.admin_term(school_id, term_id),
        draw=lottery.admin_view(school_id, term_id),
        errors=errors or {},
        inputs_path=f"/api/v1/terms/{term_id}/lottery/inputs",
    )


@bp.route("/schools/<int:school_id>/terms/<int:term_id>/lottery")
@signed_in
def lottery_page(school_id, term_id):
    """The term's lottery as the office sees it (404 for a first-come term)."""
    return _page(school_id, term_id)


ACTIONS = {
    "commit": lambda s, t, f: lottery.commit(s, t, load(CommitIn(), f)["seed_hash"]),
    "draw": lambda s, t, f: lottery.draw_lottery(s, t, load(DrawIn(), f)["seed"]),
}


@bp.route(
    "/schools/<int:school_id>/terms/<int:term_id>/lottery/<any(commit, draw):act>",
    methods=["POST"],
)
@signed_in
def lottery_action(school_id, term_id, act):
    """Commit the seed's hash, or reveal the seed and draw."""
    _, error = run(lambda: ACTIONS[act](school_id, term_id, request.form))
    if error is not None:
        return _page(school_id, term_id, {act: error}), 422
    return redirect(url_for("console.lottery_page", school_id=school_id, term_id=term_id))
