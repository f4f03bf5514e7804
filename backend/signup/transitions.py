"""Moving an application between states: a guarded UPDATE, a review step and an audit row."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from backend.audit.service import record
from backend.common.clock import now
from backend.common.states import IllegalTransition
from backend.signup import states
from backend.signup.models import Application, ReviewStep
from backend.terms.models import Term


def snapshot(app: Application) -> dict:
    """The fields an audit row records of an application."""
    return {"state": app.state, "level": app.level}


def _next(session, app: Application, action: str, level: str | None, conflict):
    """(next state, level it waits at) from the table under the term's review levels."""
    term = session.get(Term, app.term_id)
    try:
        return states.after(app.state, action, levels=term.review_levels, level=level)
    except IllegalTransition:
        raise conflict() from None


def move(
    session,
    app: Application,
    action: str,
    *,
    actor,
    conflict: Callable[[], Exception],
    role: str | None = None,
    step_level: str | None = None,
    comment: str | None = None,
    objection_id: int | None = None,
    extra: dict | None = None,
    withdrawn_at: datetime | None = None,
) -> ReviewStep:
    """Apply one transition the table allows, or raise `conflict` (nothing written).

    The next state and level come from states.py, never from the caller (an approval is
    resolved with the term's levels and the level that decides, `step_level`). The UPDATE
    names the state it expects, so of two callers that read the same state at the same
    moment only one changes the row; the other sees 0 rows and gets `conflict`.
    """
    from_state = app.state
    to_state, level = _next(session, app, action, step_level, conflict)
    moment = now()
    values = {
        "state": to_state,
        "level": level,
        "waiting_since": moment if level is not None else None,
        "updated_at": moment,
        **(extra or {}),
    }
    if to_state == "withdrawn":
        values["withdrawn_at"] = withdrawn_at or moment
    if to_state == "enrolled":
        values["enrolled_at"] = moment
    changed = session.execute(
        sa.update(Application)
        .where(Application.id == app.id, Application.state == from_state)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise conflict()
    before = {"state": from_state, "level": app.level}
    for key, value in values.items():
        # Keep the loaded object in step with the row, without a second UPDATE.
        set_committed_value(app, key, value)
    step = ReviewStep(
        application_id=app.id,
        level=step_level,
        decision=action,
        comment=comment,
        actor_kind=actor.kind if actor else "system",
        actor_id=actor.id if actor else None,
        actor_role=role,
        from_state=from_state,
        to_state=to_state,
        decided_at=moment,
        objection_id=objection_id,
    )
    session.add(step)
    after = {"state": to_state, "level": level}
    if comment:
        after["comment"] = comment
    if objection_id:
        after["objection_id"] = objection_id
    record(
        session,
        action=f"application.{action}",
        object_type="application",
        object_id=app.id,
        school_id=app.school_id,
        before=before,
        after=after,
        actor=actor,
    )
    return step


def move_many(
    session,
    apps: list[Application],
    action: str,
    *,
    from_state: str,
    actor,
    role: str,
    conflict: Callable[[], Exception],
    extra: dict | None = None,
) -> None:
    """The same transition for a whole term's list (publish, finalize) in three statements.

    One guarded UPDATE, one multi-row insert of steps; the caller writes one audit row
    naming every application, so posting 3,000 pupils stays one short transaction. Only
    steps that need no review level go this way; the next state comes from the table.
    """
    if not apps:
        return
    try:
        to_state = states.apply(from_state, action)
    except IllegalTransition:
        raise conflict() from None
    ids = [a.id for a in apps]
    moment = now()
    values = {"state": to_state, "level": None, "waiting_since": None, "updated_at": moment}
    if to_state == "enrolled":
        values["enrolled_at"] = moment
    values.update(extra or {})
    changed = session.execute(
        sa.update(Application)
        .where(Application.id.in_(ids), Application.state == from_state)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != len(ids):
        raise conflict()
    for app in apps:
        for key, value in values.items():
            set_committed_value(app, key, value)
    session.execute(
        sa.insert(ReviewStep),
        [
            {
                "application_id": app_id,
                "level": None,
                "decision": action,
                "comment": None,
                "actor_kind": actor.kind,
                "actor_id": actor.id,
                "actor_role": role,
                "from_state": from_state,
                "to_state": to_state,
                "decided_at": moment,
                "objection_id": None,
            }
            for app_id in ids
        ],
    )
