"""Fixtures for the school office tests: two schools, their admins and an xlsx builder."""

from __future__ import annotations

import io
from types import SimpleNamespace

import openpyxl
import pytest

from tests import factories

BASE = "/admin/api/v1/schools"


@pytest.fixture
def world(db):
    w = factories.World(db)
    a, b = w.schools
    return SimpleNamespace(
        w=w,
        a=a,
        b=b,
        office_a=factories.auth(db, admin_row=a["office"]),
        office_b=factories.auth(db, admin_row=b["office"]),
        platform=factories.auth(db, admin_row=w.platform),
        user=factories.auth(db, user_row=a["parent"]),
    )


def xlsx(rows, header=("学号", "姓名", "班级", "家长姓名", "家长手机", "关系", "优先类别")):
    """An .xlsx roster file (bytes) with a header row and the given data rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "学生名单"
    if header:
        sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, school_id, data, headers, filename="roster.xlsx"):
    return client.post(
        f"{BASE}/{school_id}/students/import",
        data={"file": (io.BytesIO(data), filename)},
        headers=headers,
        content_type="multipart/form-data",
    )
