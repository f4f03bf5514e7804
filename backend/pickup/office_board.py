"""The office's school-wide afternoon: today's dismissal per class, from the class boards.

Built on the head teacher's reads (pickup.dismissal's board and overdue rows), so a class's
counts here are exactly what its head teacher sees on the class board.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import sqlalchemy as sa

from backend.auth.context import current_actor
from backend.auth.scope import admin_school
from backend.common.clock import today
from backend.database import get_session
from backend.pickup import dismissal
from backend.pickup.errors import NotAServiceDay
from backend.schools.models import Grade, SchoolClass

STATUSES = ("in_school", "handed_over", "left", "absent")


def _classes(session, school_id: int) -> list[tuple[int, str]]:
    """(id, "grade/class") of the school's classes, in grade then class order."""
    rows = session.execute(
        sa.select(SchoolClass.id, Grade.name, SchoolClass.name)
        .join(Grade, Grade.id == SchoolClass.grade_id)
        .where(Grade.school_id == school_id)
        .order_by(Grade.level, Grade.name, SchoolClass.name, SchoolClass.id)
    )
    return [(cid, f"{grade}{name}") for cid, grade, name in rows]


def _by_class(rows: list[dict]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        out[row["class_id"]].append(row)
    return out


def _class_row(class_id: int, name: str, rows: list[dict], overdue: list[dict]) -> dict:
    """One class's counts: per status, guardians' late notices and pupils past the grace."""
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in STATUSES}
    return {
        "class_id": class_id,
        "class_name": name,
        "pupils": len(rows),
        **counts,
        "late_notices": sum(1 for r in rows if r["late"] and r["status"] == "in_school"),
        "overdue": len(overdue),
        "overdue_names": [r["name"] for r in overdue],
    }


def school_board(school_id: int, day: date | None = None) -> dict:
    """Every class's dismissal today: collected, still in school, late and overdue pupils.

    A day without service is not an error here: the office gets `service_day: False`.
    """
    session = get_session()
    admin_school(session, current_actor(), school_id)
    day = day or today()
    out = {"date": day, "service_day": False, "service_end": None, "classes": []}
    try:
        term, end = dismissal.day_of(session, school_id, day)
    except NotAServiceDay:
        return out
    out.update(service_day=True, service_end=end.strftime("%H:%M"), term_id=term.id)
    classes = _classes(session, school_id)
    ids = [class_id for class_id, _ in classes]
    # One board for the whole school (not one per class): the page polls every 10 s.
    pupils = dismissal.enrolled_students(session, term.id, ids)
    rows = _by_class(dismissal.board_rows(session, pupils, day, end))
    late = _by_class(dismissal.overdue_rows(session, term, ids, day, end))
    for class_id, name in classes:
        if rows.get(class_id):
            out["classes"].append(
                _class_row(class_id, name, rows[class_id], late.get(class_id, []))
            )
    keys = ("pupils", *STATUSES, "late_notices", "overdue")
    out["totals"] = {k: sum(c[k] for c in out["classes"]) for k in keys}
    return out
