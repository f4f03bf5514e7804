"""The one .xlsx writer: every cell from user input is written as text, never a formula."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence

# A spreadsheet runs a cell starting with one of these as a formula (CSV/DDE injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A signed amount ("-12.50") runs nothing; it stays as written.
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_cell(value):
    """The value as a spreadsheet shows it as plain text (formulas prefixed with ')."""
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
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
