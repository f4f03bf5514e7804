"""Mini-program API: leave requests by guardians, decided by the head teacher."""

from __future__ import annotations

from flask.views import MethodView

from backend.common.idempotency import idempotent
from backend.common.pagination import Blueprint
from backend.pickup import leave
from backend.pickup.schemas import LeaveDecisionIn, LeaveIn, LeaveOut, LeaveQuery

blp = Blueprint(
    "pickup_leave",
    __name__,
    url_prefix="/api/v1/leave-requests",
    description="Leave (请假) from after-school service. A day is `refundable` when the request "
    "was made at least one day before it; the fees work refunds approved refundable days.",
)


@blp.route("")
class LeaveRequests(MethodView):
    @blp.arguments(LeaveQuery, location="query", unknown=None)
    @blp.response(200, LeaveOut(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """My children's requests (or `student_id`'s); a head teacher passes `class_id`."""
        p = pagination_parameters
        items, p.item_count = leave.list_leave(
            query.get("student_id"), query.get("class_id"), query.get("status"), p.page, p.page_size
        )
        return items

    @idempotent
    @blp.arguments(LeaveIn)
    @blp.response(201, LeaveOut)
    @blp.alt_response(403, description="not_enrolled")
    @blp.alt_response(409, description="leave_overlap")
    @blp.alt_response(422, description="not_a_service_day, date_in_past")
    def post(self, data):
        """Ask for days off: every date a service day of one term, none already requested."""
        return leave.create_leave(data)


@blp.route("/<int:leave_id>")
class LeaveItem(MethodView):
    @blp.response(200, LeaveOut)
    @blp.alt_response(409, description="leave_already_decided")
    def delete(self, leave_id):
        """Withdraw a request the teacher has not decided yet."""
        return leave.cancel(leave_id)


@blp.route("/<int:leave_id>/decision")
class Decision(MethodView):
    @blp.arguments(LeaveDecisionIn)
    @blp.response(200, LeaveOut)
    @blp.alt_response(409, description="leave_already_decided")
    @blp.alt_response(422, description="leave_comment_required")
    def post(self, data, leave_id):
        """Head teacher: approve or reject (a rejection needs a comment)."""
        return leave.decide(leave_id, data["decision"], data.get("comment"))
