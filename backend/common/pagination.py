"""Offset pagination for every list: one count, one page, bounds checked by the schema."""

from __future__ import annotations

import sqlalchemy as sa

MAX_PAGE = 100_000  # keeps (page - 1) * page_size inside a 32-bit offset
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def paginate(session, stmt, page: int, page_size: int, *, rows: bool = False) -> tuple[list, int]:
    """(items of the page, total) for a select; `rows=True` returns Row tuples, not scalars."""
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    stmt = stmt.offset((page - 1) * page_size).limit(page_size)
    items = session.execute(stmt).all() if rows else session.scalars(stmt).all()
    return list(items), total


def page_slice(items: list, page: int, page_size: int) -> tuple[list, int]:
    """(the page, total) of a list already computed in Python (small per-caller lists)."""
    start = (page - 1) * page_size
    return items[start : start + page_size], len(items)
