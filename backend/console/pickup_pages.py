"""Today's dismissal across the school, refreshing itself (htmx polls a partial)."""

from __future__ import annotations

from flask import render_template

from backend.console.blueprint import bp
from backend.console.session import signed_in
from backend.pickup import office_board
from backend.schools import structure as schools


@bp.route("/schools/<int:school_id>/dismissal")
@signed_in
def dismissal(school_id):
    """Each class's pupils still in school, collected, late and overdue, right now."""
    school = schools.get_school(school_id)
    board = office_board.school_board(school_id)
    return render_template("console/dismissal.html", school=school, board=board)


@bp.route("/schools/<int:school_id>/dismissal/board")
@signed_in
def dismissal_board(school_id):
    """The board alone: what the page's `hx-get` swaps in every 10 seconds."""
    board = office_board.school_board(school_id)
    return render_template("console/_dismissal_board.html", school_id=school_id, board=board)
