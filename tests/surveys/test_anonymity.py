"""Anonymity is structural: the stored answers carry nothing that identifies a family,
the "answered" record carries no answer, and the stored answers do not depend on who
answered in which order."""

from __future__ import annotations

import sqlalchemy as sa

from backend.database import Base
from backend.surveys.models import SurveyTally
from tests.surveys.helpers import create_survey, respond, survey_world

IDENTIFYING = ("user", "student", "pupil", "guardian", "admin", "openid", "phone", "ip")
TIMES = ("_at", "_on", "time", "date")
ANSWER_DATA = ("score", "text", "n1", "n2", "n3", "n4", "n5", "answers", "course", "question")


def test_answer_table_has_no_identifying_or_time_column(db):
    inspector = sa.inspect(db.connection())
    columns = {c["name"] for c in inspector.get_columns("survey_tallies")}
    assert columns, "the table exists"
    for name in columns:
        assert not any(word in name for word in IDENTIFYING + TIMES), name
    referred = {fk["referred_table"] for fk in inspector.get_foreign_keys("survey_tallies")}
    assert referred == {"surveys", "courses", "survey_questions"}


def test_answered_table_holds_no_answer(db):
    inspector = sa.inspect(db.connection())
    columns = {c["name"] for c in inspector.get_columns("survey_answered")}
    assert columns == {"id", "survey_id", "student_id", "answered_on"}
    for name in columns:
        assert not any(word in name for word in ANSWER_DATA), name


def test_a_dump_holds_each_text_once_and_only_in_the_tallies(client, db):
    x = survey_world(db, families=5)
    s = create_survey(client, x)
    secrets = [f"秘密意见{i}" for i in range(5)]
    for fam, secret in zip(x.families, secrets, strict=True):
        r = respond(client, fam.h, s, fam.child, [x.course.id], text=secret)
        assert r.status_code == 201
    found: dict = {}
    for table in Base.metadata.sorted_tables:
        for row in db.execute(sa.select(table)).all():
            text = str(tuple(row))
            for secret in secrets:
                if secret in text:
                    found.setdefault(secret, []).append(table.name)
    # each text appears in the tallies only (twice: the service's and the course's
    # text question), never in the answered record, the audit log, the outbox or anywhere
    assert found == {secret: ["survey_tallies", "survey_tallies"] for secret in secrets}


def _dump(db, survey_id: int) -> list:
    rows = db.scalars(
        sa.select(SurveyTally)
        .where(SurveyTally.survey_id == survey_id)
        .order_by(SurveyTally.subject, SurveyTally.question_id)
    ).all()
    return [(t.subject, t.responses, t.counts(), sorted(t.texts)) for t in rows]


def test_the_stored_answers_do_not_depend_on_who_answered_when(client, db):
    """The same answers given in opposite orders store the same tallies: nothing in them
    can say which family wrote which."""
    x = survey_world(db, families=5)
    first, second = create_survey(client, x), create_survey(client, x)
    given = list(zip(x.families, [5, 4, 3, 2, 1], strict=True))
    for survey, order in ((first, given), (second, list(reversed(given)))):
        for fam, score in order:
            r = respond(
                client, fam.h, survey, fam.child, [x.course.id], score=score, text=f"t{score}"
            )
            assert r.status_code == 201
    a, b = _dump(db, first["id"]), _dump(db, second["id"])
    # question ids differ between the two surveys; compare by position within a subject
    assert a == b
    assert a[0][1] == 5 and a[0][2] == [1, 1, 1, 1, 1]


def test_tallies_exist_before_anyone_answers(client, db):
    """The service's and the term's courses' rows are made with the survey, so the order
    rows appear in says nothing about which families answered first."""
    x = survey_world(db, families=0)
    s = create_survey(client, x)
    rows = db.scalars(sa.select(SurveyTally).where(SurveyTally.survey_id == s["id"])).all()
    subjects = {t.subject for t in rows}
    assert subjects == {"service", f"course:{x.course.id}", f"course:{x.other_course.id}"}
    assert len(rows) == 3 * len(s["questions"]) and {t.responses for t in rows} == {0}
