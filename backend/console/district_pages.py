"""The district's pages: the overview across schools, and the filings to decide."""

from __future__ import annotations

import marshmallow as ma
from flask import redirect, render_template, request, send_file, url_for

from backend.console.blueprint import bp
from backend.console.charts import district_chart
from backend.console.session import signed_in
from backend.districts import districts, filings, oversight
from backend.districts.schemas import FilingDecisionIn
from backend.errors import DomainError, wants_english

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/districts/<int:district_id>/")
@signed_in
def district(district_id):
    """Every school's figures for the terms running today, as a chart and a table."""
    info = districts.get_district(district_id)
    rows, _ = oversight.overview(district_id, None, 1, 100)
    totals = oversight.overview_totals(district_id, None)
    pending, waiting = filings.district_filings(district_id, {"status": "submitted"}, 1, 100)
    return render_template(
        "console/district.html",
        district=info,
        rows=rows,
        totals=totals,
        chart=district_chart(rows),
        pending=pending,
        waiting=waiting,
    )


@bp.route("/districts/<int:district_id>/overview.xlsx")
@signed_in
def district_export(district_id):
    data, filename = oversight.overview_export(district_id, None)
    return send_file(data, mimetype=XLSX, as_attachment=True, download_name=filename)


@bp.route("/districts/<int:district_id>/filings/<int:filing_id>", methods=["GET", "POST"])
@signed_in
def filing(district_id, filing_id):
    """One filing with its history; the district approves it or returns it with a comment."""
    error = None
    if request.method == "POST":
        fields = {k: v for k, v in request.form.items() if k in ("decision", "comment") and v}
        try:
            filings.decide(district_id, filing_id, FilingDecisionIn().load(fields))
            return redirect(url_for("console.district", district_id=district_id))
        except ma.ValidationError as exc:
            error = exc.messages
        except DomainError as exc:
            zh, en = exc.messages()
            error = exc.errors or {"decision": [en if wants_english() else zh]}
    item = filings.district_filing(district_id, filing_id)
    return render_template(
        "console/filing.html", district_id=district_id, filing=item, error=error
    ), (422 if error else 200)
