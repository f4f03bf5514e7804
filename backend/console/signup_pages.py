"""Sign-up review progress, the posting (公示) and objections, for the school office."""

from __future__ import annotations

import marshmallow as ma
from flask import redirect, render_template, request, url_for

from backend.console import labels
from backend.console.blueprint import bp
from backend.console.forms import GENERIC, load, run
from backend.console.school_pages import current_term
from backend.console.session import signed_in
from backend.schools import structure as schools
from backend.signup import objections, publication, reports
from backend.signup.admin_schemas import ObjectionAnswerIn, OfficeApplicationQuery
from backend.terms import service as terms

PAGE_SIZE = 50
DONE = {"published": "已公示 {n} 人", "finalized": "公示结束，{n} 人确认参加"}


def _term(school_id: int):
    """The term asked for (?term_id=, checked by the use cases), else the current one."""
    term_id = request.args.get("term_id", type=int) or request.form.get("term_id", type=int)
    if not term_id:
        term = current_term(school_id)
        term_id = term["id"] if term is not None else None
    return terms.admin_term(school_id, term_id) if term_id else None


def _filters() -> tuple[dict, dict | None]:
    """The list's filters through the admin API's query schema (bad ones shown, not used)."""
    raw = {k: v for k, v in request.args.items() if k in ("state", "class_id") and v}
    try:
        return OfficeApplicationQuery().load(raw), None
    except ma.ValidationError as exc:
        return {}, exc.messages


def _page(school, term, *, error=None, answer_errors=None):
    """The whole page: counts, the filtered list, the posting's actions and objections."""
    filters, filter_errors = _filters()
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    rows, total, summary, objs = [], 0, None, []
    if term is not None:
        rows, total = reports.office_list(school.id, term["id"], filters, page, PAGE_SIZE)
        summary = reports.office_summary(school.id, term["id"])
        objs, _ = objections.objections(school.id, {"term_id": term["id"]}, 1, 100)
    classes, _ = schools.list_classes(school.id, None, 1, 100)
    return render_template(
        "console/signups.html",
        school=school,
        term=term,
        rows=rows,
        total=total,
        page=page,
        pages=(total + PAGE_SIZE - 1) // PAGE_SIZE,
        summary=summary,
        objections=objs,
        classes=classes,
        filters=filters,
        filter_errors=filter_errors,
        error=error,
        answer_errors=answer_errors or {},
        done=DONE.get(request.args.get("done", "")),
        done_n=request.args.get("n", 0, type=int),
        labels=labels,
    )


@bp.route("/schools/<int:school_id>/signups")
@signed_in
def signups(school_id):
    """Review progress and the term's applications, filtered by state and class."""
    school = schools.get_school(school_id)
    return _page(school, _term(school_id))


@bp.route("/schools/<int:school_id>/terms/<int:term_id>/posting", methods=["POST"])
@signed_in
def posting_action(school_id, term_id):
    """Publish the approved applications, or finalize the posting once its period is over."""
    school = schools.get_school(school_id)
    term = terms.admin_term(school_id, term_id)
    act = request.form.get("act")
    if act == "publish":
        result, error = run(lambda: publication.publish_as_office(school_id, term_id))
        count = result.entry_count if result else 0
    elif act == "finalize":
        result, error = run(lambda: publication.finalize(school_id, term_id))
        count = result["enrolled"] if result else 0
    else:
        error = (GENERIC[0], {})
    if error is None:
        done = "published" if act == "publish" else "finalized"
        target = url_for(
            "console.signups", school_id=school_id, term_id=term_id, done=done, n=count
        )
        return redirect(target)
    return _page(school, term, error=error), 409


@bp.route(
    "/schools/<int:school_id>/objections/<int:objection_id>/<any(uphold, dismiss):outcome>",
    methods=["POST"],
)
@signed_in
def objection_answer(school_id, objection_id, outcome):
    """Uphold (the application goes back to review) or dismiss an objection, with a reply."""
    school = schools.get_school(school_id)
    data = request.form
    upheld = "upheld" if outcome == "uphold" else "dismissed"
    _, error = run(
        lambda: objections.answer(
            school_id,
            objection_id,
            upheld,
            load(ObjectionAnswerIn(), data, ints=("application_id",)),
        )
    )
    if error is None:
        return redirect(
            url_for("console.signups", school_id=school_id, term_id=data.get("term_id"))
            + "#objections"
        )
    term = _term(school_id)
    return _page(school, term, answer_errors={objection_id: error}), 422
