"""Real concurrency on PostgreSQL: two guardians of one pupil answering at the same moment
make one response; many families at once lose no answer and do not deadlock."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from backend.common.clock import now
from backend.surveys.models import Survey, SurveyAnswered, SurveyQuestion, SurveyTally
from tests import factories as f
from tests.surveys.helpers import confirm


def _setup(session, families: int, guardians_each: int):
    s = f.school(session)
    klass = f.klass(session, f.grade(session, s))
    term = f.term(session, s)
    course = f.course(session, term)
    survey = Survey(
        school_id=s.id,
        term_id=term.id,
        title="并发测评",
        opens_at=now() - timedelta(hours=1),
        closes_at=now() + timedelta(days=1),
    )
    session.add(survey)
    session.flush()
    qs = [
        SurveyQuestion(survey_id=survey.id, position=1, text="满意度", kind="score"),
        SurveyQuestion(survey_id=survey.id, position=2, text="建议", kind="text"),
    ]
    session.add_all(qs)
    session.flush()
    jobs = []
    for i in range(families):
        kid = f.student(session, klass)
        f.enrolled(session, term, kid)
        confirm(session, term, course, kid)
        for _ in range(guardians_each):
            parent = f.user(session)
            f.guardian_of(session, parent, kid)
            body = {
                "student_id": kid.id,
                "answers": [
                    {"kind": "service", "question_id": qs[0].id, "score": 1 + i % 5},
                    {"kind": "service", "question_id": qs[1].id, "text": f"建议{i}"},
                    {"kind": "course", "course_id": course.id, "question_id": qs[0].id, "score": 5},
                ],
            }
            jobs.append((f.auth(session, user_row=parent), body))
    session.commit()
    return survey.id, jobs


def _run(app, survey_id, jobs):
    results = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def go(i, headers, body):
        with app.test_client() as c:
            barrier.wait()
            r = c.post(f"/api/v1/surveys/{survey_id}/responses", json=body, headers=headers)
            results[i] = (r.status_code, r.get_json())

    threads = [threading.Thread(target=go, args=(i, *job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _count(session, model, survey_id):
    return session.scalar(
        sa.select(sa.func.count()).select_from(model).where(model.survey_id == survey_id)
    )


def test_two_guardians_of_one_pupil_at_once_make_one_response(app, committed, requires_pg):
    survey_id, jobs = _setup(committed, families=1, guardians_each=2)
    results = _run(app, survey_id, jobs)
    codes = sorted(code for code, _ in results)
    assert codes == [201, 409], results
    assert [b["error"] for c, b in results if c == 409] == ["survey_already_answered"]
    committed.expire_all()
    assert _count(committed, SurveyAnswered, survey_id) == 1
    tallies = committed.scalars(
        sa.select(SurveyTally).where(SurveyTally.survey_id == survey_id)
    ).all()
    assert {t.responses for t in tallies} == {1}


def test_many_families_at_once_lose_no_answer(app, committed, requires_pg):
    survey_id, jobs = _setup(committed, families=20, guardians_each=1)
    results = _run(app, survey_id, jobs)
    assert [c for c, _ in results] == [201] * 20, results
    committed.expire_all()
    rows = committed.scalars(sa.select(SurveyTally).where(SurveyTally.survey_id == survey_id))
    by_subject = {(t.subject, len(t.texts)): t for t in rows}
    service_score = by_subject[("service", 0)]
    assert service_score.responses == 20 and service_score.counts() == [4, 4, 4, 4, 4]
    assert sorted(by_subject[("service", 20)].texts) == sorted(f"建议{i}" for i in range(20))
    assert _count(committed, SurveyAnswered, survey_id) == 20
