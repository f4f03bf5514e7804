"""Mini-program API: my family's data export, deletion requests, closing my account."""

from __future__ import annotations

from flask.views import MethodView

from backend.common.pagination import Blueprint, Page
from backend.extensions import limiter
from backend.privacy import service
from backend.privacy.schemas import DeletionIn, DeletionOut, ExportOut

blp = Blueprint("privacy", __name__, url_prefix="/api/v1/me", description="My data")


@blp.route("/data-export")
class DataExport(MethodView):
    @limiter.limit("10/hour")
    @blp.response(200, ExportOut)
    def get(self):
        """Everything held about me and my children, as JSON (the export is audited).

        Other people's data in it is shown as the list views show it: a phone number in
        full only to the person who entered it (a co-guardian's entries come masked,
        138****5678), and a network address (an application's client_ip) only to its
        owner; secrets and their digests are never exported."""
        return service.export_family()


@blp.route("/data-deletion-requests")
class DeletionRequests(MethodView):
    @blp.response(200, DeletionOut(many=True))
    @blp.paginate(Page)
    def get(self):
        """My deletion requests and what the school decided."""
        return service.my_requests()

    @blp.arguments(DeletionIn)
    @blp.response(201, DeletionOut)
    def post(self, data):
        """Ask the school to delete a child's personal data (records the law requires,
        such as fees, are kept anonymised)."""
        return service.request_deletion(data["student_id"], data.get("reason"))
