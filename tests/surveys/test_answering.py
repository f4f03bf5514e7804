"""Setting up a survey and answering it: the window, once per pupil, the subjects a pupil
may rate, bad answers, and the wrong callers."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.common.clock import now
from backend.surveys.models import Survey, SurveyAnswered, SurveyTally
from tests import factories as f
from tests.surveys.helpers import QUESTIONS, answers, create_survey, respond, survey_world


def _count(db, model, **where):
    stmt = sa.select(sa.func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return db.scalar(stmt)


def test_office_creates_lists_and_reads_a_survey(client, db):
    x = survey_world(db, families=0)
    s = create_survey(client, x)
    assert [q["kind"] for q in s["questions"]] == ["score", "score", "text"]
    assert s["responses"] == 0 and s["term_id"] == x.term.id
    base = f"/admin/api/v1/schools/{x.sid}"
    r = client.get(f"{base}/terms/{x.term.id}/surveys", headers=x.office)
    assert r.status_code == 200 and [i["id"] for i in r.json] == [s["id"]]
    assert "X-Pagination" in r.headers
    r = client.get(f"{base}/surveys/{s['id']}", headers=x.office)
    assert r.status_code == 200 and r.json["title"] == "2026秋季满意度测评"
    audit = db.scalars(sa.select(AuditLog.action).where(AuditLog.object_id == str(s["id"]))).all()
    assert "survey.create" in audit


def test_survey_input_is_validated(client, db):
    x = survey_world(db, families=0)
    url = f"/admin/api/v1/schools/{x.sid}/terms/{x.term.id}/surveys"
    moment = now()
    bad = [
        {"title": "t", "opens_at": moment.isoformat(), "closes_at": moment.isoformat()},
        {
            "title": "t",
            "opens_at": moment.isoformat(),
            "closes_at": (moment + timedelta(1)).isoformat(),
        },
    ]
    bad[0]["questions"] = QUESTIONS
    bad[1]["questions"] = [{"text": "x", "kind": "stars"}]
    for body in bad:
        r = client.post(url, json=body, headers=x.office)
        assert r.status_code == 422 and r.json["error"] == "validation_error", r.json
    assert _count(db, Survey) == 0


def test_guardian_sees_subjects_of_the_child_and_answers_once(client, db):
    x = survey_world(db, families=1)
    s = create_survey(client, x)
    r = client.get("/api/v1/surveys", query_string={"student_id": x.kid.id}, headers=x.h)
    assert r.status_code == 200, r.json
    [item] = r.json
    assert item["answered"] is False and item["open"] is True
    assert [q["id"] for q in item["questions"]] == [q["id"] for q in s["questions"]]
    assert item["subjects"] == [
        {"kind": "service", "name": "课后服务（整体）"},
        {"kind": "course", "course_id": x.course.id, "name": "篮球"},
    ]
    r = respond(client, x.h, s, x.kid, [x.course.id], text="很好")
    assert r.status_code == 201, r.json
    assert r.json == {"survey_id": s["id"], "student_id": x.kid.id, "answered": True}
    r = client.get("/api/v1/surveys", query_string={"student_id": x.kid.id}, headers=x.h)
    assert r.json[0]["answered"] is True
    # a second guardian of the same child: 409, and nothing more is counted
    second = f.user(db)
    f.guardian_of(db, second, x.kid, relation="father")
    r = respond(client, f.auth(db, user_row=second), s, x.kid, [x.course.id])
    assert r.status_code == 409 and r.json["error"] == "survey_already_answered"
    assert _count(db, SurveyAnswered) == 1
    service = db.scalars(sa.select(SurveyTally).where(SurveyTally.subject == "service")).all()
    assert {t.responses for t in service} == {1}
    audit = db.scalars(sa.select(AuditLog).where(AuditLog.action == "survey.answer")).all()
    assert len(audit) == 1 and audit[0].after == {"student_id": x.kid.id}


def test_outside_the_window_is_survey_closed(client, db):
    x = survey_world(db, families=0)
    moment = now()
    later = create_survey(
        client,
        x,
        opens_at=(moment + timedelta(days=1)).isoformat(),
        closes_at=(moment + timedelta(days=2)).isoformat(),
    )
    r = respond(client, x.h, later, x.kid, [x.course.id])
    assert r.status_code == 409 and r.json["error"] == "survey_closed"
    # not yet open: not listed to families either
    r = client.get("/api/v1/surveys", query_string={"student_id": x.kid.id}, headers=x.h)
    assert r.json == []
    past = create_survey(client, x)
    row = db.get(Survey, past["id"])
    row.opens_at, row.closes_at = moment - timedelta(days=3), moment - timedelta(seconds=1)
    db.flush()
    r = respond(client, x.h, past, x.kid, [x.course.id])
    assert r.status_code == 409 and r.json["error"] == "survey_closed"
    assert _count(db, SurveyAnswered) == 0


def test_bad_answers_are_refused_and_nothing_is_written(client, db):
    x = survey_world(db, families=0)
    s = create_survey(client, x)
    url = f"/api/v1/surveys/{s['id']}/responses"
    full = answers(s, [x.course.id])

    def post(items):
        return client.post(url, json={"student_id": x.kid.id, "answers": items}, headers=x.h)

    # a course the child did not take
    r = post(answers(s, [x.course.id, x.other_course.id]))
    assert r.status_code == 422 and r.json["error"] == "course_not_taken", r.json
    # a score outside 1-5
    wrong = [dict(a) for a in full]
    wrong[0]["score"] = 6
    r = post(wrong)
    assert r.status_code == 422 and r.json["error"] == "validation_error"
    # a missing answer (the course's score questions left out)
    r = post([a for a in full if a["kind"] == "service"])
    assert r.status_code == 422 and r.json["error"] == "invalid_answers", r.json
    # a score given to a text question, a duplicate, an unknown question
    text_q = s["questions"][2]["id"]
    r = post(full + [{"kind": "service", "question_id": text_q, "score": 3}])
    assert r.status_code == 422 and r.json["error"] == "invalid_answers"
    r = post(full + [full[0]])
    assert r.status_code == 422 and r.json["error"] == "invalid_answers"
    r = post(full + [{"kind": "service", "question_id": 99999, "score": 3}])
    assert r.status_code == 422 and r.json["error"] == "invalid_answers"
    # a course answer without course_id
    r = post([{"kind": "course", "question_id": text_q, "text": "x"}])
    assert r.status_code == 422 and r.json["error"] == "validation_error"
    assert _count(db, SurveyAnswered) == 0
    assert {t.responses for t in db.scalars(sa.select(SurveyTally))} == {0}
    assert post(full).status_code == 201


def test_wrong_callers(client, db):
    x = survey_world(db, families=1)
    s = create_survey(client, x)
    q = {"student_id": x.kid.id}
    # a guardian of another family / school: 404 for the child
    other = x.families[0]
    assert client.get("/api/v1/surveys", query_string=q, headers=other.h).status_code == 404
    r = respond(client, other.h, s, x.kid, [x.course.id])
    assert r.status_code == 404
    assert client.get("/api/v1/surveys", query_string=q, headers=x.other_parent).status_code == 404
    # B's family answering A's survey for their own child: 404 (not their school's survey)
    b_kid = x.b["kids"][0]
    r = respond(client, x.other_parent, s, b_kid, [])
    assert r.status_code == 404
    # the office of another school: 404 everywhere
    base = f"/admin/api/v1/schools/{x.sid}"
    for url in (
        f"{base}/terms/{x.term.id}/surveys",
        f"{base}/surveys/{s['id']}",
        f"{base}/surveys/{s['id']}/results",
        f"{base}/surveys/{s['id']}/results/export",
        f"{base}/survey-settings",
    ):
        assert client.get(url, headers=x.other_office).status_code == 404, url
    r = client.post(
        f"{base}/terms/{x.term.id}/surveys",
        json={
            "title": "x",
            "questions": QUESTIONS,
            "opens_at": now().isoformat(),
            "closes_at": (now() + timedelta(1)).isoformat(),
        },
        headers=x.other_office,
    )
    assert r.status_code == 404
    # B's office asking for A's survey under its own school: 404
    b_base = f"/admin/api/v1/schools/{x.b['school'].id}"
    r = client.get(f"{b_base}/surveys/{s['id']}/results", headers=x.other_office)
    assert r.status_code == 404
    # mini-program users on the admin API and admins on the app API: 401
    assert client.get(f"{base}/surveys/{s['id']}", headers=x.h).status_code == 401
    assert client.get("/api/v1/surveys", query_string=q, headers=x.office).status_code == 401


def test_a_pupil_not_enrolled_in_the_term_may_not_answer(client, db):
    x = survey_world(db, families=0)
    s = create_survey(client, x)
    child = f.student(db, x.a["classes"][0])
    f.guardian_of(db, x.parent, child)
    r = respond(client, x.h, s, child, [])
    assert r.status_code == 403 and r.json["error"] == "survey_not_enrolled"
    r = client.get("/api/v1/surveys", query_string={"student_id": child.id}, headers=x.h)
    assert r.status_code == 200 and r.json == []


def test_answers_are_rate_limited_per_user(client, db):
    x = survey_world(db, families=0)
    s = create_survey(client, x)
    url = f"/api/v1/surveys/{s['id']}/responses"
    codes = [
        client.post(url, json={"student_id": x.kid.id, "answers": []}, headers=x.h).status_code
        for _ in range(21)
    ]
    assert codes[:20] == [422] * 20 and codes[20] == 429
