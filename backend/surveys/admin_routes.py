"""Admin API: a term's surveys, their results (and .xlsx), the low-satisfaction threshold."""

from __future__ import annotations

from flask import send_file
from flask.views import MethodView

from backend.common.idempotency import idempotent
from backend.common.pagination import Blueprint
from backend.surveys import authoring, results
from backend.surveys.schemas import (
    ListQuery,
    ResultsOut,
    SettingsIn,
    SettingsOut,
    SurveyIn,
    SurveyOut,
)

blp = Blueprint(
    "surveys_admin",
    __name__,
    url_prefix="/admin/api/v1/schools",
    description="Satisfaction surveys (R15)",
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blp.route("/<int:school_id>/terms/<int:term_id>/surveys")
class Surveys(MethodView):
    @blp.arguments(ListQuery, location="query", unknown=None)
    @blp.response(200, SurveyOut(many=True))
    @blp.paginate()
    def get(self, _query, school_id, term_id, pagination_parameters):
        """The term's surveys, newest first, with how many families answered."""
        p = pagination_parameters
        items, p.item_count = authoring.list_for_term(school_id, term_id, p.page, p.page_size)
        return items

    @idempotent
    @blp.arguments(SurveyIn)
    @blp.response(201, SurveyOut)
    def post(self, data, school_id, term_id):
        """Create a survey: a window and score (1-5) or text questions. Its subjects for
        each pupil are the courses the pupil is confirmed in that term, plus the service
        as a whole. Guardians of enrolled pupils are told when it opens (`flask surveys
        sweep`) and reminded once, within 24 hours of the close, if they have not answered."""
        return authoring.create(school_id, term_id, data)


@blp.route("/<int:school_id>/surveys/<int:survey_id>")
class SurveyItem(MethodView):
    @blp.response(200, SurveyOut)
    def get(self, school_id, survey_id):
        """One survey."""
        return authoring.detail(school_id, survey_id)


@blp.route("/<int:school_id>/surveys/<int:survey_id>/results")
class SurveyResults(MethodView):
    @blp.response(200, ResultsOut)
    def get(self, school_id, survey_id):
        """Results per course, per provider and for the service: averages per question
        and subject, text answers without names, the response rate (responses / pupils
        enrolled). A subject with fewer than 5 responses shows only its count (and a
        provider's average counts only its courses that are shown). While the survey is
        open only counts are shown (`closed: false`): comparing results before and after
        one family's answer would otherwise give that answer away."""
        return results.admin_results(school_id, survey_id)


@blp.route("/<int:school_id>/surveys/<int:survey_id>/results/export")
class SurveyResultsExport(MethodView):
    @blp.response(200, content_type=XLSX, description="The results as an .xlsx workbook.")
    def get(self, school_id, survey_id):
        """The results as .xlsx (the same thresholds apply)."""
        data, filename = results.admin_results_xlsx(school_id, survey_id)
        return send_file(data, as_attachment=True, download_name=filename, mimetype=XLSX)


@blp.route("/<int:school_id>/survey-settings")
class SurveySettingsView(MethodView):
    @blp.response(200, SettingsOut)
    def get(self, school_id):
        """The low-satisfaction threshold: a provider whose courses average below it, over
        at least `min_responses` responses in a term, is flagged in the provider list."""
        return authoring.get_settings(school_id)

    @blp.arguments(SettingsIn)
    @blp.response(200, SettingsOut)
    def put(self, data, school_id):
        """Set the threshold (1.0-5.0; 3.0 unless set)."""
        return authoring.put_settings(school_id, data)
