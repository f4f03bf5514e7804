"""The one .xlsx writer: every cell from user input is written as text, never a formula."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

# A spreadsheet runs a cell starting with one of these as a formula (CSV/DDE injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value as a spreadsheet shows it as plain text (formulas prefixed with ')."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def workbook(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]]) -> io.BytesIO:
    """A workbook of (title, header, rows) sheets, rewound and ready to send."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for title, header, rows in sheets:
        ws = wb.create_sheet(title[:31])
        ws.append([safe_cell(h) for h in header])
        for row in rows:
            ws.append([safe_cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def single_sheet(title: str, header: Sequence[str], rows: Iterable[Sequence]) -> io.BytesIO:
    """A workbook of one sheet."""
    return workbook([(title, header, rows)])
