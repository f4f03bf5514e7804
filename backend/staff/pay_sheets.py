"""Term pay rates and monthly pay sheets: generate (draft, recomputed on demand), approve
(its total becomes the term's `staff_pay` expense), correct an approved month only by a
new correcting sheet of difference lines."""

from __future__ import annotations

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor
from backend.common.clock import now
from backend.common.pagination import paginate
from backend.common.states import step
from backend.database import get_session, unit_of_work
from backend.errors import NotFound, ValidationFailed
from backend.fees import money
from backend.fees.disclosures import disclosure_bounds
from backend.fees.settlement import record_expense
from backend.staff import payroll
from backend.staff.errors import NegativeCorrection, NothingToCorrect, RatesMissing
from backend.staff.models import PayRates, PaySheet, PaySheetLine
from backend.staff.records import office_school
from backend.staff.states import SHEET
from backend.terms.models import Term

RATE_FIELDS = ("teaching_per_lesson_fen", "supervision_per_hour_fen", "admin_monthly_fen")
LINE_FIELDS = (
    "staff_id",
    "provider_id",
    "name",
    "kind",
    "lessons",
    "minutes",
    "teaching_fen",
    "supervision_fen",
    "admin_fen",
    "amount_fen",
    "note",
)


def office_term(session, school_id: int, term_id: int) -> Term:
    """A term of a school the calling admin runs (404 otherwise)."""
    school = office_school(session, school_id)
    term = session.get(Term, term_id)
    if term is None or term.school_id != school.id:
        raise NotFound()
    return term


def _rates_view(row: PayRates) -> dict:
    return {"term_id": row.term_id, **{k: getattr(row, k) for k in RATE_FIELDS}}


def set_rates(school_id: int, term_id: int, data: dict) -> dict:
    """Set the term's rates (drafts pick them up when generated again)."""
    with unit_of_work() as session:
        term = office_term(session, school_id, term_id)
        row = session.scalar(
            sa.select(PayRates).where(PayRates.term_id == term.id).with_for_update()
        )
        before = None
        if row is None:
            row = PayRates(school_id=term.school_id, term_id=term.id)
            session.add(row)
        else:
            before = _rates_view(row)
        for key in RATE_FIELDS:
            setattr(row, key, data[key])
        session.flush()
        view = _rates_view(row)
        record(
            session,
            action="pay_rates.set",
            object_type="term",
            object_id=term.id,
            school_id=term.school_id,
            before=before,
            after=view,
        )
        return view


def get_rates(school_id: int, term_id: int) -> dict:
    """The term's rates (404 until set)."""
    session = get_session()
    term = office_term(session, school_id, term_id)
    row = session.scalar(sa.select(PayRates).where(PayRates.term_id == term.id))
    if row is None:
        raise NotFound()
    return _rates_view(row)


def sheet_lines(session, sheet_id: int) -> list[PaySheetLine]:
    """A sheet's lines in order."""
    return list(
        session.scalars(
            sa.select(PaySheetLine)
            .where(PaySheetLine.sheet_id == sheet_id)
            .order_by(PaySheetLine.id)
        )
    )


def sheet_view(session, sheet: PaySheet, lines: list[dict] | None = None) -> dict:
    """The sheet with its lines (read unless the caller has them)."""
    if lines is None:
        lines = [{k: getattr(ln, k) for k in LINE_FIELDS} for ln in sheet_lines(session, sheet.id)]
    return {
        "id": sheet.id,
        "term_id": sheet.term_id,
        "period": sheet.period,
        "status": sheet.status,
        "corrects_id": sheet.corrects_id,
        "total_fen": sheet.total_fen,
        "rates": sheet.rates,
        "approved_at": sheet.approved_at,
        "expense_id": sheet.expense_id,
        "created_at": sheet.created_at,
        "lines": [
            {k: getattr(ln, k) for k in LINE_FIELDS} for ln in sheet_lines(session, sheet.id)
        ],
    }


def month_bounds(term: Term, period: str):
    """First and last day of a month of the term ("term" is not a pay period)."""
    if period == "term":
        raise ValidationFailed(errors={"period": ["格式为 YYYY-MM"]})
    return disclosure_bounds(term, period)


def _approved_lines(session, term_id: int, period: str) -> tuple[list[dict], int | None]:
    ids = list(
        session.scalars(
            sa.select(PaySheet.id)
            .where(
                PaySheet.term_id == term_id,
                PaySheet.period == period,
                PaySheet.status == "approved",
            )
            .order_by(PaySheet.id)
        )
    )
    if not ids:
        return [], None
    lines = session.scalars(sa.select(PaySheetLine).where(PaySheetLine.sheet_id.in_(ids)))
    return [{k: getattr(ln, k) for k in LINE_FIELDS} for ln in lines], ids[-1]


def generate(school_id: int, term_id: int, period: str) -> dict:
    """The month's draft (recomputed if one exists); after an approval, a correcting
    sheet of the differences. Refused under the R17 rules (see payroll)."""
    actor = current_actor()
    with unit_of_work() as session:
        term = office_term(session, school_id, term_id)
        start, end = month_bounds(term, period)
        # The rates row lock makes generators and approvers of one term take turns.
        rates = session.scalar(
            sa.select(PayRates).where(PayRates.term_id == term.id).with_for_update()
        )
        if rates is None:
            raise RatesMissing()
        lines = payroll.month_lines(session, term, rates, start, end)
        approved, corrects = _approved_lines(session, term.id, period)
        if corrects is not None:
            lines = payroll.difference(lines, approved)
            if not lines:
                raise NothingToCorrect()
        sheet = session.scalar(
            sa.select(PaySheet).where(
                PaySheet.term_id == term.id, PaySheet.period == period, PaySheet.status == "draft"
            )
        )
        if sheet is None:
            sheet = PaySheet(school_id=term.school_id, term_id=term.id, period=period)
            session.add(sheet)
        else:
            sheet.status = step(SHEET, sheet.status, "regenerate")
            session.execute(sa.delete(PaySheetLine).where(PaySheetLine.sheet_id == sheet.id))
        sheet.corrects_id = corrects
        sheet.rates = _rates_view(rates)
        sheet.total_fen = sum(line.amount_fen for line in lines)
        sheet.generated_by = actor.id
        session.flush()
        rows = [line.as_dict() for line in lines]
        if rows:  # one executemany, no ORM objects: a sheet may have hundreds of lines
            session.execute(sa.insert(PaySheetLine), [{"sheet_id": sheet.id, **r} for r in rows])
        record(
            session,
            action="pay_sheet.generate",
            object_type="pay_sheet",
            object_id=sheet.id,
            school_id=term.school_id,
            after={"period": period, "lines": len(lines), "total_fen": sheet.total_fen},
        )
        return sheet_view(session, sheet, rows)


def office_sheet(session, school_id, term_id, sheet_id, *, lock=False) -> tuple[Term, PaySheet]:
    """A sheet of a term of the calling admin's school (404 otherwise)."""
    term = office_term(session, school_id, term_id)
    stmt = sa.select(PaySheet).where(PaySheet.id == sheet_id, PaySheet.term_id == term.id)
    sheet = session.scalar(stmt.with_for_update() if lock else stmt)
    if sheet is None:
        raise NotFound()
    return term, sheet


def approve(school_id: int, term_id: int, sheet_id: int) -> dict:
    """Approve a draft: its total is recorded as the month's `staff_pay` expense."""
    actor = current_actor()
    with unit_of_work() as session:
        term, sheet = office_sheet(session, school_id, term_id, sheet_id, lock=True)
        sheet.status = step(SHEET, sheet.status, "approve")
        if sheet.total_fen < 0:
            raise NegativeCorrection(amount_yuan=money.yuan(-sheet.total_fen))
        _, end = month_bounds(term, sheet.period)
        if sheet.total_fen > 0:
            expense = record_expense(
                session,
                term,
                {
                    "category": "staff_pay",
                    "amount_fen": sheet.total_fen,
                    "spent_on": end,
                    "note": f"{sheet.period} 劳务报酬发放表 #{sheet.id}",
                },
                actor.id,
            )
            sheet.expense_id = expense.id
        sheet.approved_by, sheet.approved_at = actor.id, now()
        session.flush()
        record(
            session,
            action="pay_sheet.approve",
            object_type="pay_sheet",
            object_id=sheet.id,
            school_id=term.school_id,
            before={"status": "draft"},
            after={
                "status": sheet.status,
                "total_fen": sheet.total_fen,
                "expense_id": sheet.expense_id,
            },
        )
        return sheet_view(session, sheet)


def get_sheet(school_id: int, term_id: int, sheet_id: int) -> dict:
    """One sheet with its lines."""
    session = get_session()
    _, sheet = office_sheet(session, school_id, term_id, sheet_id)
    return sheet_view(session, sheet)


def list_sheets(school_id: int, term_id: int, page: int, page_size: int):
    """The term's sheets, newest first (lines not included)."""
    session = get_session()
    term = office_term(session, school_id, term_id)
    stmt = sa.select(PaySheet).where(PaySheet.term_id == term.id).order_by(PaySheet.id.desc())
    rows, total = paginate(session, stmt, page, page_size)
    keys = ("id", "term_id", "period", "status", "corrects_id", "total_fen", "approved_at")
    return [{k: getattr(r, k) for k in keys} | {"created_at": r.created_at} for r in rows], total
