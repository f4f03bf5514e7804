"""The survey sweep: an opening message once, a reminder once to families who have not
answered, delivered through the outbox to the fake WeChat."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from backend.common.clock import now
from backend.notifications import worker
from backend.notifications.models import OutboxMessage
from backend.surveys import jobs
from backend.surveys.models import Survey
from tests.surveys.helpers import create_survey, respond, survey_world


def _kinds(db) -> dict:
    rows = db.execute(
        sa.select(OutboxMessage.kind, sa.func.count()).group_by(OutboxMessage.kind)
    ).all()
    return dict(rows)


def test_opening_and_reminder_go_out_once(client, db, app, fake_wechat):
    x = survey_world(db, families=5)  # 6 enrolled pupils, one guardian each
    s = create_survey(client, x)
    later = create_survey(
        client,
        x,
        opens_at=(now() + timedelta(days=2)).isoformat(),
        closes_at=(now() + timedelta(days=4)).isoformat(),
    )
    result = app.test_cli_runner().invoke(args=["surveys", "sweep"])
    assert result.exit_code == 0, result.output
    assert "'opening_messages': 6" in result.output and "'reminders': 0" in result.output
    with app.test_request_context():
        assert jobs.sweep() == {"opening_messages": 0, "reminders": 0}
    assert _kinds(db) == {"survey_opened": 6}
    assert db.get(Survey, later["id"]).opening_sent_at is None
    # two families answer; the close comes within 24 hours
    for fam in x.families[:2]:
        assert respond(client, fam.h, s, fam.child, [x.course.id]).status_code == 201
    row = db.get(Survey, s["id"])
    row.closes_at = now() + timedelta(hours=12)
    db.flush()
    with app.test_request_context():
        assert jobs.sweep() == {"opening_messages": 0, "reminders": 4}
        assert jobs.sweep() == {"opening_messages": 0, "reminders": 0}
    reminded = set(
        db.scalars(sa.select(OutboxMessage.user_id).where(OutboxMessage.kind == "survey_reminder"))
    )
    answered = {fam.parent.id for fam in x.families[:2]}
    assert reminded and not reminded & answered
    assert x.parent.id in reminded
    with app.app_context():
        worker.run(burst=True)
    sent = fake_wechat.sent_messages
    templates = [m["template_id"] for m in sent]
    assert templates.count("tmpl-survey_opened") == 6
    assert templates.count("tmpl-survey_reminder") == 4
    opened = next(m for m in sent if m["template_id"] == "tmpl-survey_opened")
    assert opened["data"]["thing1"] == {"value": "2026秋季满意度测评"}
    assert opened["page"].startswith("pages/surveys/index?student_id=")
    assert {m["touser"] for m in sent} >= {x.parent.openid}


def test_closed_surveys_send_nothing(client, db, app):
    x = survey_world(db, families=1)
    s = create_survey(client, x)
    row = db.get(Survey, s["id"])
    row.opens_at, row.closes_at = now() - timedelta(days=3), now() - timedelta(minutes=1)
    db.flush()
    with app.test_request_context():
        assert jobs.sweep() == {"opening_messages": 0, "reminders": 0}
