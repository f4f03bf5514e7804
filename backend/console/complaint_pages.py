"""Complaints (监督举报) for the school office: list, accept, reply. Anonymous filers and
their pupils are never shown: the page renders only what the use case's office view holds."""

from __future__ import annotations

import marshmallow as ma
from flask import redirect, render_template, request, url_for

from backend.complaints import handling
from backend.complaints.schemas import ComplaintQuery, ReplyIn
from backend.console import labels
from backend.console.blueprint import bp
from backend.console.forms import load, run
from backend.console.session import signed_in
from backend.schools import structure as schools

PAGE_SIZE = 30


def _filters() -> tuple[dict, dict | None]:
    raw = {k: v for k, v in request.args.items() if k in ("status", "category", "overdue") and v}
    try:
        return ComplaintQuery().load(raw), None
    except ma.ValidationError as exc:
        return {}, exc.messages


def _page(school, errors=None):
    """The summary, the filtered list, and a reply form under each accepted complaint."""
    filters, filter_errors = _filters()
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    rows, total = handling.list_for_school(school.id, filters, page, PAGE_SIZE)
    return render_template(
        "console/complaints.html",
        school=school,
        rows=rows,
        total=total,
        page=page,
        pages=(total + PAGE_SIZE - 1) // PAGE_SIZE,
        summary=handling.summary(school.id),
        filters=filters,
        filter_errors=filter_errors,
        errors=errors or {},
        labels=labels,
    )


@bp.route("/schools/<int:school_id>/complaints")
@signed_in
def complaints(school_id):
    """The school's complaints, newest first, by status, category or overdue."""
    return _page(schools.get_school(school_id))


@bp.route(
    "/schools/<int:school_id>/complaints/<int:complaint_id>/<any(accept, reply):act>",
    methods=["POST"],
)
@signed_in
def complaint_action(school_id, complaint_id, act):
    """Take a complaint up, or answer it (resolved or rejected) with a text for the filer."""
    school = schools.get_school(school_id)
    if act == "accept":
        _, error = run(lambda: handling.accept(school_id, complaint_id))
    else:
        form = request.form
        _, error = run(lambda: handling.reply(school_id, complaint_id, load(ReplyIn(), form)))
    if error is None:
        return redirect(url_for("console.complaints", school_id=school_id) + f"#c{complaint_id}")
    return _page(school, {complaint_id: error}), 422
