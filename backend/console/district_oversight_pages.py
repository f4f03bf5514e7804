"""The district's oversight pages: escalated and overdue complaints of its schools (with the
district's reply), and the provider blacklist (add, lift). Scope is the use cases' own."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from backend.complaints.schemas import ReplyIn
from backend.console import labels
from backend.console.blueprint import bp
from backend.console.forms import load, run
from backend.console.session import signed_in
from backend.districts import blacklist, complaint_oversight, districts, oversight
from backend.districts.schemas import DistrictBlacklistIn

PAGE_SIZE = 50


def _complaints_page(district_id: int, errors=None):
    """The district's complaint list with a reply form under each escalated one."""
    info = districts.get_district(district_id)
    rows, total = complaint_oversight.complaints(district_id, None, 1, PAGE_SIZE)
    schools, _ = oversight.overview(district_id, None, 1, 100)
    return render_template(
        "console/district_complaints.html",
        district=info,
        school_names={s["school_id"]: s["name"] for s in schools},
        rows=rows,
        total=total,
        errors=errors or {},
        labels=labels,
    )


@bp.route("/districts/<int:district_id>/complaints")
@signed_in
def district_complaints(district_id):
    """Escalated and overdue complaints of the district's schools, oldest due first."""
    return _complaints_page(district_id)


@bp.route("/districts/<int:district_id>/complaints/<int:complaint_id>/reply", methods=["POST"])
@signed_in
def district_complaint_reply(district_id, complaint_id):
    """The district answers an escalated complaint (resolved or rejected)."""
    _, error = run(
        lambda: complaint_oversight.reply(district_id, complaint_id, load(ReplyIn(), request.form))
    )
    if error is None:
        target = url_for("console.district_complaints", district_id=district_id)
        return redirect(target + f"#c{complaint_id}")
    return _complaints_page(district_id, {complaint_id: error}), 422


def _blacklist_page(district_id: int, error=None):
    """The district blacklist, newest first, with the form to add a licence."""
    info = districts.get_district(district_id)
    rows, total = blacklist.entries(district_id, 1, 200)
    return render_template(
        "console/district_blacklist.html",
        district=info,
        rows=rows,
        total=total,
        error=error,
        form=request.form if error else {},
    )


@bp.route("/districts/<int:district_id>/blacklist")
@signed_in
def district_blacklist(district_id):
    """Barred licences of the district (lifted and expired ones stay on record)."""
    return _blacklist_page(district_id)


@bp.route("/districts/<int:district_id>/blacklist", methods=["POST"])
@signed_in
def district_blacklist_add(district_id):
    """Bar a licence in every school of the district (default six years)."""
    _, error = run(lambda: blacklist.add(district_id, load(DistrictBlacklistIn(), request.form)))
    if error is None:
        return redirect(url_for("console.district_blacklist", district_id=district_id))
    return _blacklist_page(district_id, error), 422


@bp.route("/districts/<int:district_id>/blacklist/<int:entry_id>/lift", methods=["POST"])
@signed_in
def district_blacklist_lift(district_id, entry_id):
    """Lift a bar early (kept on record with the time)."""
    _, error = run(lambda: blacklist.lift(district_id, entry_id))
    if error is None:
        return redirect(url_for("console.district_blacklist", district_id=district_id))
    return _blacklist_page(district_id, error), 422
