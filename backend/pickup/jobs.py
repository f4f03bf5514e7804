"""Safety nets: alert once about pupils still in school after service end + grace, and
close the day (open codes and notices of past days expire)."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.common.clock import now, today
from backend.database import unit_of_work
from backend.notifications.outbox import notify_guardians
from backend.pickup.dismissal import overdue_rows
from backend.pickup.models import HandoffCode, PickupAlert, PickupNotice
from backend.pickup.queries import head_teacher_ids, hhmm, notify_users
from backend.pickup.states import NOTICE_OPEN, code_next, notice_next
from backend.schools.models import SchoolClass
from backend.terms import calendar as cal
from backend.terms.models import Term


def _alert(session, term: Term, row: dict, day) -> bool:
    """Insert the alert row (unique per pupil and day); False if another run has it."""
    try:
        with session.begin_nested():
            session.add(
                PickupAlert(
                    student_id=row["student_id"],
                    school_id=term.school_id,
                    class_id=row["class_id"],
                    day=day,
                    kind="overdue",
                    created_at=now(),
                )
            )
            session.flush()
    except IntegrityError:
        return False
    return True


def alert_overdue() -> int:
    """Alert guardians and head teachers once about each pupil still in school."""
    day = today()
    count = 0
    with unit_of_work() as session:
        terms = session.scalars(
            sa.select(Term).where(Term.starts_on <= day, Term.ends_on >= day).order_by(Term.id)
        ).all()
        for term in terms:
            end = cal.service_end(session, term, day)
            if end is None:
                continue
            class_ids = session.scalars(
                sa.select(SchoolClass.id).where(SchoolClass.school_id == term.school_id)
            ).all()
            per_class = defaultdict(list)
            for row in overdue_rows(session, term, class_ids, day, end):
                if row["alerted"] or not _alert(session, term, row, day):
                    continue
                count += 1
                per_class[row["class_id"]].append(row["name"])
                notify_guardians(
                    session,
                    row["student_id"],
                    kind="pickup_overdue",
                    school_id=term.school_id,
                    payload={
                        "fields": {
                            "thing1": row["name"],
                            "thing2": f"服务已于{hhmm(end)}结束，孩子仍在学校",
                            "thing3": "请尽快接孩子或联系班主任",
                        },
                        "page": "pages/pickup/today",
                    },
                )
            for class_id, names in per_class.items():
                notify_users(
                    session,
                    head_teacher_ids(session, class_id),
                    kind="pickup_overdue_class",
                    school_id=term.school_id,
                    payload={
                        "fields": {
                            "thing1": "、".join(names),
                            "number2": len(names),
                            "thing3": "服务结束后仍未被接走",
                        },
                        "page": f"pages/dismissal/overdue?class_id={class_id}",
                    },
                )
    return count


def expire_day() -> dict:
    """Codes and notices of past days (and codes past their expiry) are closed as expired."""
    day, moment = today(), now()
    expired_code = code_next("active", "expire")
    with unit_of_work() as session:
        codes = session.execute(
            sa.update(HandoffCode)
            .where(
                HandoffCode.status == "active",
                sa.or_(HandoffCode.service_date < day, HandoffCode.expires_at <= moment),
            )
            .values(status=expired_code, closed_at=moment)
        ).rowcount
        notices = 0
        for state in NOTICE_OPEN:
            notices += session.execute(
                sa.update(PickupNotice)
                .where(PickupNotice.status == state, PickupNotice.day < day)
                .values(status=notice_next(state, "expire"), closed_at=moment)
            ).rowcount
    return {"codes_expired": codes, "notices_expired": notices}


def sweep() -> dict:
    """The whole job: overdue alerts first, then the end-of-day expiry."""
    alerts = alert_overdue()
    return {"alerts": alerts, **expire_day()}
