"""Mini-program API: my child's surveys and answering one."""

from __future__ import annotations

from flask.views import MethodView

from backend.common.pagination import Blueprint
from backend.extensions import limiter
from backend.surveys import answering
from backend.surveys.schemas import AppSurveyOut, ResponseIn, ResponseOut, SurveyQuery

blp = Blueprint("surveys", __name__, url_prefix="/api/v1", description="Satisfaction surveys")
# Per user: a family answers a few surveys a term; this stops scripts only.
ANSWER_LIMIT = "20/minute"


@blp.route("/surveys")
class Surveys(MethodView):
    @blp.arguments(SurveyQuery, location="query", unknown=None)
    @blp.response(200, AppSurveyOut(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Surveys of my child's terms that have opened, newest first: the questions, the
        subjects to rate (the service, and each course the child is confirmed in) and
        whether the family has answered."""
        p = pagination_parameters
        items, p.item_count = answering.guardian_surveys(query["student_id"], p.page, p.page_size)
        return items


@blp.route("/surveys/<int:survey_id>/responses")
class Responses(MethodView):
    @limiter.limit(ANSWER_LIMIT)
    @blp.arguments(ResponseIn)
    @blp.response(201, ResponseOut)
    @blp.alt_response(403, description="survey_not_enrolled")
    @blp.alt_response(409, description="survey_closed, survey_already_answered")
    @blp.alt_response(422, description="course_not_taken, invalid_answers, validation_error")
    def post(self, data, survey_id):
        """Answer for my child, once per child (any one guardian), inside the window. One
        answer per subject and question: every score question (1-5) of every subject is
        required, text ones are optional. Anonymous: nothing that identifies the family is
        stored with the answers. No Idempotency-Key here: a repeat is 409
        survey_already_answered, and the body is never kept."""
        return answering.respond(survey_id, data["student_id"], data["answers"])
