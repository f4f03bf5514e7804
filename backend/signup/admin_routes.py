"""Admin API: the office's view of applications, the posting, objections and finalizing."""

from __future__ import annotations

from flask import send_file
from flask.views import MethodView

from backend.common.idempotency import idempotent
from backend.common.pagination import Blueprint
from backend.signup import objections, publication, reports
from backend.signup.admin_schemas import (
    ObjectionAnswerIn,
    ObjectionOut,
    ObjectionQuery,
    OfficeApplicationOut,
    OfficeApplicationQuery,
    PublicationFinalizeOut,
)
from backend.signup.reports import XLSX
from backend.signup.schemas import ApplicationSummaryOut, PublicationOut, ReviewRowOut

blp = Blueprint(
    "signup_admin",
    __name__,
    url_prefix="/admin/api/v1/schools",
    description="Applications, review progress, the posting (公示) and objections",
)
TERM = "/<int:school_id>/terms/<int:term_id>"


@blp.route(f"{TERM}/applications")
class Applications(MethodView):
    @blp.arguments(OfficeApplicationQuery, location="query")
    @blp.response(200, ReviewRowOut(many=True))
    @blp.paginate()
    def get(self, query, school_id, term_id, pagination_parameters):
        """The term's applications (filters: state, class_id, grade_id, level = waiting at,
        overdue=true = waiting longer than the term allows)."""
        rows, total = reports.office_list(
            school_id, term_id, query, pagination_parameters.page, pagination_parameters.page_size
        )
        pagination_parameters.item_count = total
        return rows


@blp.route(f"{TERM}/applications/summary")
class Summary(MethodView):
    @blp.response(200, ApplicationSummaryOut)
    def get(self, school_id, term_id):
        """Counts per class, grade and review level."""
        return reports.office_summary(school_id, term_id)


@blp.route(f"{TERM}/applications/export")
class Export(MethodView):
    @blp.arguments(OfficeApplicationQuery, location="query")
    @blp.response(200, content_type=XLSX, description="An .xlsx workbook")
    def get(self, query, school_id, term_id):
        """The filtered list as .xlsx (any level)."""
        data, name = reports.office_export(school_id, term_id, query)
        return send_file(data, as_attachment=True, download_name=name, mimetype=XLSX)


@blp.route(f"{TERM}/applications/<int:application_id>")
class ApplicationItem(MethodView):
    @blp.response(200, OfficeApplicationOut)
    def get(self, school_id, term_id, application_id):
        """One application with its full history, reviewers included."""
        return reports.office_application(school_id, term_id, application_id)


@blp.route(f"{TERM}/publication", methods=["POST"])
@idempotent
@blp.response(201, PublicationOut)
@blp.alt_response(409, description="nothing_to_publish")
def publish(school_id, term_id):
    """Publish: every approved application of the term goes in_publicity."""
    return publication.publish_as_office(school_id, term_id)


@blp.route(f"{TERM}/publication/finalize", methods=["POST"])
@blp.response(200, PublicationFinalizeOut)
@blp.alt_response(409, description="publicity_not_over")
def finalize(school_id, term_id):
    """After the posting period: in_publicity -> enrolled; guardians are notified."""
    return publication.finalize(school_id, term_id)


@blp.route("/<int:school_id>/objections")
class Objections(MethodView):
    @blp.arguments(ObjectionQuery, location="query")
    @blp.response(200, ObjectionOut(many=True))
    @blp.paginate()
    def get(self, query, school_id, pagination_parameters):
        """Objections to the school's postings, newest first."""
        rows, total = objections.objections(
            school_id, query, pagination_parameters.page, pagination_parameters.page_size
        )
        pagination_parameters.item_count = total
        return rows


@blp.route("/<int:school_id>/objections/<int:objection_id>/uphold", methods=["POST"])
@blp.arguments(ObjectionAnswerIn)
@blp.response(200, ObjectionOut)
@blp.alt_response(409, description="objection_answered, application_state_conflict")
def uphold(data, school_id, objection_id):
    """Uphold: the application goes back to submitted at the first level, with the
    objection attached to its history; the objector is notified."""
    return objections.answer(school_id, objection_id, "upheld", data)


@blp.route("/<int:school_id>/objections/<int:objection_id>/dismiss", methods=["POST"])
@blp.arguments(ObjectionAnswerIn)
@blp.response(200, ObjectionOut)
@blp.alt_response(409, description="objection_answered")
def dismiss(data, school_id, objection_id):
    """Dismiss: nothing changes but the objection; the objector is notified."""
    return objections.answer(school_id, objection_id, "dismissed", data)
