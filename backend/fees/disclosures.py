"""Income and expense disclosures (R11): monthly and term-end figures, no personal data."""

from __future__ import annotations

import calendar as pycal
import re
from datetime import date

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor, require_user
from backend.auth.scope import admin_school
from backend.common import xlsx
from backend.common.clock import SCHOOL_TZ
from backend.database import get_session, unit_of_work
from backend.errors import NotFound
from backend.fees import money
from backend.fees.access import office_term, settlement_of
from backend.fees.errors import InvalidPeriod
from backend.fees.models import (
    EXPENSE_CATEGORIES,
    EXPENSE_CATEGORY_ZH,
    Disclosure,
    Expense,
    FeeExemption,
    Payment,
    Refund,
    Statement,
    StatementLine,
)
from backend.fees.states import BILLED_STATES
from backend.terms.models import Term

_MONTH = re.compile(r"\A([0-9]{4})-(0[1-9]|1[0-2])\Z")


def disclosure_bounds(term: Term, period: str) -> tuple[date, date]:
    """Any month of the term (whatever the billing mode), or the whole "term"."""
    if period == "term":
        return term.starts_on, term.ends_on
    match = _MONTH.match(period or "")
    if not match:
        raise InvalidPeriod(errors={"period": ["格式为 YYYY-MM 或 term"]})
    year, month = int(match.group(1)), int(match.group(2))
    start = max(date(year, month, 1), term.starts_on)
    end = min(date(year, month, pycal.monthrange(year, month)[1]), term.ends_on)
    if end < start:
        raise InvalidPeriod(errors={"period": ["该月份不在学期内"]})
    return start, end


def report(session, term: Term, period: str) -> dict:
    """The figures of one period; counts and sums only, nothing about any one family."""
    start, end = disclosure_bounds(term, period)
    income = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Payment.amount_fen), 0)).where(
            Payment.term_id == term.id,
            Payment.status == "paid",
            Payment.paid_on >= start,
            Payment.paid_on <= end,
        )
    )
    refunds = 0
    for amount, refunded_on, created_at in session.execute(
        sa.select(Refund.amount_fen, Refund.refunded_on, Refund.created_at).where(
            Refund.term_id == term.id, Refund.status != "failed"
        )
    ):
        day = refunded_on or created_at.astimezone(SCHOOL_TZ).date()
        if start <= day <= end:
            refunds += amount
    by_category = dict.fromkeys(EXPENSE_CATEGORIES, 0)
    for category, amount in session.execute(
        sa.select(Expense.category, sa.func.sum(Expense.amount_fen))
        .where(Expense.term_id == term.id, Expense.spent_on >= start, Expense.spent_on <= end)
        .group_by(Expense.category)
    ):
        by_category[category] = int(amount)
    billed = sa.select(Statement.id).where(
        Statement.term_id == term.id,
        Statement.status.in_(BILLED_STATES),
    )
    if period != "term":  # a month counts that month's statements (monthly billing)
        billed = billed.where(Statement.period == period)
    billed_rows = session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Statement.total_fen), 0)).where(
            Statement.id.in_(billed)
        )
    ).one()
    exempted = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(StatementLine.amount_fen), 0)).where(
            StatementLine.statement_id.in_(billed),
            sa.or_(
                StatementLine.kind == "exemption",
                sa.and_(StatementLine.kind == "adjustment", StatementLine.basis == "exemption"),
            ),
        )
    )
    exemptions = session.scalar(
        sa.select(sa.func.count())
        .select_from(FeeExemption)
        .where(FeeExemption.term_id == term.id, FeeExemption.status == "approved")
    )
    expenses = sum(by_category.values())
    out = {
        "period": period,
        "starts_on": start.isoformat(),
        "ends_on": end.isoformat(),
        "income_fen": int(income),
        "refunds_fen": refunds,
        "net_income_fen": int(income) - refunds,
        "expenses_fen": expenses,
        "expenses_by_category": by_category,
        # R17: staff pay from approved pay sheets, as its own line.
        "staff_pay_fen": by_category["staff_pay"],
        "exemptions": exemptions,
        "exempted_fen": -int(exempted),
        "statements": billed_rows[0],
        "billed_fen": int(billed_rows[1]),
        "surplus_fen": int(income) - refunds - expenses,
    }
    settled = settlement_of(session, term.id) if period == "term" else None
    if settled is not None:
        out["settlement"] = {
            "status": settled.status,
            "surplus_fen": settled.surplus_fen,
            "refunded_fen": settled.refunded_fen,
        }
    return out


def disclosure_view(row: Disclosure) -> dict:
    return {
        "id": row.id,
        "term_id": row.term_id,
        "period": row.period,
        "version": row.version,
        "published_at": row.created_at,
        "report": row.report,
    }


def publish(school_id: int, term_id: int, period: str) -> dict:
    """Freeze the period's figures as a new version (a correction never rewrites one)."""
    actor = current_actor()
    with unit_of_work() as session:
        term = office_term(session, school_id, term_id, lock=True)
        figures = report(session, term, period)
        latest = session.scalar(
            sa.select(sa.func.max(Disclosure.version)).where(
                Disclosure.term_id == term.id, Disclosure.period == period
            )
        )
        row = Disclosure(
            school_id=school_id,
            term_id=term.id,
            period=period,
            version=(latest or 0) + 1,
            report=figures,
            published_by=actor.id,
        )
        session.add(row)
        session.flush()
        record(
            session,
            action="disclosure.publish",
            object_type="disclosure",
            object_id=row.id,
            school_id=school_id,
            after={"period": period, "version": row.version, **figures},
        )
        return disclosure_view(row)


def office_disclosures(school_id: int, term_id: int | None) -> list[dict]:
    session = get_session()
    admin_school(session, current_actor(), school_id)
    return _list(session, school_id, term_id)


def term_disclosures(school_id: int, term_id: int) -> list[dict]:
    session = get_session()
    term = office_term(session, school_id, term_id)
    return _list(session, school_id, term.id)


def _list(session, school_id: int, term_id: int | None) -> list[dict]:
    stmt = sa.select(Disclosure).where(Disclosure.school_id == school_id)
    if term_id is not None:
        stmt = stmt.where(Disclosure.term_id == term_id)
    rows = session.scalars(stmt.order_by(Disclosure.term_id, Disclosure.period, Disclosure.version))
    return [disclosure_view(r) for r in rows]


def family_disclosures(school_id: int, term_id: int | None) -> list[dict]:
    """For the school's guardians and staff; anyone else gets 404 (not their school)."""
    actor = require_user()
    if school_id not in {g.school_id for g in actor.grants}:
        raise NotFound()
    return _list(get_session(), school_id, term_id)


ROWS = (
    ("收入（已收费用）", "income_fen"),
    ("退费", "refunds_fen"),
    ("净收入", "net_income_fen"),
    ("支出合计", "expenses_fen"),
    ("其中：教职工劳务报酬", "staff_pay_fen"),
    ("结余（负数为亏损）", "surplus_fen"),
    ("出账账单数", "statements"),
    ("应收合计", "billed_fen"),
    ("减免人数", "exemptions"),
    ("减免金额", "exempted_fen"),
)


def export(school_id: int, disclosure_id: int):
    """An .xlsx the school can print and post (收支公示)."""
    session = get_session()
    school = admin_school(session, current_actor(), school_id)
    row = session.scalar(
        sa.select(Disclosure).where(
            Disclosure.id == disclosure_id, Disclosure.school_id == school_id
        )
    )
    if row is None:
        raise NotFound()
    term = session.get(Term, row.term_id)
    label = "学期末" if row.period == "term" else row.period
    title = f"{school.name} {term.name} 课后服务收支公示（{label}，第{row.version}版）"
    book = xlsx.single_sheet("收支公示", [title], _export_rows(row.report))
    return book, f"disclosure-{school.code}-{row.period}-v{row.version}.xlsx"


def _export_rows(r: dict) -> list[list]:
    """The disclosure's figures under its title: totals, expenses, the settlement."""
    rows = [["期间", f"{r['starts_on']} 至 {r['ends_on']}"], ["项目", "金额（元）/ 数量"]]
    for title, key in ROWS:
        value = r.get(key, 0)  # reports published before a figure existed lack it
        rows.append([title, money.yuan(value) if key.endswith("_fen") else value])
    rows += [[], ["支出分类", "金额（元）"]]
    for category, amount in r["expenses_by_category"].items():
        rows.append([EXPENSE_CATEGORY_ZH.get(category, category), money.yuan(amount)])
    if "settlement" in r:
        outcome = {"surplus": "结余退还", "balanced": "收支平衡", "deficit": "亏损"}
        rows += [
            [],
            ["期末结算", outcome[r["settlement"]["status"]]],
            ["结余退还合计（元）", money.yuan(r["settlement"]["refunded_fen"])],
        ]
    return rows
