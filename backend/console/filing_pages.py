"""The school's filings (备案) to its district: submit, follow, resubmit, annual report."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from backend.common.clock import today
from backend.console import labels
from backend.console.blueprint import bp
from backend.console.forms import load, run
from backend.console.session import signed_in
from backend.districts import filings as filing_cases
from backend.districts import oversight
from backend.districts.schemas import FilingIn, FilingResubmitIn
from backend.schools import structure as schools
from backend.terms import service as terms


def _page(school, *, errors=None, draft=None, form=None):
    """The school's filings, newest first, with the new-filing form (maybe pre-filled)."""
    rows, total = filing_cases.school_filings(school.id, {}, 1, 100)
    return render_template(
        "console/filings.html",
        school=school,
        rows=rows,
        total=total,
        terms=terms.admin_terms(school.id),
        errors=errors or {},
        draft=draft or {},
        form=form or {},
        year=today().year,
        labels=labels,
    )


@bp.route("/schools/<int:school_id>/filings", methods=["GET", "POST"])
@signed_in
def filings(school_id):
    """List the filings; POST files a new one (?draft=YEAR pre-fills the annual report)."""
    school = schools.get_school(school_id)
    if request.method == "POST":
        form = request.form
        _, error = run(
            lambda: filing_cases.submit(school_id, load(FilingIn(), form, ints=("term_id",)))
        )
        if error is None:
            return redirect(url_for("console.filings", school_id=school_id))
        return _page(school, errors={"new": error}, form=form), 422
    year = request.args.get("draft", type=int)
    if year is None:
        return _page(school)
    draft, error = run(lambda: oversight.annual_report_draft(school_id, year))
    return _page(school, draft=draft, errors={"draft": error} if error else None)


@bp.route("/schools/<int:school_id>/filings/<int:filing_id>/resubmit", methods=["POST"])
@signed_in
def filing_resubmit(school_id, filing_id):
    """Send a returned filing again, corrected: a new version for the district."""
    school = schools.get_school(school_id)
    form = request.form
    _, error = run(
        lambda: filing_cases.resubmit(school_id, filing_id, load(FilingResubmitIn(), form))
    )
    if error is None:
        return redirect(url_for("console.filings", school_id=school_id))
    return _page(school, errors={filing_id: error}), 422
