"""The messages guardians and objectors get about an application (outbox rows)."""

from __future__ import annotations

from backend.notifications.outbox import enqueue, notify_guardians
from backend.signup.codes import LEVEL_ZH

PAGE = "pages/signup/detail?id={id}"


def _send(session, app, student_name: str, kind: str, status: str, remark: str, exclude=None):
    payload = {
        "fields": {"thing1": student_name, "phrase2": status, "thing3": remark or "—"},
        "page": PAGE.format(id=app.id),
    }
    return notify_guardians(
        session,
        app.student_id,
        kind=kind,
        payload=payload,
        school_id=app.school_id,
        exclude_user_id=exclude,
    )


def rejected(session, app, student_name: str, level: str, comment: str) -> None:
    _send(
        session,
        app,
        student_name,
        "application_rejected",
        f"{LEVEL_ZH.get(level, level)}审核未通过",
        comment,
    )


def withdrawn(session, app, student_name: str, by_user_id: int) -> None:
    # The other guardians learn that the application was withdrawn (R1: voluntary).
    _send(session, app, student_name, "application_withdrawn", "已撤回", "", exclude=by_user_id)


def sent_back(session, app, student_name: str) -> None:
    _send(session, app, student_name, "application_sent_back", "重新审核", "公示异议成立")


def objection_answered(session, objection, outcome_zh: str) -> None:
    enqueue(
        session,
        kind="objection_answered",
        user_id=objection.user_id,
        school_id=objection.school_id,
        payload={
            "fields": {"phrase1": outcome_zh, "thing2": objection.response or "—"},
            "page": "pages/signup/publication",
        },
    )


def bulk(session, apps, names: dict[int, str], kind: str, status: str, remark: str) -> int:
    """One message per guardian of each application, written in one multi-row insert.

    These rows are not pushed onto the queue one by one: the worker's sweep delivers
    every due pending row, so a posting of thousands costs one statement here.
    """
    import sqlalchemy as sa

    from backend.common.clock import now
    from backend.notifications.models import OutboxMessage
    from backend.schools.models import GuardianLink

    by_student: dict[int, list] = {}
    for app in apps:
        by_student.setdefault(app.student_id, []).append(app)
    if not by_student:
        return 0
    links = session.execute(
        sa.select(GuardianLink.student_id, GuardianLink.user_id).where(
            GuardianLink.student_id.in_(list(by_student))
        )
    ).all()
    moment = now()
    rows = [
        {
            "kind": kind,
            "user_id": user_id,
            "school_id": app.school_id,
            "payload": {
                "fields": {"thing1": names[student_id], "phrase2": status, "thing3": remark},
                "page": PAGE.format(id=app.id),
            },
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": moment,
            "created_at": moment,
        }
        for student_id, user_id in links
        for app in by_student[student_id]
    ]
    if rows:
        session.execute(sa.insert(OutboxMessage), rows)
    return len(rows)
