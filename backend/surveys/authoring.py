"""The office sets up a term's survey, lists and reads them, and sets the threshold."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor
from backend.auth.scope import admin_school
from backend.common.pagination import paginate
from backend.courses.queries import term_course_ids
from backend.database import get_session, unit_of_work
from backend.errors import NotFound
from backend.surveys import queries
from backend.surveys.models import (
    SERVICE,
    Survey,
    SurveyAnswered,
    SurveyQuestion,
    SurveySettings,
    empty_tally,
    subject_key,
)
from backend.terms.models import Term


def _term_of(session, school_id: int, term_id: int) -> Term:
    """The school's term, else 404."""
    term = session.get(Term, term_id)
    if term is None or term.school_id != school_id:
        raise NotFound()
    return term


def survey_of(session, school_id: int, survey_id: int) -> Survey:
    """The school's survey, else 404."""
    survey = session.get(Survey, survey_id)
    if survey is None or survey.school_id != school_id:
        raise NotFound()
    return survey


def questions_of(session, survey_id: int) -> list[SurveyQuestion]:
    """The survey's questions in their order."""
    return list(
        session.scalars(
            sa.select(SurveyQuestion)
            .where(SurveyQuestion.survey_id == survey_id)
            .order_by(SurveyQuestion.position)
        )
    )


def question_view(q: SurveyQuestion) -> dict:
    """A question as clients see it."""
    return {"id": q.id, "text": q.text, "kind": q.kind}


def _view(session, survey: Survey) -> dict:
    """A survey for the office: window, questions, how many answered, messages sent."""
    answered = session.scalar(
        sa.select(sa.func.count()).where(SurveyAnswered.survey_id == survey.id)
    )
    return {
        "id": survey.id,
        "school_id": survey.school_id,
        "term_id": survey.term_id,
        "title": survey.title,
        "opens_at": survey.opens_at,
        "closes_at": survey.closes_at,
        "questions": [question_view(q) for q in questions_of(session, survey.id)],
        "responses": answered,
        "opening_sent_at": survey.opening_sent_at,
        "reminder_sent_at": survey.reminder_sent_at,
    }


def _prepare_tallies(session, survey: Survey) -> None:
    """Empty tallies for the service and every course of the term, made now so that the
    order in which rows appear later says nothing about who answered first."""
    subjects = [(SERVICE, None)] + [
        (subject_key("course", c), c) for c in term_course_ids(session, survey.term_id)
    ]
    questions = questions_of(session, survey.id)
    for subject, course_id in subjects:
        for q in questions:
            session.add(empty_tally(survey.id, subject, course_id, q.id))
    session.flush()


def create(school_id: int, term_id: int, data: dict) -> dict:
    """Create a term's survey with its questions (families are told when it opens)."""
    actor = current_actor()
    with unit_of_work() as session:
        admin_school(session, actor, school_id)
        term = _term_of(session, school_id, term_id)
        survey = Survey(
            school_id=school_id,
            term_id=term.id,
            title=data["title"],
            opens_at=data["opens_at"],
            closes_at=data["closes_at"],
            created_by_admin_id=actor.id,
        )
        session.add(survey)
        session.flush()
        for position, q in enumerate(data["questions"], start=1):
            session.add(
                SurveyQuestion(
                    survey_id=survey.id, position=position, text=q["text"], kind=q["kind"]
                )
            )
        session.flush()
        _prepare_tallies(session, survey)
        out = _view(session, survey)
        record(
            session,
            action="survey.create",
            object_type="survey",
            object_id=survey.id,
            school_id=school_id,
            after={k: out[k] for k in ("term_id", "title", "opens_at", "closes_at", "questions")},
        )
    return out


def list_for_term(school_id: int, term_id: int, page: int, page_size: int) -> tuple[list, int]:
    """The term's surveys, newest first."""
    session = get_session()
    admin_school(session, current_actor(), school_id)
    _term_of(session, school_id, term_id)
    stmt = sa.select(Survey).where(Survey.term_id == term_id).order_by(Survey.id.desc())
    rows, total = paginate(session, stmt, page, page_size)
    return [_view(session, s) for s in rows], total


def detail(school_id: int, survey_id: int) -> dict:
    """One survey of the school."""
    session = get_session()
    admin_school(session, current_actor(), school_id)
    return _view(session, survey_of(session, school_id, survey_id))


def _settings_view(school_id: int, threshold: Decimal) -> dict:
    """The settings as the office sees them."""
    return {
        "school_id": school_id,
        "low_threshold": float(threshold),
        "min_responses": queries.LOW_MIN_RESPONSES,
    }


def get_settings(school_id: int) -> dict:
    """The school's low-satisfaction threshold (3.0 unless set)."""
    session = get_session()
    admin_school(session, current_actor(), school_id)
    return _settings_view(school_id, queries.low_threshold(session, school_id))


def put_settings(school_id: int, data: dict) -> dict:
    """Set the school's low-satisfaction threshold."""
    with unit_of_work() as session:
        admin_school(session, current_actor(), school_id)
        row = session.get(SurveySettings, school_id)
        before = None if row is None else {"low_threshold": row.low_threshold}
        if row is None:
            row = SurveySettings(school_id=school_id)
            session.add(row)
        row.low_threshold = Decimal(str(round(data["low_threshold"], 2)))
        session.flush()
        record(
            session,
            action="survey.settings",
            object_type="school",
            object_id=school_id,
            school_id=school_id,
            before=before,
            after={"low_threshold": row.low_threshold},
        )
        return _settings_view(school_id, Decimal(row.low_threshold))
