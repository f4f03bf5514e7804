"""Mini-program API for head teachers: the dismissal board, releases and attendance."""

from __future__ import annotations

from flask.views import MethodView

from backend.common.pagination import Blueprint, Page
from backend.pickup import attendance, dismissal
from backend.pickup.schemas import (
    AttendanceIn,
    AttendanceOut,
    DismissalOverdueOut,
    DismissalReleaseIn,
    DismissalRowOut,
    PickupDateQuery,
)

blp = Blueprint(
    "pickup_classes",
    __name__,
    url_prefix="/api/v1/classes",
    description="The head teacher's afternoon: dismissal board, overdue pupils, releases and "
    "attendance. Head teachers of the class only (403 for other roles, 404 other classes). "
    "A date without service answers 422 not_a_service_day.",
)


@blp.route("/<int:class_id>/dismissal")
class Board(MethodView):
    @blp.arguments(PickupDateQuery, location="query", unknown=None)
    @blp.response(200, DismissalRowOut(many=True))
    @blp.paginate(Page)
    def get(self, query, class_id):
        """The day's enrolled pupils with plan, pickup time, person and status, ordered by
        pickup time (no notice = `regular` at service end)."""
        return dismissal.board(class_id, query.get("date"))


@blp.route("/<int:class_id>/dismissal/overdue")
class Overdue(MethodView):
    @blp.arguments(PickupDateQuery, location="query", unknown=None)
    @blp.response(200, DismissalOverdueOut(many=True))
    @blp.paginate(Page)
    def get(self, query, class_id):
        """Pupils still in school after service end + the term's grace minutes (empty before)."""
        return dismissal.overdue(class_id, query.get("date"))


@blp.route("/<int:class_id>/dismissal/<int:student_id>/release")
class Release(MethodView):
    @blp.arguments(DismissalReleaseIn)
    @blp.response(200, DismissalRowOut)
    @blp.alt_response(
        409, description="already_handed_over, student_absent, self_leave_not_allowed"
    )
    def post(self, data, class_id, student_id):
        """Send the pupil to the gate, or let a `self` pupil leave (guardians are told)."""
        return dismissal.release(class_id, student_id, data.get("to"))


@blp.route("/<int:class_id>/attendance")
class Attendance(MethodView):
    @blp.arguments(PickupDateQuery, location="query", unknown=None)
    @blp.response(200, AttendanceOut(many=True))
    @blp.paginate(Page)
    def get(self, query, class_id):
        """The day's attendance sheet (status null = not marked yet)."""
        return attendance.get_attendance(class_id, query.get("date"))

    @blp.arguments(PickupDateQuery, location="query", unknown=None)
    @blp.arguments(AttendanceIn)
    @blp.response(200, AttendanceOut(many=True))
    @blp.alt_response(422, description="date_in_future, not_a_service_day, validation_error")
    @blp.alt_response(
        409,
        description="attendance_contradicts_release: a pupil marked absent was handed over "
        "at the gate or released by the teacher that day (`errors.student_ids` lists them)",
    )
    def put(self, query, data, class_id):
        """Mark present / absent / leave for pupils of the class; all or nothing. A pupil
        who left through the gate (or was released by the teacher) that day cannot be
        marked absent."""
        return attendance.put_attendance(class_id, query.get("date"), data["records"])
