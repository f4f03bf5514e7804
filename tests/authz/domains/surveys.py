"""Matrix rows of the survey domain: one open survey per school, its results and settings."""

from __future__ import annotations

from datetime import timedelta

from backend.common.clock import now
from backend.surveys.models import Survey, SurveyQuestion
from tests.authz.roles import GA, OK, admin, app

S = "/admin/api/v1/schools/{school_id}"
SURVEY_IN = {
    "title": "满意度测评",
    "opens_at": "2026-12-01T08:00:00+08:00",
    "closes_at": "2026-12-20T18:00:00+08:00",
    "questions": [{"text": "总体满意度", "kind": "score"}],
}
ANSWERS = {
    "student_id": "{student_id}",
    "answers": [
        {"kind": "service", "question_id": "{survey_score_q}", "score": 4},
        {"kind": "service", "question_id": "{survey_text_q}", "text": "很好"},
        {
            "kind": "course",
            "course_id": "{course_id}",
            "question_id": "{survey_score_q}",
            "score": 5,
        },
    ],
}

ROWS = [
    app("GET", "/api/v1/surveys", (GA,), query={"student_id": "{student_id}"}),
    app(
        "POST",
        "/api/v1/surveys/{survey_id}/responses",
        (GA,),
        json=ANSWERS,
        # the other family's own child may answer the school's survey (the course in the
        # body is not theirs: a business 422, not a refusal of scope)
        swap_expect={"guardian_other@own_child": OK},
    ),
    admin("GET", S + "/terms/{term_id}/surveys"),
    admin("POST", S + "/terms/{term_id}/surveys", json=SURVEY_IN),
    admin("GET", S + "/surveys/{survey_id}"),
    admin("GET", S + "/surveys/{survey_id}/results"),
    admin("GET", S + "/surveys/{survey_id}/results/export"),
    admin("GET", S + "/survey-settings"),
    admin("PUT", S + "/survey-settings", json={"low_threshold": 2.5}),
]


def build(school, db) -> None:
    """An open survey of the school's term with a score and a text question."""
    survey = Survey(
        school_id=school.sid,
        term_id=school.term.id,
        title="本学期满意度测评",
        opens_at=now() - timedelta(hours=1),
        closes_at=now() + timedelta(days=7),
    )
    db.add(survey)
    db.flush()
    score = SurveyQuestion(survey_id=survey.id, position=1, text="总体满意度", kind="score")
    text = SurveyQuestion(survey_id=survey.id, position=2, text="意见", kind="text")
    db.add_all([score, text])
    db.flush()
    school.survey_ids = (survey.id, score.id, text.id)
    db.commit()


def ids(school) -> dict:
    survey_id, score_id, text_id = school.survey_ids
    return {"survey_id": survey_id, "survey_score_q": score_id, "survey_text_q": text_id}
