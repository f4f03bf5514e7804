"""Mini-program API: file a complaint, follow it, escalate it, rate the reply."""

from __future__ import annotations

from flask.views import MethodView

from backend.common.idempotency import idempotent
from backend.common.pagination import Blueprint
from backend.complaints import filing
from backend.complaints.schemas import (
    ComplaintCreatedOut,
    ComplaintIn,
    FeedbackIn,
    MyComplaintOut,
)
from backend.extensions import limiter

blp = Blueprint(
    "complaints",
    __name__,
    url_prefix="/api/v1/complaints",
    description="Complaints (监督举报, R16): any guardian or staff member of a school files "
    "one and follows it to its reply. Only the filer sees their own complaints.",
)
FILING_LIMIT = "10/hour"  # per signed-in user: nobody floods the office


@blp.route("")
class Complaints(MethodView):
    @blp.response(200, MyComplaintOut(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """My complaints, newest first."""
        p = pagination_parameters
        items, p.item_count = filing.list_mine(p.page, p.page_size)
        return items

    @idempotent
    @limiter.limit(FILING_LIMIT)
    @blp.arguments(ComplaintIn)
    @blp.response(201, ComplaintCreatedOut)
    @blp.alt_response(429, description="rate_limited: more than 10 complaints in an hour")
    def post(self, data):
        """File a complaint with a school I belong to (as a guardian of one of its pupils
        or through a staff role); another school answers 404, and so does a pupil who is
        not mine. `due_at` is the end (23:59:59 Asia/Shanghai) of the 5th working day
        after today by the Chinese calendar. An anonymous complaint never shows me to the
        school or the district, and cannot name a pupil (422)."""
        return filing.file_complaint(data)


@blp.route("/<int:complaint_id>")
class Complaint(MethodView):
    @blp.response(200, MyComplaintOut)
    def get(self, complaint_id):
        """One of my complaints with its history (`events`: parties, never staff names)."""
        return filing.get_mine(complaint_id)


@blp.route("/<int:complaint_id>/escalate")
class Escalate(MethodView):
    @blp.response(200, MyComplaintOut)
    @blp.alt_response(409, description="cannot_escalate")
    def post(self, complaint_id):
        """Send it to the district: when past `due_at` without a reply, or within 7 days
        after a reply I have not accepted (rated satisfied); once per complaint."""
        return filing.escalate(complaint_id)


@blp.route("/<int:complaint_id>/feedback")
class Feedback(MethodView):
    @blp.arguments(FeedbackIn)
    @blp.response(200, MyComplaintOut)
    @blp.alt_response(409, description="complaint_not_replied, feedback_already_given")
    def post(self, data, complaint_id):
        """Rate the reply, once per reply. Satisfied closes the way to the district."""
        return filing.feedback(complaint_id, data)
