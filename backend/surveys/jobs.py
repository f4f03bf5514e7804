"""The survey sweep: tell families when a survey opens, and remind the families who have
not answered once, within REMIND_BEFORE of the close. Each message goes out once: the
survey row is claimed by a conditional UPDATE in the same transaction as the outbox rows."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from backend.audit.service import record
from backend.common.clock import SCHOOL_TZ, now
from backend.database import unit_of_work
from backend.notifications.outbox import notify_guardians
from backend.schools.models import Student
from backend.signup.queries import enrolled_ids
from backend.surveys.models import Survey, SurveyAnswered

REMIND_BEFORE = timedelta(hours=24)


def _claim(session, survey_id: int, column) -> bool:
    """Mark the message as sent; False if another run already has."""
    result = session.execute(
        sa.update(Survey)
        .where(Survey.id == survey_id, column.is_(None))
        .values({column.key: now()})
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _tell(session, survey: Survey, student_ids, kind: str, note: str) -> int:
    """One message per guardian of each pupil; returns how many were queued."""
    names = dict(
        session.execute(
            sa.select(Student.id, Student.name).where(Student.id.in_(list(student_ids)))
        ).all()
    )
    closes = survey.closes_at.astimezone(SCHOOL_TZ).strftime("%Y-%m-%d %H:%M")
    count = 0
    for student_id in sorted(student_ids):
        count += notify_guardians(
            session,
            student_id,
            kind=kind,
            school_id=survey.school_id,
            payload={
                "fields": {
                    "thing1": survey.title,
                    "thing2": names.get(student_id, ""),
                    "time3": closes,
                    "thing4": note,
                },
                "page": f"pages/surveys/index?student_id={student_id}",
            },
        )
    return count


def _due(session, column, extra) -> list[int]:
    """Ids of the open surveys whose message (column) has not gone out yet."""
    moment = now()
    return list(
        session.scalars(
            sa.select(Survey.id)
            .where(column.is_(None), Survey.opens_at <= moment, Survey.closes_at > moment, *extra)
            .order_by(Survey.id)
        )
    )


def _run(column, kind: str, note: str, extra=(), only_unanswered=False) -> int:
    """Claim each due survey and queue its messages, one transaction per survey."""
    sent = 0
    with unit_of_work() as session:
        due = _due(session, column, extra)
    for survey_id in due:
        with unit_of_work() as session:
            if not _claim(session, survey_id, column):
                continue
            survey = session.get(Survey, survey_id)
            pupils = enrolled_ids(session, survey.term_id)
            if only_unanswered:
                pupils -= set(
                    session.scalars(
                        sa.select(SurveyAnswered.student_id).where(
                            SurveyAnswered.survey_id == survey.id
                        )
                    )
                )
            count = _tell(session, survey, pupils, kind, note)
            record(
                session,
                action=f"survey.{kind}",
                object_type="survey",
                object_id=survey.id,
                school_id=survey.school_id,
                after={"pupils": len(pupils), "messages": count},
            )
            sent += count
    return sent


def sweep() -> dict:
    """Opening messages, then reminders to the families who have not answered."""
    opened = _run(Survey.opening_sent_at, "survey_opened", "满意度问卷已开始，请为孩子填写")
    reminded = _run(
        Survey.reminder_sent_at,
        "survey_reminder",
        "问卷即将截止，您还未填写",
        extra=(Survey.closes_at <= now() + REMIND_BEFORE,),
        only_unanswered=True,
    )
    return {"opening_messages": opened, "reminders": reminded}
