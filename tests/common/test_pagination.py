"""The one offset pagination: counting, slicing, and the blueprint every route module uses."""

from __future__ import annotations

import flask_smorest
import pytest
import sqlalchemy as sa

from backend.common.pagination import Blueprint, page_slice, paginate
from backend.extensions import KehouApi
from backend.schools.models import School
from tests import factories as f


def test_page_slice_counts_the_whole_list():
    items = list(range(45))
    assert page_slice(items, 1, 20) == (list(range(20)), 45)
    assert page_slice(items, 3, 20) == ([40, 41, 42, 43, 44], 45)
    assert page_slice(items, 4, 20) == ([], 45)


def test_paginate_counts_the_filtered_select_and_returns_one_page(db):
    codes = sorted(f.school(db).code for _ in range(5))
    stmt = sa.select(School).where(School.code.in_(codes)).order_by(School.code)
    items, total = paginate(db, stmt, 2, 2)
    assert total == 5 and [s.code for s in items] == codes[2:4]
    rows, total = paginate(
        db,
        sa.select(School.code, School.id).where(School.code.in_(codes)).order_by(School.code),
        3,
        2,
        rows=True,
    )
    assert total == 5 and [r.code for r in rows] == codes[4:]


def test_the_apis_take_only_the_projects_blueprint():
    api = KehouApi()
    plain = flask_smorest.Blueprint("plain", __name__)
    with pytest.raises(TypeError):
        api.register_blueprint(plain)
    assert issubclass(Blueprint, flask_smorest.Blueprint)
