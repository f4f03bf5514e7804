"""Mini-program API: course lists, first-come selection, timetables, lottery preferences."""

from __future__ import annotations

from flask.views import MethodView

from backend.common.idempotency import idempotent
from backend.common.pagination import Blueprint, Page
from backend.courses import lottery, rosters, selection
from backend.courses.schemas import (
    CatalogueOut,
    CatalogueQuery,
    ClassCourseOut,
    LotteryInputsOut,
    LotteryOut,
    PreferencesIn,
    PreferencesOut,
    SelectionIn,
    SelectionOut,
    SelectionQuery,
    TermQuery,
    TimetableDayOut,
)
from backend.extensions import limiter

blp = Blueprint("courses", __name__, url_prefix="/api/v1", description="Courses and selection")

# Per user: a guardian sends a handful of selections in the rush; this stops scripts only.
SELECTION_LIMIT = "60/minute"


@blp.route("/terms/<int:term_id>/courses")
class TermCourses(MethodView):
    @blp.arguments(CatalogueQuery, location="query")
    @blp.response(200, CatalogueOut(many=True))
    @blp.paginate(Page)
    def get(self, query, term_id):
        """Open courses of the term for one of my children: seats left, waitlist length,
        and whether the child may choose each one now (`ineligible_reason` when not)."""
        return selection.guardian_catalogue(term_id, query["student_id"])


@blp.route("/selections")
class Selections(MethodView):
    @blp.arguments(SelectionQuery, location="query")
    @blp.response(200, SelectionOut(many=True))
    @blp.paginate(Page)
    def get(self, query, **_):
        """My child's live selections (confirmed, or waitlisted with the position)."""
        return selection.list_selections(query["student_id"], query.get("term_id"))

    @idempotent
    @limiter.limit(SELECTION_LIMIT)
    @blp.arguments(SelectionIn)
    @blp.response(201, SelectionOut)
    @blp.alt_response(
        409,
        description="course_full, time_conflict, already_selected, "
        "selection_closed, max_courses_reached, lottery_term",
    )
    @blp.alt_response(403, description="not_enrolled")
    @blp.alt_response(422, description="grade_not_eligible")
    def post(self, data):
        """Choose a course (first come, first served). When it is full, ask for
        `join_waitlist` to queue instead of 409 course_full. Send an Idempotency-Key:
        a double tap or a retry creates one selection."""
        return selection.select(data["student_id"], data["course_id"], data["join_waitlist"])


@blp.route("/selections/<int:selection_id>")
class SelectionItem(MethodView):
    @limiter.limit(SELECTION_LIMIT)
    @blp.response(204)
    def delete(self, selection_id):
        """Leave the course or its waitlist. A freed seat goes at once to the first
        waitlisted pupil it still fits (no clash, under the limit); their guardians are told."""
        selection.drop(selection_id)


@blp.route("/students/<int:student_id>/timetable")
class Timetable(MethodView):
    @blp.arguments(TermQuery, location="query")
    @blp.response(200, TimetableDayOut(many=True))
    @blp.paginate(Page)
    def get(self, query, student_id):
        """My child's week, Monday to Friday, with the courses of the term."""
        return rosters.timetable(student_id, query["term_id"])


@blp.route("/classes/<int:class_id>/courses")
class ClassCourses(MethodView):
    @blp.arguments(TermQuery, location="query")
    @blp.response(200, ClassCourseOut(many=True))
    @blp.paginate(Page)
    def get(self, query, class_id):
        """Head teacher: which of my class's pupils sit in which course."""
        return rosters.class_courses(class_id, query["term_id"])


@blp.route("/terms/<int:term_id>/preferences/<int:student_id>")
class Preferences(MethodView):
    @blp.response(200, PreferencesOut)
    def get(self, term_id, student_id):
        """My child's ranked wishes for a lottery term."""
        return lottery.get_preferences(term_id, student_id)

    @limiter.limit(SELECTION_LIMIT)
    @blp.arguments(PreferencesIn)
    @blp.response(200, PreferencesOut)
    def put(self, data, term_id, student_id):
        """Rank courses, best first (lottery terms, during the selection window). The last
        answer before the window closes counts; an empty list withdraws the wishes."""
        return lottery.put_preferences(term_id, student_id, data["course_ids"])


@blp.route("/terms/<int:term_id>/lottery")
class Lottery(MethodView):
    @blp.response(200, LotteryOut)
    def get(self, term_id):
        """The committed seed hash (before the draw), then the seed and draw time, the
        algorithm, and my children's pseudonymous ids in the published inputs."""
        return lottery.public_view(term_id)


@blp.route("/terms/<int:term_id>/lottery/inputs")
class LotteryInputs(MethodView):
    @blp.response(200, LotteryInputsOut)
    def get(self, term_id):
        """After the draw: its inputs (pseudonymous pupils, preferences, seats, seed) and
        result, so that anybody can recompute it with scripts/verify_lottery.py."""
        return lottery.published_inputs(term_id)
