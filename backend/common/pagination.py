"""Offset pagination for every list: one count, one page, bounds checked by one schema.

Every route module makes its blueprint from `Blueprint` here: its `@blp.paginate()` takes
page/page_size with the project's defaults and bounds (a huge page is 422, not an overflow
inside a query), and lists computed in Python use `@blp.paginate(Page)`.
"""

from __future__ import annotations

from copy import deepcopy
from functools import wraps

import flask_smorest
import sqlalchemy as sa
from flask import request

from backend.common.schemas import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageArgs


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint whose lists all share PageArgs' defaults and bounds."""

    DEFAULT_PAGINATION_PARAMETERS = {
        "page": 1,
        "page_size": DEFAULT_PAGE_SIZE,
        "max_page_size": MAX_PAGE_SIZE,
    }

    def paginate(self, pager=None):
        """`@blp.paginate()` (the view pages) or `@blp.paginate(Page)` (a list is sliced)."""
        decorate = super().paginate(pager)

        def decorator(func):
            paged = decorate(func)

            @wraps(paged)
            def bounded(*args, **kwargs):
                # flask-smorest bounds page_size only; check the page number first.
                self.PAGINATION_ARGUMENTS_PARSER.parse(PageArgs, request, location="query")
                return paged(*args, **kwargs)

            bounded._apidoc = deepcopy(paged._apidoc)
            bounded._apidoc["pagination"]["parameters"]["schema"] = PageArgs
            return bounded

        return decorator


def paginate(session, stmt, page: int, page_size: int, *, rows: bool = False) -> tuple[list, int]:
    """(items of the page, total) for a select; `rows=True` returns Row tuples, not scalars."""
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    stmt = stmt.offset((page - 1) * page_size).limit(page_size)
    items = session.execute(stmt).all() if rows else session.scalars(stmt).all()
    return list(items), total


def page_slice(items: list, page: int, page_size: int) -> tuple[list, int]:
    """(the page, total) of a list already computed in Python (small per-caller lists)."""
    start = (page - 1) * page_size
    return list(items[start : start + page_size]), len(items)


class Page(flask_smorest.Page):
    """`@blp.paginate(Page)`: the view returns the whole (small) list, this slices it."""

    @property
    def items(self):
        """The requested page of the list."""
        p = self.page_params
        return page_slice(self.collection, p.page, p.page_size)[0]
