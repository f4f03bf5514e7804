"""Admin API: deletion requests and the school's retention period."""

from __future__ import annotations

from flask.views import MethodView

from backend.common.pagination import Blueprint
from backend.privacy import service
from backend.privacy.schemas import (
    DecisionIn,
    DeletionOut,
    DeletionQuery,
    RetentionIn,
    RetentionOut,
)

blp = Blueprint(
    "privacy_admin",
    __name__,
    url_prefix="/admin/api/v1/schools",
    description="Personal data: deletion requests and retention",
)


@blp.route("/<int:school_id>/data-deletion-requests")
class Requests(MethodView):
    @blp.arguments(DeletionQuery, location="query")
    @blp.response(200, DeletionOut(many=True))
    @blp.paginate()
    def get(self, query, school_id, pagination_parameters):
        """Guardians' deletion requests."""
        p = pagination_parameters
        rows, p.item_count = service.admin_requests(
            school_id, query.get("status"), p.page, p.page_size
        )
        return rows


@blp.route("/<int:school_id>/data-deletion-requests/<int:request_id>/complete")
class Complete(MethodView):
    @blp.arguments(DecisionIn)
    @blp.response(200, DeletionOut)
    def post(self, data, school_id, request_id):
        """Anonymise the pupil now (fee records kept without personal fields)."""
        return service.decide_request(school_id, request_id, True, data.get("response"))


@blp.route("/<int:school_id>/data-deletion-requests/<int:request_id>/decline")
class Decline(MethodView):
    @blp.arguments(DecisionIn)
    @blp.response(200, DeletionOut)
    def post(self, data, school_id, request_id):
        """Decline, with the reason the guardian will read."""
        return service.decide_request(school_id, request_id, False, data.get("response"))


@blp.route("/<int:school_id>/retention")
class Retention(MethodView):
    @blp.arguments(RetentionIn)
    @blp.response(200, RetentionOut)
    def put(self, data, school_id):
        """Days after a pupil's last term before their personal data is anonymised."""
        return service.set_retention(school_id, data["retention_days"])
