"""The school office's pages: dashboard, roster, role grants, audit log.

Every page calls the same use cases as the admin API (scope checks included), so a page
can never show or do what the API would refuse.
"""

from __future__ import annotations

import io

import marshmallow as ma
from flask import g, redirect, render_template, request, send_file, url_for

from backend.audit import service as audit_service
from backend.common.clock import today
from backend.console.blueprint import bp
from backend.console.charts import dashboard_charts
from backend.console.qr import qr_data_uri
from backend.console.session import signed_in
from backend.courses import catalogue
from backend.database import get_session
from backend.districts import oversight
from backend.errors import DomainError, wants_english
from backend.schools import pupils as roster_pupils
from backend.schools import role_grants, roster_import, structure
from backend.schools.schemas import RoleGrantIn
from backend.signup import reports
from backend.terms import service as terms

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _message(exc: DomainError) -> str:
    zh, en = exc.messages()
    return en if wants_english() else zh


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    return render_template(
        "console/error.html", message=_message(exc), status=exc.status
    ), exc.status


@bp.route("/")
@signed_in
def home():
    """Where an admin starts: their school, their district, or the platform's schools."""
    actor = g.actor
    if actor.is_district_admin:
        return redirect(url_for("console.district", district_id=actor.district_id))
    if actor.school_id is not None:
        return redirect(url_for("console.dashboard", school_id=actor.school_id))
    items, _ = structure.list_schools(1, 100)
    return render_template("console/home.html", schools=items)


def current_term(school_id: int):
    """The term running today, else the latest one (None for a school without terms)."""
    rows = terms.admin_terms(school_id)
    day = today()
    running = [t for t in rows if t["starts_on"] <= day <= t["ends_on"]]
    return (running or rows or [None])[0]


@bp.route("/schools/<int:school_id>/")
@signed_in
def dashboard(school_id):
    """The current term at a glance: sign-up funnel, review backlog, course fill, fees."""
    school = structure.get_school(school_id)
    term = current_term(school_id)
    if term is None:
        return render_template("console/dashboard.html", school=school, term=None)
    summary = reports.office_summary(school_id, term["id"])
    courses = catalogue.list_for_term(school_id, term["id"])
    figures = oversight.school_figures(school_id)
    return render_template(
        "console/dashboard.html",
        school=school,
        term=term,
        summary=summary,
        courses=courses,
        figures=figures,
        charts=dashboard_charts(summary, courses),
    )


@bp.route("/schools/<int:school_id>/roster")
@signed_in
def roster(school_id):
    """The pupils, searchable, with the .xlsx import beside them."""
    school = structure.get_school(school_id)
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    query = (request.args.get("q") or "").strip()[:50]
    filters = {"q": query} if query else {}
    pupils, total = roster_pupils.list_students(school_id, filters, page, 50)
    return render_template(
        "console/roster.html",
        school=school,
        pupils=pupils,
        total=total,
        q=query,
        page=page,
        result=None,
    )


@bp.route("/schools/<int:school_id>/roster/import", methods=["POST"])
@signed_in
def roster_upload(school_id):
    """Import the roster; each bad row is shown with its row number and reason."""
    school = structure.get_school(school_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        result = {
            "created": 0,
            "updated": 0,
            "errors": [{"row": 0, "message": "请选择 .xlsx 文件"}],
        }
        status = 422
    else:
        try:
            result = roster_import.import_roster(school_id, upload.stream, upload.filename)
            status = 200
        except DomainError as exc:
            result = {"created": 0, "updated": 0, "errors": [{"row": 0, "message": _message(exc)}]}
            status = exc.status
    pupils, total = roster_pupils.list_students(school_id, {}, 1, 50)
    page = render_template(
        "console/roster.html",
        school=school,
        pupils=pupils,
        total=total,
        q="",
        page=1,
        result=result,
    )
    return page, status


@bp.route("/schools/<int:school_id>/roster/template")
@signed_in
def roster_template(school_id):
    """The .xlsx template, listing this school's classes."""
    data = roster_import.template(school_id)
    return send_file(
        io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name="roster-template.xlsx"
    )


@bp.route("/schools/<int:school_id>/grants", methods=["GET", "POST"])
@signed_in
def grants(school_id):
    """Role grants; a new one shows its one-time binding code and QR code once."""
    school = structure.get_school(school_id)
    created, error = None, None
    if request.method == "POST":
        fields = {k: v for k, v in request.form.items() if k != "csrf_token" and v != ""}
        for key in ("class_id", "grade_id"):
            if key in fields:
                fields[key] = request.form.get(key, type=int)
        try:  # the admin API's schema: the same rules, the same messages
            created = role_grants.create_role_grant(school_id, RoleGrantIn().load(fields))
        except ma.ValidationError as exc:
            error = ("填写的内容有误，请检查", exc.messages)
        except DomainError as exc:
            error = (_message(exc), exc.errors or {})
    rows, _ = role_grants.list_role_grants(school_id, {}, 1, 100)
    classes, _ = structure.list_classes(school_id, None, 1, 100)
    qr = None
    if created:
        qr = qr_data_uri(created["binding_code"])
    status = 201 if created else 422 if error else 200
    return render_template(
        "console/grants.html",
        school=school,
        grants=rows,
        classes=classes,
        created=created,
        qr=qr,
        error=error,
    ), status


@bp.route("/schools/<int:school_id>/audit")
@signed_in
def audit(school_id):
    """The school's audit trail, newest first, with its export."""
    school = structure.get_school(school_id)
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    rows, total = audit_service.list_for_school(school_id, {}, page, 50)
    chain = _chain_state(school_id)
    return render_template(
        "console/audit.html", school=school, rows=rows, total=total, page=page, chain=chain
    )


def _chain_state(school_id: int) -> dict:
    """The hash chain's verification (read-only): intact, or where this school's breaks."""
    ok, broken, checked = audit_service.verify_chain(get_session())
    mine = broken is not None and broken.chain == school_id
    return {"ok": ok, "checked": checked, "broken_seq": broken.seq if mine else None}


@bp.route("/schools/<int:school_id>/audit/export")
@signed_in
def audit_export(school_id):
    data, filename = audit_service.export_for_school(school_id, {})
    return send_file(data, mimetype=XLSX, as_attachment=True, download_name=filename)
