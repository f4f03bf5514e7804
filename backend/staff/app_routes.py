"""Mini-program API: a course teacher's roster and attendance; head teachers' view of
their pupils' course attendance (R17)."""

from __future__ import annotations

from flask.views import MethodView

from backend.common.pagination import Blueprint, Page
from backend.staff import attendance
from backend.staff.schemas import (
    ClassCourseMarkOut,
    CourseAttendanceIn,
    DateListQuery,
    DateQuery,
    RosterRowOut,
)

blp = Blueprint(
    "staff_app",
    __name__,
    url_prefix="/api/v1",
    description="Course attendance: course teachers of the course only (403 without the "
    "role, 404 for other courses); a day the course does not meet is 422.",
)


@blp.route("/courses/<int:course_id>/roster")
class Roster(MethodView):
    @blp.arguments(DateListQuery, location="query")
    @blp.response(200, RosterRowOut(many=True))
    @blp.alt_response(422, description="not_a_service_day, not_a_course_day")
    @blp.paginate(Page)
    def get(self, query, course_id):
        """The course's pupils that day, with approved leave and any marks."""
        return attendance.roster(course_id, query.get("date"))


@blp.route("/courses/<int:course_id>/attendance")
class Attendance(MethodView):
    @blp.arguments(DateQuery, location="query")
    @blp.arguments(CourseAttendanceIn)
    @blp.response(200, RosterRowOut(many=True))
    @blp.alt_response(422, description="not_a_service_day, not_a_course_day, date_in_future")
    def put(self, query, data, course_id):
        """Mark the meeting (all records or none); the meeting counts as held and its
        lesson is recorded for the course's staff."""
        return attendance.take(course_id, query.get("date"), data["records"])


@blp.route("/classes/<int:class_id>/course-attendance")
class ClassCourseAttendance(MethodView):
    @blp.arguments(DateListQuery, location="query")
    @blp.response(200, ClassCourseMarkOut(many=True))
    @blp.paginate(Page)
    def get(self, query, class_id):
        """The class's pupils' course marks that day (head teachers of the class)."""
        return attendance.class_course_attendance(class_id, query.get("date"))
