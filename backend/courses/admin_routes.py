"""Admin API: providers and their blacklist, the course catalogue, rosters, the lottery."""

from __future__ import annotations

from flask import send_file
from flask.views import MethodView

from backend.common.idempotency import idempotent
from backend.common.pagination import Blueprint, Page
from backend.courses import catalogue, lottery, providers, rosters
from backend.courses.schemas import (
    BalanceOut,
    BlacklistIn,
    CommitIn,
    CourseIn,
    CourseOut,
    CoursePatch,
    DrawIn,
    LotteryOut,
    ProviderIn,
    ProviderOut,
    ProviderPatch,
    RosterRowOut,
)

blp = Blueprint(
    "courses_admin",
    __name__,
    url_prefix="/admin/api/v1/schools",
    description="Providers, courses, rosters and the lottery",
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TERM = "/<int:school_id>/terms/<int:term_id>"


@blp.route("/<int:school_id>/providers")
class Providers(MethodView):
    @blp.response(200, ProviderOut(many=True))
    @blp.paginate(Page)
    def get(self, school_id):
        """The school's providers, blacklisted ones included (with the end of the ban)."""
        return providers.list_for_school(school_id)

    @idempotent
    @blp.arguments(ProviderIn)
    @blp.response(201, ProviderOut)
    def post(self, data, school_id):
        """Register a provider with its licence and qualification (R12)."""
        return providers.create(school_id, data)


@blp.route("/<int:school_id>/providers/<int:provider_id>")
class ProviderItem(MethodView):
    @blp.response(200, ProviderOut)
    def get(self, school_id, provider_id):
        """One provider."""
        return providers.get(school_id, provider_id)

    @blp.arguments(ProviderPatch)
    @blp.response(200, ProviderOut)
    def patch(self, data, school_id, provider_id):
        """Change a provider's details or status (active / inactive)."""
        return providers.update(school_id, provider_id, data)


@blp.route("/<int:school_id>/providers/<int:provider_id>/blacklist")
class ProviderBlacklist(MethodView):
    @blp.arguments(BlacklistIn)
    @blp.response(200, ProviderOut)
    def post(self, data, school_id, provider_id):
        """Blacklist a provider (six years unless `until` says otherwise, R12): its
        courses can then be neither created nor opened (409 provider_blacklisted)."""
        return providers.blacklist(school_id, provider_id, data)


@blp.route(f"{TERM}/courses")
class Courses(MethodView):
    @blp.response(200, CourseOut(many=True))
    @blp.paginate(Page)
    def get(self, school_id, term_id):
        """The term's courses with seats taken and waitlist lengths."""
        return catalogue.list_for_term(school_id, term_id)

    @idempotent
    @blp.arguments(CourseIn)
    @blp.response(201, CourseOut)
    @blp.alt_response(409, description="provider_blacklisted, provider_inactive")
    @blp.alt_response(422, description="invalid_course (times, grades, provider)")
    def post(self, data, school_id, term_id):
        """Add a course: end after start and not after the term's service end time,
        grades 1-9 in order, capacity 1-500, weekdays 1-5."""
        return catalogue.create(school_id, term_id, data)


@blp.route(f"{TERM}/courses/balance")
class CourseBalance(MethodView):
    @blp.response(200, BalanceOut)
    def get(self, school_id, term_id):
        """Weekly minutes of homework help (tutoring) vs enrichment, summed over the open
        courses (minutes x weekdays), with warnings: enrichment under 50% (R7), fewer
        than three active third-party providers behind the courses (R12)."""
        return catalogue.balance(school_id, term_id)


@blp.route(f"{TERM}/courses/<int:course_id>")
class CourseItem(MethodView):
    @blp.response(200, CourseOut)
    def get(self, school_id, term_id, course_id):
        """One course."""
        return catalogue.get(school_id, term_id, course_id)

    @blp.arguments(CoursePatch)
    @blp.response(200, CourseOut)
    @blp.alt_response(409, description="capacity_below_taken, provider_blacklisted")
    def patch(self, data, school_id, term_id, course_id):
        """Change a course. Capacity cannot go below the seats taken; more capacity
        promotes waitlisted pupils at once. Set `status` to close or reopen it."""
        return catalogue.update(school_id, term_id, course_id, data)


@blp.route(f"{TERM}/courses/<int:course_id>/roster")
class CourseRoster(MethodView):
    @blp.response(200, RosterRowOut(many=True))
    @blp.paginate(Page)
    def get(self, school_id, term_id, course_id):
        """Pupils with a seat (by class), then the waitlist in order."""
        return rosters.admin_roster(school_id, term_id, course_id)


@blp.route(f"{TERM}/courses/<int:course_id>/roster/export")
class CourseRosterExport(MethodView):
    @blp.response(200, content_type=XLSX, description="The roster as an .xlsx workbook.")
    def get(self, school_id, term_id, course_id):
        """The roster as .xlsx, for the register on the classroom door."""
        data, filename = rosters.admin_roster_xlsx(school_id, term_id, course_id)
        return send_file(data, as_attachment=True, download_name=filename, mimetype=XLSX)


@blp.route(f"{TERM}/lottery")
class LotteryState(MethodView):
    @blp.response(200, LotteryOut)
    def get(self, school_id, term_id):
        """The commitment and, after the draw, the seed and counts."""
        return lottery.admin_view(school_id, term_id)


@blp.route(f"{TERM}/lottery/commit")
class LotteryCommit(MethodView):
    @blp.arguments(CommitIn)
    @blp.response(201, LotteryOut)
    @blp.alt_response(409, description="lottery_already_committed, lottery_commit_too_late")
    def post(self, data, school_id, term_id):
        """Commit SHA-256(secret seed) as hex, at the latest before the window closes.
        Guardians see the hash at once; keep the seed secret until the draw."""
        return lottery.commit(school_id, term_id, data["seed_hash"])


@blp.route(f"{TERM}/lottery/draw")
class LotteryDrawView(MethodView):
    @blp.arguments(DrawIn)
    @blp.response(200, LotteryOut)
    @blp.alt_response(
        409, description="lottery_window_open, lottery_not_committed, lottery_already_drawn"
    )
    @blp.alt_response(422, description="seed_mismatch")
    def post(self, data, school_id, term_id):
        """Reveal the seed after the window closes and draw (see the algorithm text):
        seats and waitlists are written, guardians notified, inputs published."""
        return lottery.draw_lottery(school_id, term_id, data["seed"])
