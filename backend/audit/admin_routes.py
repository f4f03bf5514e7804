"""Admin API: a school's audit trail, as a page of rows or an .xlsx export."""

from __future__ import annotations

from flask import send_file
from flask.views import MethodView

from backend.audit import service
from backend.audit.schemas import AuditLogOut, AuditQuery
from backend.common.pagination import Blueprint

blp = Blueprint(
    "audit", __name__, url_prefix="/admin/api/v1/schools", description="Audit trail (痕迹管理)"
)


@blp.route("/<int:school_id>/audit-logs")
class AuditLogs(MethodView):
    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, AuditLogOut(many=True))
    @blp.paginate()
    def get(self, query, school_id, pagination_parameters):
        """Audit rows of the school, newest first."""
        rows, total = service.list_for_school(
            school_id, query, pagination_parameters.page, pagination_parameters.page_size
        )
        pagination_parameters.item_count = total
        return rows


@blp.route("/<int:school_id>/audit-logs/export")
class AuditLogExport(MethodView):
    @blp.arguments(AuditQuery, location="query")
    @blp.response(
        200,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        description="An .xlsx workbook of the matching rows (at most 50,000).",
    )
    def get(self, query, school_id):
        """Export the school's audit rows as .xlsx."""
        data, filename = service.export_for_school(school_id, query)
        return send_file(
            data,
            as_attachment=True,
            download_name=filename,
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
