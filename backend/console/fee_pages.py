"""Fees for the school office: generate, review and issue statements, collection, offline
payments, settlement and disclosures. Amounts travel in fen; pages show yuan (two decimals)."""

from __future__ import annotations

from types import SimpleNamespace

import marshmallow as ma
from flask import redirect, render_template, request, url_for

from backend.common.clock import today
from backend.console import labels
from backend.console.blueprint import bp
from backend.console.forms import load, run
from backend.console.school_pages import current_term
from backend.console.session import signed_in
from backend.errors import NotFound
from backend.fees import (
    disclosures,
    issuing,
    offline_payments,
    periods,
    settlement,
    statement_reads,
)
from backend.fees.schemas import BillingPeriodIn, DisclosureIn, OfflinePaymentIn, StatementQuery
from backend.schools import structure as schools
from backend.terms import service as terms

SHOWN = 100  # rows shown per page; the totals cover every matching statement


def _filters(term_id: int) -> tuple[dict, dict | None]:
    raw = {k: v for k, v in request.args.items() if k in ("period", "status", "class_id") and v}
    try:
        return StatementQuery().load(raw) | {"term_id": term_id}, None
    except ma.ValidationError as exc:
        return {"term_id": term_id}, exc.messages


def _settlement(school_id: int, term_id: int):
    try:
        return settlement.get_settlement(school_id, term_id)
    except NotFound:  # not settled yet
        return None


def _page(school, term, errors=None, result=None):
    """Everything the fee page shows for one term."""
    ctx = {"school": school, "term": term, "errors": errors or {}, "labels": labels}
    if term is None:
        return render_template("console/fees.html", **ctx)
    filters, filter_errors = _filters(term["id"])
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    rows, total = statement_reads.office_statements(school.id, filters, page, SHOWN)
    classes, _ = schools.list_classes(school.id, None, 1, 100)
    ctx |= {
        "rows": rows,
        "total": total,
        "page": page,
        "pages": (total + SHOWN - 1) // SHOWN,
        "money": statement_reads.office_collection(school.id, filters),
        "filters": filters,
        "filter_errors": filter_errors,
        "classes": classes,
        **_periods(school.id, term["id"], filters),
        "settled": _settlement(school.id, term["id"]),
        "disclosures": disclosures.term_disclosures(school.id, term["id"]),
        "result": result,
        "today": today().isoformat(),
    }
    return render_template("console/fees.html", **ctx)


def _periods(school_id: int, term_id: int, filters: dict) -> dict:
    """The term's billing periods, and the one to preselect (the one just used, or today's)."""
    # The term's view (a dict) read as the periods' functions read a term.
    row = SimpleNamespace(**next(t for t in terms.admin_terms(school_id) if t["id"] == term_id))
    months = periods.months(row)
    chosen = request.form.get("period") or filters.get("period")
    if chosen not in months:
        chosen = periods.period_of(row, min(max(today(), row.starts_on), row.ends_on))
    return {"periods": months, "period": chosen}


def _term(school_id: int):
    term_id = request.args.get("term_id", type=int)
    if not term_id:
        row = current_term(school_id)
        term_id = row["id"] if row is not None else None
    return terms.admin_term(school_id, term_id) if term_id else None


@bp.route("/schools/<int:school_id>/fees")
@signed_in
def fees(school_id):
    """The term's statements with collection rate and arrears, and the fee actions."""
    return _page(schools.get_school(school_id), _term(school_id))


ACTIONS = {
    "generate": lambda s, t, f: issuing.generate(s, t, load(BillingPeriodIn(), f)["period"]),
    "issue": lambda s, t, f: issuing.issue_period(s, t, load(BillingPeriodIn(), f)["period"]),
    "settle": lambda s, t, f: settlement.settle(s, t),
    "disclose": lambda s, t, f: disclosures.publish(s, t, load(DisclosureIn(), f)["period"]),
}


@bp.route(
    "/schools/<int:school_id>/terms/<int:term_id>/fees/<any(generate, issue, settle, disclose):act>",  # noqa: E501
    methods=["POST"],
)
@signed_in
def fee_action(school_id, term_id, act):
    """Generate or issue a period's statements, settle the term, or publish a disclosure."""
    school = schools.get_school(school_id)
    term = terms.admin_term(school_id, term_id)
    result, error = run(lambda: ACTIONS[act](school_id, term_id, request.form))
    if error is not None:
        return _page(school, term, errors={act: error}), 422
    return _page(school, term, result={"act": act, **result}), 200


@bp.route("/schools/<int:school_id>/statements/<int:statement_id>/payment", methods=["POST"])
@signed_in
def fee_payment(school_id, statement_id):
    """Record money received at the office against one statement (yuan typed, fen stored)."""
    school = schools.get_school(school_id)
    form = request.form.to_dict()
    form["amount_fen"] = _fen(form.pop("amount_yuan", ""))
    _, error = run(
        lambda: offline_payments.record_payment(
            school_id, statement_id, load(OfflinePaymentIn(), form, ints=("amount_fen",))
        )
    )
    term_id = request.form.get("term_id", type=int)
    if error is None:
        target = url_for("console.fees", school_id=school_id, term_id=term_id)
        return redirect(target + f"#s{statement_id}")
    term = terms.admin_term(school_id, term_id) if term_id else _term(school_id)
    return _page(school, term, errors={statement_id: error}), 422


def _fen(yuan: str) -> str:
    """'12.5' -> '1250' exactly (no float); anything else is passed on for the schema to refuse."""
    text = (yuan or "").strip()
    whole, _, cents = text.partition(".")
    if whole.isdigit() and (cents == "" or (cents.isdigit() and len(cents) <= 2)):
        return str(int(whole) * 100 + int(cents.ljust(2, "0") or 0))
    return text
