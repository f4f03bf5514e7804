"""Admin API: the school office lists, accepts, answers and exports complaints."""

from __future__ import annotations

from flask import send_file
from flask.views import MethodView

from backend.common.pagination import Blueprint
from backend.complaints import handling
from backend.complaints.schemas import (
    ComplaintQuery,
    OfficeComplaintOut,
    ReplyIn,
    SummaryOut,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
blp = Blueprint(
    "complaints_admin",
    __name__,
    url_prefix="/admin/api/v1/schools",
    description="Complaints (监督举报, R16): anonymous ones show no filer and no pupil.",
)


@blp.route("/<int:school_id>/complaints")
class Complaints(MethodView):
    @blp.arguments(ComplaintQuery, location="query", unknown=None)
    @blp.response(200, OfficeComplaintOut(many=True))
    @blp.paginate()
    def get(self, query, school_id, pagination_parameters):
        """The school's complaints, newest first; filter by status, category, overdue."""
        p = pagination_parameters
        items, p.item_count = handling.list_for_school(school_id, query, p.page, p.page_size)
        return items


@blp.route("/<int:school_id>/complaints/summary")
class Summary(MethodView):
    @blp.response(200, SummaryOut)
    def get(self, school_id):
        """Counts per status, open and overdue (the daily sweep flags overdue ones)."""
        return handling.summary(school_id)


@blp.route("/<int:school_id>/complaints/export")
class Export(MethodView):
    @blp.arguments(ComplaintQuery, location="query")
    @blp.response(200, content_type=XLSX, description="An .xlsx of the matching complaints.")
    def get(self, query, school_id):
        """Export the (filtered) complaints as .xlsx; anonymous ones say 匿名."""
        data, filename = handling.export(school_id, query)
        return send_file(data, as_attachment=True, download_name=filename, mimetype=XLSX)


@blp.route("/<int:school_id>/complaints/<int:complaint_id>")
class Complaint(MethodView):
    @blp.response(200, OfficeComplaintOut)
    def get(self, school_id, complaint_id):
        """One complaint with its history."""
        return handling.get_for_school(school_id, complaint_id)


@blp.route("/<int:school_id>/complaints/<int:complaint_id>/accept")
class Accept(MethodView):
    @blp.response(200, OfficeComplaintOut)
    @blp.alt_response(409, description="illegal_transition: not submitted")
    def post(self, school_id, complaint_id):
        """Take a submitted complaint up; the filer is told."""
        return handling.accept(school_id, complaint_id)


@blp.route("/<int:school_id>/complaints/<int:complaint_id>/reply")
class Reply(MethodView):
    @blp.arguments(ReplyIn)
    @blp.response(200, OfficeComplaintOut)
    @blp.alt_response(409, description="illegal_transition: not accepted")
    def post(self, data, school_id, complaint_id):
        """Answer an accepted complaint (resolved or rejected); the filer is told and may
        rate the reply, or escalate it within 7 days."""
        return handling.reply(school_id, complaint_id, data)
