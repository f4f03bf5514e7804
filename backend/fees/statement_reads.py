"""Reading statements: the family's view, the office's filtered list, detail and export."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from backend.auth.context import current_actor, require_user
from backend.auth.scope import admin_school, guardian_student
from backend.common import xlsx
from backend.common.pagination import paginate
from backend.database import get_session
from backend.errors import NotFound
from backend.fees import money
from backend.fees.models import Payment, Refund, Statement, StatementLine
from backend.fees.states import BILLED_STATES
from backend.schools.models import GuardianLink, SchoolClass, Student

# What a family may see: never the office's drafts.
FAMILY_STATES = ("issued", "partially_paid", "paid", "settled", "void")


def _money(st: Statement) -> dict:
    return {
        "total_fen": st.total_fen,
        "paid_fen": st.paid_fen,
        "refunded_fen": st.refunded_fen,
        "carried_out_fen": st.carried_out_fen,
        "balance_fen": money.balance(
            st.total_fen, st.paid_fen, st.refunded_fen, st.carried_out_fen
        ),
    }


def _lines(session, ids: list[int]) -> dict[int, list[StatementLine]]:
    out: dict[int, list[StatementLine]] = defaultdict(list)
    if ids:
        rows = session.scalars(
            sa.select(StatementLine)
            .where(StatementLine.statement_id.in_(ids))
            .order_by(StatementLine.id)
        )
        for ln in rows:
            out[ln.statement_id].append(ln)
    return out


def statement_view(session, st: Statement, lines=None) -> dict:
    if lines is None:
        lines = _lines(session, [st.id])[st.id]
    return {
        "id": st.id,
        "term_id": st.term_id,
        "student_id": st.student_id,
        "period": st.period,
        "status": st.status,
        "service_days": st.service_days,
        "lines": [
            {"kind": ln.kind, "description": ln.description, "amount_fen": ln.amount_fen}
            for ln in lines
        ],
        **_money(st),
        "issued_at": st.issued_at,
        "replaces_id": st.replaces_id,
    }


def family_statements(student_id: int, term_id: int | None) -> list[dict]:
    actor = require_user()
    session = get_session()
    guardian_student(session, actor, student_id)
    stmt = sa.select(Statement).where(
        Statement.student_id == student_id, Statement.status.in_(FAMILY_STATES[:-1])
    )
    if term_id is not None:
        stmt = stmt.where(Statement.term_id == term_id)
    rows = session.scalars(stmt.order_by(Statement.term_id, Statement.period)).all()
    lines = _lines(session, [st.id for st in rows])
    return [statement_view(session, st, lines[st.id]) for st in rows]


def family_statement(statement_id: int) -> dict:
    actor = require_user()
    session = get_session()
    st = session.scalar(
        sa.select(Statement)
        .join(GuardianLink, GuardianLink.student_id == Statement.student_id)
        .where(
            Statement.id == statement_id,
            GuardianLink.user_id == actor.id,
            Statement.status.in_(FAMILY_STATES),
        )
    )
    if st is None:
        raise NotFound()
    return statement_view(session, st)


def _office_filters(school_id: int, query: dict) -> list:
    """The WHERE clauses of the office's statement filters."""
    where = [Statement.school_id == school_id]
    for key, column in (
        ("term_id", Statement.term_id),
        ("period", Statement.period),
        ("status", Statement.status),
        ("class_id", Statement.class_id),
        ("student_id", Statement.student_id),
    ):
        if query.get(key) is not None:
            where.append(column == query[key])
    return where


def _office_query(school_id: int, query: dict):
    return (
        sa.select(Statement, Student.name, Student.student_no, SchoolClass.name)
        .join(Student, Student.id == Statement.student_id)
        .join(SchoolClass, SchoolClass.id == Statement.class_id)
        .where(*_office_filters(school_id, query))
    )


def _office_row(st: Statement, name: str, student_no: str, class_name: str) -> dict:
    return {
        "id": st.id,
        "term_id": st.term_id,
        "student_id": st.student_id,
        "student_name": name,
        "student_no": student_no,
        "class_id": st.class_id,
        "class_name": class_name,
        "period": st.period,
        "status": st.status,
        **_money(st),
        "issued_at": st.issued_at,
    }


def office_statements(school_id: int, query: dict, page: int, page_size: int):
    session = get_session()
    admin_school(session, current_actor(), school_id)
    stmt = _office_query(school_id, query)
    stmt = stmt.order_by(Statement.period, SchoolClass.name, Student.student_no, Statement.id)
    rows, total = paginate(session, stmt, page, page_size, rows=True)
    return [_office_row(*r) for r in rows], total


def office_collection(school_id: int, query: dict) -> dict:
    """Billed, collected and arrears over the matching statements (one aggregate query):
    billed = issued or later; arrears = what billed statements still owe (money.balance)."""
    session = get_session()
    admin_school(session, current_actor(), school_id)
    st = Statement
    owed = st.total_fen - (st.paid_fen - st.refunded_fen - st.carried_out_fen)
    billed = st.status.in_(BILLED_STATES)
    row = session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(sa.case((billed, st.total_fen), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((billed, st.paid_fen), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((billed & (owed > 0), owed), else_=0)), 0),
            sa.func.count(sa.distinct(sa.case((billed & (owed > 0), st.student_id)))),
            sa.func.count(sa.case((st.status == "draft", 1))),
        ).where(*_office_filters(school_id, query))
    ).one()
    total, paid, arrears, pupils, drafts = (int(v) for v in row)
    return {
        "billed_fen": total,
        "paid_fen": paid,
        "arrears_fen": arrears,
        "arrears_pupils": pupils,
        "drafts": drafts,
        "rate": (paid / total) if total else None,
    }


def office_statement_detail(school_id: int, statement_id: int) -> dict:
    session = get_session()
    admin_school(session, current_actor(), school_id)
    st = session.scalar(
        sa.select(Statement).where(Statement.id == statement_id, Statement.school_id == school_id)
    )
    if st is None:
        raise NotFound()
    view = statement_view(session, st)
    view["payments"] = session.scalars(
        sa.select(Payment).where(Payment.statement_id == st.id).order_by(Payment.id)
    ).all()
    view["refunds"] = session.scalars(
        sa.select(Refund).where(Refund.statement_id == st.id).order_by(Refund.id)
    ).all()
    return view


STATUS_ZH = {
    "draft": "草稿",
    "issued": "待缴费",
    "partially_paid": "部分缴费",
    "paid": "已缴清",
    "settled": "已结算",
    "void": "已作废",
}


def export_statements(school_id: int, query: dict):
    """An .xlsx of the matching statements (one row each, amounts in yuan and fen)."""
    session = get_session()
    school = admin_school(session, current_actor(), school_id)
    header = ["账单号", "账期", "班级", "学号", "姓名", "状态", "应收(元)", "已缴(元)"]
    header += ["已退(元)", "结余转出(元)", "待缴(元)", "应收(分)", "待缴(分)"]
    stmt = _office_query(school_id, query).order_by(
        Statement.period, SchoolClass.name, Student.student_no
    )
    rows = (_export_row(*r) for r in session.execute(stmt.limit(100_000)))
    return xlsx.single_sheet("账单", header, rows), f"statements-{school.code}.xlsx"


def _export_row(st: Statement, name: str, student_no: str, class_name: str) -> list:
    """One statement as a row of the export."""
    row = _office_row(st, name, student_no, class_name)
    return [
        st.id,
        st.period,
        class_name,
        student_no,
        name,
        STATUS_ZH.get(st.status, st.status),
        money.yuan(row["total_fen"]),
        money.yuan(row["paid_fen"]),
        money.yuan(row["refunded_fen"]),
        money.yuan(row["carried_out_fen"]),
        money.yuan(row["balance_fen"]),
        row["total_fen"],
        row["balance_fen"],
    ]
