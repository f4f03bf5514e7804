"""Spreadsheets: a pay sheet laid out for the bursar to sign, and the term's spending
ledger (台账) of every expense by category and month."""

from __future__ import annotations

from collections import defaultdict

from backend.common.xlsx import workbook
from backend.database import get_session
from backend.fees import money
from backend.fees.models import EXPENSE_CATEGORIES, EXPENSE_CATEGORY_ZH
from backend.fees.settlement import expenses
from backend.schools.models import School
from backend.staff.pay_sheets import office_sheet, office_term, sheet_lines

KIND_ZH = {"teacher": "教师", "admin": "行政后勤", "external": "外聘", "provider": "机构包干"}
SHEET_HEADER = ["姓名", "类别", "课时数", "时长（小时）", "标准", "金额（元）", "签字"]
STATUS_ZH = {"draft": "草稿", "approved": "已批准"}


def _hours(minutes: int) -> str:
    return f"{minutes / 60:.2f}"


def _rate(line, rates: dict) -> str:
    if line.kind == "provider":
        return f"包干 {money.yuan(line.amount_fen)}元/月"
    parts = []
    if line.lessons:
        parts.append(f"{money.yuan(rates['teaching_per_lesson_fen'])}元/课时")
    if line.supervision_fen:
        parts.append(f"看护{money.yuan(rates['supervision_per_hour_fen'])}元/小时")
    if line.admin_fen:
        parts.append(f"行政{money.yuan(rates['admin_monthly_fen'])}元/月")
    return "；".join(parts) or (line.note or "")


def sheet_export(school_id: int, term_id: int, sheet_id: int):
    """The sheet as the bursar signs it: one row per line, totals, signatures."""
    session = get_session()
    term, sheet = office_sheet(session, school_id, term_id, sheet_id)
    school = session.get(School, term.school_id)
    lines = sheet_lines(session, sheet.id)
    title = f"{school.name} {term.name} {sheet.period} 课后服务劳务报酬发放表"
    if sheet.corrects_id:
        title += f"（更正表，更正 #{sheet.corrects_id}）"
    rows = [[f"状态：{STATUS_ZH[sheet.status]}  表号：{sheet.id}"], SHEET_HEADER]
    for ln in lines:
        rows.append(
            [
                ln.name,
                KIND_ZH[ln.kind],
                ln.lessons,
                _hours(ln.minutes),
                _rate(ln, sheet.rates),
                money.yuan(ln.amount_fen),
                "",
            ]
        )
    rows.append(
        [
            "合计",
            f"{len(lines)}行",
            sum(ln.lessons for ln in lines),
            _hours(sum(ln.minutes for ln in lines)),
            "",
            money.yuan(sheet.total_fen),
            "",
        ]
    )
    rows += [[], ["制表人：", "", "审核人：", "", "校长：", "", "日期："]]
    buf = workbook([("劳务报酬发放表", [title], rows)])
    return buf, f"pay-sheet-{school.code}-{sheet.period}-{sheet.id}.xlsx"


def ledger_export(school_id: int, term_id: int):
    """The term's spending ledger: every expense, then a month-by-category summary."""
    session = get_session()
    term = office_term(session, school_id, term_id)
    school = session.get(School, term.school_id)
    items = expenses(school_id, term.id)
    detail = [
        [
            str(e["spent_on"]),
            e["spent_on"].strftime("%Y-%m"),
            e["category_name"],
            money.yuan(e["amount_fen"]),
            e["note"] or "",
        ]
        for e in items
    ]
    by_month: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(EXPENSE_CATEGORIES, 0))
    for e in items:
        by_month[e["spent_on"].strftime("%Y-%m")][e["category"]] += e["amount_fen"]
    summary = []
    for month in sorted(by_month):
        amounts = by_month[month]
        summary.append(
            [
                month,
                *(money.yuan(amounts[c]) for c in EXPENSE_CATEGORIES),
                money.yuan(sum(amounts.values())),
            ]
        )
    totals = [sum(by_month[m][c] for m in by_month) for c in EXPENSE_CATEGORIES]
    summary.append(["合计", *(money.yuan(t) for t in totals), money.yuan(sum(totals))])
    buf = workbook(
        [
            ("支出台账", ["日期", "月份", "类别", "金额（元）", "说明"], detail),
            (
                "按月分类汇总",
                ["月份", *(EXPENSE_CATEGORY_ZH[c] for c in EXPENSE_CATEGORIES), "合计"],
                summary,
            ),
        ]
    )
    return buf, f"spending-ledger-{school.code}-term{term.id}.xlsx"
