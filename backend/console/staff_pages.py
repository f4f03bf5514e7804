"""Staff and pay sheets for the school office: staff records, the term's pay rates, and
the monthly pay sheets (generate, read, approve, export). Amounts travel in fen; pages
show and take yuan with two decimals."""

from __future__ import annotations

from flask import redirect, render_template, request, send_file, url_for

from backend.console.blueprint import bp
from backend.console.fee_pages import _fen, _periods, _term
from backend.console.forms import load, run
from backend.console.school_pages import XLSX
from backend.console.session import signed_in
from backend.errors import NotFound
from backend.schools import structure as schools
from backend.staff import exports, pay_sheets, records
from backend.staff.schemas import PaySheetIn, RatesIn, StaffIn
from backend.terms import service as terms

KIND = {"teacher": "教师", "admin": "行政后勤", "external": "机构外聘"}
LINE_KIND = {**KIND, "provider": "机构包干"}
RATE_FIELDS = ("teaching_per_lesson_fen", "supervision_per_hour_fen", "admin_monthly_fen")


def _rates(school_id: int, term_id: int):
    try:
        return pay_sheets.get_rates(school_id, term_id)
    except NotFound:  # not set yet for this term
        return None


def _page(school, term, errors=None):
    """The staff list, the term's rates and its pay sheets, with their forms."""
    staff, total = records.list_staff(school.id, {}, 1, 500)
    ctx = {"school": school, "term": term, "staff": staff, "total": total, "kinds": KIND}
    ctx["errors"] = errors or {}
    ctx["form"] = request.form if errors else {}
    if term is not None:
        sheets, _ = pay_sheets.list_sheets(school.id, term["id"], 1, 100)
        ctx |= {"rates": _rates(school.id, term["id"]), "sheets": sheets}
        ctx |= _periods(school.id, term["id"], {})
    return render_template("console/staff.html", **ctx)


@bp.route("/schools/<int:school_id>/staff")
@signed_in
def staff(school_id):
    """Staff records, pay rates and pay sheets of the current (or chosen) term."""
    return _page(schools.get_school(school_id), _term(school_id))


def _rates_in(form) -> dict:
    """The rates form (yuan) as RatesIn data (fen)."""
    data = {key: _fen(form.get(key.replace("_fen", "_yuan"), "")) for key in RATE_FIELDS}
    return load(RatesIn(), data, ints=RATE_FIELDS)


ACTIONS = {
    "add": lambda s, t, f: records.create_staff(s, load(StaffIn(), f, ints=("provider_id",))),
    "rates": lambda s, t, f: pay_sheets.set_rates(s, t, _rates_in(f)),
    "generate": lambda s, t, f: pay_sheets.generate(s, t, load(PaySheetIn(), f)["period"]),
}


@bp.route(
    "/schools/<int:school_id>/terms/<int:term_id>/staff/<any(add, rates, generate):act>",
    methods=["POST"],
)
@signed_in
def staff_action(school_id, term_id, act):
    """Record a staff member, set the term's rates, or generate a month's pay sheet."""
    school = schools.get_school(school_id)
    result, error = run(lambda: ACTIONS[act](school_id, term_id, request.form))
    if error is not None:
        return _page(school, terms.admin_term(school_id, term_id), errors={act: error}), 422
    if act == "generate":
        return redirect(
            url_for(
                "console.pay_sheet", school_id=school_id, term_id=term_id, sheet_id=result["id"]
            )
        )
    return redirect(url_for("console.staff", school_id=school_id, term_id=term_id))


@bp.route("/schools/<int:school_id>/terms/<int:term_id>/pay-sheets/<int:sheet_id>")
@signed_in
def pay_sheet(school_id, term_id, sheet_id):
    """One pay sheet with its lines, the approval and the .xlsx for the bursar."""
    return _sheet_page(school_id, term_id, sheet_id)


def _sheet_page(school_id: int, term_id: int, sheet_id: int, error=None):
    """The sheet page (with the approval's error when it was refused)."""
    return render_template(
        "console/pay_sheet.html",
        school=schools.get_school(school_id),
        term_id=term_id,
        sheet=pay_sheets.get_sheet(school_id, term_id, sheet_id),
        kinds=LINE_KIND,
        error=error,
    )


@bp.route(
    "/schools/<int:school_id>/terms/<int:term_id>/pay-sheets/<int:sheet_id>/approve",
    methods=["POST"],
)
@signed_in
def pay_sheet_approve(school_id, term_id, sheet_id):
    """Approve a draft: its total becomes the month's staff-pay expense."""
    _, error = run(lambda: pay_sheets.approve(school_id, term_id, sheet_id))
    if error is not None:
        return _sheet_page(school_id, term_id, sheet_id, error), 422
    return redirect(
        url_for("console.pay_sheet", school_id=school_id, term_id=term_id, sheet_id=sheet_id)
    )


@bp.route("/schools/<int:school_id>/terms/<int:term_id>/pay-sheets/<int:sheet_id>.xlsx")
@signed_in
def pay_sheet_export(school_id, term_id, sheet_id):
    """The sheet as .xlsx (name, kind, lessons, hours, rate, amount, signature)."""
    data, filename = exports.sheet_export(school_id, term_id, sheet_id)
    return send_file(data, mimetype=XLSX, as_attachment=True, download_name=filename)
