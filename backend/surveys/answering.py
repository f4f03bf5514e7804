"""Families answer a survey, once per pupil, anonymously.

Anonymity is structural: what a family answered is never stored next to who answered.

- `survey_answered` (survey, pupil, date) says only *that* a pupil's family answered; its
  unique constraint stops a second answer (two guardians sending at once: one wins, the
  other gets 409). It holds no answer.
- The answers themselves are not rows per response: they are added into `survey_tallies`,
  one row per survey, subject and question, holding counters (how many responses, how
  many gave 1..5) and the text answers, each new text inserted at a random place. A
  tally row has no user, pupil, guardian, response id or timestamp, so nothing joins it
  back to `survey_answered`. Per-response rows would leak even with random ids and no
  timestamps: their physical order in a dump follows the order of `survey_answered`,
  and on PostgreSQL their `xmin` (the inserting transaction) equals that of the pupil's
  `survey_answered` row. A tally is updated by every response, so its order and `xmin`
  say nothing about any one family's answer. The tallies of the service and of the
  term's courses are made empty with the survey, so not even the order in which rows
  appear says who answered first.
- The audit row of an answer names the guardian and pupil (who answered, R14), never the
  answers. No Idempotency-Key is stored for answers: its body fingerprint would let the
  small space of score combinations be hashed back to a family; the "answered" record
  already makes a repeat harmless (409).
- Results show a subject only from 5 responses on, and only once the survey has closed,
  so the office cannot difference results taken around one family's answer (results.py).

Residual risk, stated plainly: someone reading the database itself between two answers
can difference the tallies; that needs access to the server, not to the office's API.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.audit.service import record
from backend.auth.context import require_user
from backend.auth.scope import guardian_student
from backend.common.clock import now, today
from backend.common.pagination import page_slice
from backend.courses.queries import confirmed_course_ids, course_facts
from backend.database import get_session, unit_of_work
from backend.errors import NotFound
from backend.signup.queries import is_enrolled
from backend.surveys.authoring import question_view, questions_of
from backend.surveys.errors import (
    CourseNotTaken,
    InvalidAnswers,
    SurveyAlreadyAnswered,
    SurveyClosed,
    SurveyNotEnrolled,
)
from backend.surveys.models import (
    SERVICE,
    Survey,
    SurveyAnswered,
    SurveyTally,
    empty_tally,
    subject_key,
)

SERVICE_NAME = "课后服务（整体）"


def _subjects(session, term_id: int, student_id: int) -> list[dict]:
    """The service as a whole, then the courses the pupil is confirmed in this term."""
    facts = course_facts(session, confirmed_course_ids(session, term_id, student_id))
    out = [{"kind": "service", "name": SERVICE_NAME}]
    for course_id in sorted(facts):
        out.append({"kind": "course", "course_id": course_id, "name": facts[course_id]["name"]})
    return out


def guardian_surveys(student_id: int, page: int, page_size: int) -> tuple[list[dict], int]:
    """Surveys that have opened for my child's terms, newest first, with `answered`."""
    actor = require_user()
    session = get_session()
    student = guardian_student(session, actor, student_id)
    moment = now()
    surveys = session.scalars(
        sa.select(Survey)
        .where(Survey.school_id == student.school_id, Survey.opens_at <= moment)
        .order_by(Survey.closes_at.desc(), Survey.id.desc())
    ).all()
    terms = {t for t in {s.term_id for s in surveys} if is_enrolled(session, t, student.id)}
    mine = [s for s in surveys if s.term_id in terms]
    rows, total = page_slice(mine, page, page_size)
    answered = set(
        session.scalars(
            sa.select(SurveyAnswered.survey_id).where(
                SurveyAnswered.student_id == student.id,
                SurveyAnswered.survey_id.in_([s.id for s in rows]),
            )
        )
    )
    return [
        {
            "id": s.id,
            "title": s.title,
            "opens_at": s.opens_at,
            "closes_at": s.closes_at,
            "open": s.opens_at <= moment < s.closes_at,
            "answered": s.id in answered,
            "questions": [question_view(q) for q in questions_of(session, s.id)],
            "subjects": _subjects(session, s.term_id, student.id),
        }
        for s in rows
    ], total


def _plan(answers: list[dict], questions, course_ids: set[int]) -> dict:
    """{(subject, course_id, question_id): (score, text)} for every subject and question,
    from the answers; 422 for a course not taken, a wrong or missing answer."""
    by_id = {q.id: q for q in questions}
    given: dict = {}
    errors: dict = {}
    for index, a in enumerate(answers):
        course_id = a.get("course_id") if a["kind"] == "course" else None
        if course_id is not None and course_id not in course_ids:
            raise CourseNotTaken(errors={"answers": {index: {"course_id": [course_id]}}})
        q = by_id.get(a["question_id"])
        key = (subject_key(a["kind"], course_id), course_id, a["question_id"])
        text = (a.get("text") or "").strip() or None
        if q is None:
            errors[index] = ["问卷中没有这道题"]
        elif key in given:
            errors[index] = ["同一题目重复作答"]
        elif q.kind == "score" and (a.get("score") is None or a.get("text") is not None):
            errors[index] = ["评分题须给出1-5分"]
        elif q.kind == "text" and a.get("score") is not None:
            errors[index] = ["文字题不打分"]
        given[key] = (a.get("score"), text)
    subjects = [(SERVICE, None)] + [(subject_key("course", c), c) for c in sorted(course_ids)]
    plan = {}
    for subject, course_id in subjects:
        for q in questions:
            key = (subject, course_id, q.id)
            if key not in given and q.kind == "score":
                errors.setdefault("missing", []).append(f"{subject} / {q.id}")
            plan[key] = given.get(key, (None, None))
    if errors:
        raise InvalidAnswers(errors={"answers": errors})
    return plan


def _mark_answered(session, survey_id: int, student_id: int) -> None:
    """Insert the "answered" record; a concurrent or earlier answer makes this a 409."""
    try:
        with session.begin_nested():
            session.add(
                SurveyAnswered(survey_id=survey_id, student_id=student_id, answered_on=today())
            )
            session.flush()
    except IntegrityError:
        raise SurveyAlreadyAnswered() from None


def _tally(session, survey_id: int, subject: str, course_id, question_id: int) -> SurveyTally:
    """The tally row, locked. Rows of the service and the term's courses are made with the
    survey; a course added later gets its rows from the first answer that needs them."""
    stmt = (
        sa.select(SurveyTally)
        .where(
            SurveyTally.survey_id == survey_id,
            SurveyTally.subject == subject,
            SurveyTally.question_id == question_id,
        )
        .with_for_update()
    )
    row = session.scalar(stmt)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = empty_tally(survey_id, subject, course_id, question_id)
            session.add(row)
            session.flush()
        return row
    except IntegrityError:  # another answer created it meanwhile: lock theirs
        return session.scalar(stmt)


def _add(session, survey_id: int, plan: dict) -> None:
    """Add one response into the tallies, in key order (so two answers cannot deadlock)."""
    for (subject, course_id, question_id), (score, text) in sorted(
        plan.items(), key=lambda item: (item[0][0], item[0][2])
    ):
        row = _tally(session, survey_id, subject, course_id, question_id)
        row.responses += 1
        if score is not None:
            setattr(row, f"n{score}", getattr(row, f"n{score}") + 1)
        if text is not None:
            texts = list(row.texts or [])
            texts.insert(secrets.randbelow(len(texts) + 1), text)
            row.texts = texts
    session.flush()


def respond(survey_id: int, student_id: int, answers: list[dict]) -> dict:
    """Answer a survey for my child: once per pupil, inside the window, anonymously."""
    actor = require_user()
    with unit_of_work() as session:
        student = guardian_student(session, actor, student_id)
        survey = session.get(Survey, survey_id)
        if survey is None or survey.school_id != student.school_id:
            raise NotFound()
        if not is_enrolled(session, survey.term_id, student.id):
            raise SurveyNotEnrolled()
        if not survey.opens_at <= now() < survey.closes_at:
            raise SurveyClosed()
        done = sa.select(SurveyAnswered.id).where(
            SurveyAnswered.survey_id == survey.id, SurveyAnswered.student_id == student.id
        )
        if session.scalar(done) is not None:
            raise SurveyAlreadyAnswered()
        course_ids = confirmed_course_ids(session, survey.term_id, student.id)
        plan = _plan(answers, questions_of(session, survey.id), course_ids)
        _mark_answered(session, survey.id, student.id)
        _add(session, survey.id, plan)
        record(
            session,
            action="survey.answer",
            object_type="survey",
            object_id=survey.id,
            school_id=survey.school_id,
            after={"student_id": student.id},  # who answered, never what
        )
    return {"survey_id": survey_id, "student_id": student_id, "answered": True}
