"""Removing a pupil's personal data: delete what is only personal, scrub what is kept."""

from __future__ import annotations

import sqlalchemy as sa

from backend.common.clock import now
from backend.database import Base
from backend.privacy.policy import SCRUB, STUDENT_TABLES
from backend.schools.models import Student


def _table(name: str) -> sa.Table:
    return Base.metadata.tables[name]


def _delete_where(session, table: sa.Table, condition, seen: tuple = ()) -> int:
    """Delete rows and, first, the rows of other tables that point at them: nullable
    references are cleared, required ones deleted (never rows the policy keeps)."""
    pk = list(table.primary_key.columns)[0]
    ids = sa.select(pk).where(condition)
    for other in Base.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is not table or other.name in seen:
                continue
            column = fk.parent
            if column.nullable:
                session.execute(sa.update(other).where(column.in_(ids)).values({column.name: None}))
            elif STUDENT_TABLES.get(other.name) == "keep":
                raise RuntimeError(f"{other.name} keeps rows that point at {table.name}")
            else:
                _delete_where(session, other, column.in_(ids), seen + (table.name,))
    return session.execute(sa.delete(table).where(condition)).rowcount


def anonymise_student(session, student: Student) -> dict:
    """Apply the policy to one pupil; returns rows deleted per table."""
    deleted = {}
    for name, rule in STUDENT_TABLES.items():
        if name not in Base.metadata.tables:
            continue
        table = _table(name)
        if rule == "delete":
            count = _delete_where(session, table, table.c.student_id == student.id)
            if count:
                deleted[name] = count
        elif name in SCRUB:
            session.execute(
                sa.update(table).where(table.c.student_id == student.id).values(SCRUB[name])
            )
    student.name = f"已匿名学生{student.id}"
    student.student_no = f"anon-{student.id}"
    student.photo_url = None
    student.priority_flags = []
    student.active = False
    student.anonymised_at = now()
    return deleted
