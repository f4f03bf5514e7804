"""Today's dismissal across the school, refreshing itself (htmx polls a partial)."""

from __future__ import annotations

from datetime import date

from flask import render_template, request

from backend.common.clock import today
from backend.console.blueprint import bp
from backend.console.session import signed_in
from backend.pickup import office_board, office_records
from backend.pickup.errors import NotAServiceDay
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


@bp.route("/schools/<int:school_id>/attendance")
@signed_in
def attendance(school_id):
    """A class's attendance for a day and the school's leave requests (read-only: the head
    teacher marks attendance and decides leave in the mini-program)."""
    school = schools.get_school(school_id)
    classes, _ = schools.list_classes(school_id, None, 1, 100)
    class_id = request.args.get("class_id", type=int) or (classes[0]["id"] if classes else None)
    day, sheet, no_service = _day(), [], None
    if class_id is not None:
        try:
            sheet = office_records.class_attendance(school_id, class_id, day)
        except NotAServiceDay:
            no_service = day
    status = request.args.get("status") or None
    leave, _ = office_records.leave_requests(school_id, status, 1, 100)
    return render_template(
        "console/attendance.html",
        school=school,
        classes=classes,
        class_id=class_id,
        day=day,
        sheet=sheet,
        no_service=no_service,
        leave=leave,
        status=status,
    )


def _day() -> date:
    """The day asked for (?date=YYYY-MM-DD), else today."""
    try:
        return date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return today()
