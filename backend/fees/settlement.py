"""Term-end settlement (R10): expenses by category, surplus refunded by what each paid."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor
from backend.database import get_session, unit_of_work
from backend.errors import NotFound
from backend.fees import ledger, money
from backend.fees.access import ensure_not_settled, office_term, settlement_of
from backend.fees.errors import AlreadySettled, SpentOutsideTerm, StatementsOpen
from backend.fees.issuing import notify_statements
from backend.fees.models import EXPENSE_CATEGORY_ZH, Expense, Settlement, Statement, StatementLine
from backend.fees.states import statement_next


def expense_view(e: Expense) -> dict:
    return {
        "id": e.id,
        "term_id": e.term_id,
        "category": e.category,
        "category_name": EXPENSE_CATEGORY_ZH[e.category],
        "amount_fen": e.amount_fen,
        "spent_on": e.spent_on,
        "note": e.note,
        "created_at": e.created_at,
    }


def add_expense(school_id: int, term_id: int, data: dict) -> dict:
    """The office records a cost of the term (one unit of work)."""
    actor = current_actor()
    with unit_of_work() as session:
        term = office_term(session, school_id, term_id)
        return expense_view(record_expense(session, term, data, actor.id))


def record_expense(session, term, data: dict, actor_id: int | None) -> Expense:
    """Add an expense inside the caller's transaction (other domains' approvals call this,
    e.g. an approved staff pay sheet as `staff_pay`); refused once the term is settled."""
    ensure_not_settled(session, term.id)
    if not term.starts_on <= data["spent_on"] <= term.ends_on:
        raise SpentOutsideTerm(errors={"spent_on": [f"{term.starts_on} 至 {term.ends_on}"]})
    row = Expense(school_id=term.school_id, term_id=term.id, recorded_by=actor_id, **data)
    session.add(row)
    session.flush()
    record(
        session,
        action="expense.create",
        object_type="expense",
        object_id=row.id,
        school_id=term.school_id,
        after=expense_view(row),
    )
    return row


def expenses(school_id: int, term_id: int) -> list[dict]:
    session = get_session()
    term = office_term(session, school_id, term_id)
    rows = session.scalars(
        sa.select(Expense).where(Expense.term_id == term.id).order_by(Expense.spent_on, Expense.id)
    )
    return [expense_view(e) for e in rows]


def settlement_view(row: Settlement) -> dict:
    return {
        "id": row.id,
        "term_id": row.term_id,
        "status": row.status,
        "income_fen": row.income_fen,
        "expenses_fen": row.expenses_fen,
        "surplus_fen": row.surplus_fen,
        "refunded_fen": row.refunded_fen,
        "credit_refunded_fen": row.credit_refunded_fen,
        "payers": row.payers,
        "created_at": row.created_at,
    }


def settle(school_id: int, term_id: int) -> dict:
    """Close the term once: refund open credits, then split any surplus among the payers
    in proportion to what each paid (largest remainder); a deficit is only reported."""
    actor = current_actor()
    with unit_of_work() as session:
        term = office_term(session, school_id, term_id, lock=True)
        statements = _paid_statements(session, term.id)
        row = Settlement(
            school_id=school_id,
            term_id=term.id,
            status="balanced",
            income_fen=0,
            expenses_fen=0,
            surplus_fen=0,
            settled_by=actor.id,
        )
        session.add(row)
        session.flush()
        row.credit_refunded_fen = _refund_credits(session, row, statements, actor.id)
        _count_the_term(session, row, statements)
        refunded: dict[int, int] = {}
        if row.surplus_fen > 0:
            refunded = _share_surplus(session, row, statements, actor.id)
        elif row.surplus_fen < 0:
            row.status = "deficit"  # reported, never charged to families
        for st in statements:
            st.status = statement_next(st.status, "settle")
            st.settled_at = row.created_at
        session.flush()
        notify_statements(
            session, list(refunded), kind="surplus_refund", note="期末结余退费", amounts=refunded
        )
        record(
            session,
            action="term.settle",
            object_type="term",
            object_id=term.id,
            school_id=school_id,
            after={**settlement_view(row), "statements": len(statements)},
        )
        return settlement_view(row)


def _paid_statements(session, term_id: int) -> list[Statement]:
    """The term's live statements, row-locked; 409 unless the term is unsettled and
    every one of them is paid."""
    if settlement_of(session, term_id) is not None:
        raise AlreadySettled()
    statements = session.scalars(
        sa.select(Statement)
        .where(Statement.term_id == term_id, Statement.status != "void")
        .order_by(Statement.id)
        .with_for_update()
    ).all()
    open_counts = Counter(st.status for st in statements if st.status != "paid")
    if open_counts:
        raise StatementsOpen(errors={"statuses": dict(open_counts)})
    return statements


def _refund_credits(session, row: Settlement, statements, actor_id: int) -> int:
    """What each family over-paid goes back to them (a requested refund); the sum."""
    total = 0
    for st in statements:
        owed = -money.balance(st.total_fen, st.paid_fen, st.refunded_fen, st.carried_out_fen)
        if owed > 0:
            ledger.debit_refund(
                session,
                st,
                owed,
                kind="credit",
                reason="期末结算：多缴部分退还",
                status="requested",
                actor_id=actor_id,
                settlement_id=row.id,
            )
            total += owed
    return total


def _count_the_term(session, row: Settlement, statements) -> None:
    """Income (net of refunds), expenses, surplus and payers of the term."""
    net = [st.paid_fen - st.refunded_fen for st in statements]
    row.income_fen = sum(net)
    row.expenses_fen = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Expense.amount_fen), 0)).where(
            Expense.term_id == row.term_id
        )
    )
    row.surplus_fen = row.income_fen - row.expenses_fen
    row.payers = sum(1 for n in net if n > 0)


def _share_surplus(session, row: Settlement, statements, actor_id: int) -> dict[int, int]:
    """The surplus split among the payers by what each paid (largest remainder): a line
    and a requested refund on each statement; returns the part of each statement."""
    row.status = "surplus"
    net = [st.paid_fen - st.refunded_fen for st in statements]
    parts = money.largest_remainder(row.surplus_fen, [max(n, 0) for n in net])
    refunded: dict[int, int] = {}
    lines = []
    for st, paid, part in zip(statements, net, parts, strict=True):
        if part <= 0:
            continue
        lines.append(
            StatementLine(
                statement_id=st.id,
                kind="surplus_refund",
                description=f"期末结余退费：结余{row.surplus_fen}分按缴费比例分配"
                f"（最大余数法，各份相加等于结余），本账单实缴{paid}分，退{part}分",
                amount_fen=-part,
                added_after_issue=True,
            )
        )
        ledger.add_to_total(st, -part)
        ledger.debit_refund(
            session,
            st,
            part,
            kind="surplus",
            reason="期末结余退费",
            status="requested",
            actor_id=actor_id,
            settlement_id=row.id,
        )
        refunded[st.id] = part
    session.add_all(lines)
    row.refunded_fen = sum(parts)
    return refunded


def get_settlement(school_id: int, term_id: int) -> dict:
    session = get_session()
    term = office_term(session, school_id, term_id)
    row = settlement_of(session, term.id)
    if row is None:
        raise NotFound()
    return settlement_view(row)
