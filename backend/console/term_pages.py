"""Setting up a term as one guided flow: the term, its agreement, calendar and courses."""

from __future__ import annotations

from datetime import date

from flask import redirect, render_template, request, url_for

from backend.console.blueprint import bp
from backend.console.forms import load, run
from backend.console.session import signed_in
from backend.courses import catalogue, providers
from backend.courses.schemas import CourseIn, ProviderIn
from backend.schools import structure
from backend.terms import service as terms
from backend.terms.schemas import AgreementIn, CalendarDayIn, TermIn

DATETIMES = ("signup_opens_at", "signup_closes_at", "selection_opens_at", "selection_closes_at")
TERM_INTS = ("publicity_days", "max_courses_per_student", "base_fee_fen", "review_overdue_days")
COURSE_INTS = ("capacity", "min_grade", "max_grade", "fee_fen", "provider_id")


@bp.route("/schools/<int:school_id>/terms", methods=["GET", "POST"])
@signed_in
def terms_page(school_id):
    """The school's terms, and step 1 of the flow: a new term."""
    school = structure.get_school(school_id)
    error = None
    if request.method == "POST":
        form = request.form
        term, error = run(
            lambda: terms.create_term(
                school_id,
                load(TermIn(), form, lists=("review_levels",), datetimes=DATETIMES, ints=TERM_INTS),
            )
        )
        if term is not None:
            return redirect(url_for("console.term_setup", school_id=school_id, term_id=term["id"]))
    rows = terms.admin_terms(school_id)
    page = render_template(
        "console/terms.html", school=school, terms=rows, error=error, form=request.form
    )
    return page, (422 if error else 200)


def _setup_page(school, term_id, errors):
    term = terms.admin_term(school.id, term_id)
    overrides = [
        d for d in terms.admin_calendar(school.id, term_id) if d.get("source") == "override"
    ]
    return render_template(
        "console/term_setup.html",
        school=school,
        term=term,
        overrides=overrides,
        providers=providers.list_for_school(school.id),
        courses=catalogue.list_for_term(school.id, term_id),
        balance=catalogue.balance(school.id, term_id),
        errors=errors,
        form=request.form,
    )


@bp.route("/schools/<int:school_id>/terms/<int:term_id>", methods=["GET", "POST"])
@signed_in
def term_setup(school_id, term_id):
    """Steps 2-4: the agreement, calendar days, providers and courses of the term."""
    school = structure.get_school(school_id)
    errors = {}
    if request.method == "POST":
        step = request.form.get("step")
        form = request.form
        actions = {
            "agreement": lambda: terms.add_agreement(school_id, term_id, load(AgreementIn(), form)),
            "calendar": lambda: terms.set_calendar_day(
                school_id,
                term_id,
                date.fromisoformat(form.get("date", "")),
                load(CalendarDayIn(), form),
            ),
            "provider": lambda: providers.create(school_id, load(ProviderIn(), form)),
            "course": lambda: catalogue.create(
                school_id, term_id, load(CourseIn(), form, lists=("weekdays",), ints=COURSE_INTS)
            ),
        }
        if step not in actions:
            errors["step"] = ("未知的步骤", {})
        else:
            try:
                _, error = run(actions[step])
            except ValueError:  # a date the browser did not fill in as YYYY-MM-DD
                error = ("日期格式应为 YYYY-MM-DD", {"date": ["日期格式应为 YYYY-MM-DD"]})
            if error is None:
                return redirect(
                    url_for("console.term_setup", school_id=school_id, term_id=term_id) + f"#{step}"
                )
            errors[step] = error
    status = 422 if errors else 200
    return _setup_page(school, term_id, errors), status
