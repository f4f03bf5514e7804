"""The messages guardians and objectors get about an application (outbox rows)."""

from __future__ import annotations

from backend.common.clock import SCHOOL_TZ
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


def in_publicity(session, app, student_name: str, ends_at) -> None:
    until = ends_at.astimezone(SCHOOL_TZ).strftime("%Y-%m-%d %H:%M")
    _send(session, app, student_name, "application_in_publicity", "公示中", f"公示至{until}")


def enrolled(session, app, student_name: str) -> None:
    _send(session, app, student_name, "application_enrolled", "已录取", "课后服务报名成功")


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
