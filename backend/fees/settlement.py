"""Term-end settlement (R10): expenses by category, surplus refunded by what each paid."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor
from backend.database import get_session, unit_of_work
from backend.errors import NotFound, define
from backend.fees import money
from backend.fees.access import ensure_not_settled, office_term, settlement_of
from backend.fees.ledger import notify_statements
from backend.fees.models import EXPENSE_CATEGORY_ZH, Expense, Settlement, Statement, StatementLine
from backend.fees.payments import add_refund
from backend.fees.states import statement_next

AlreadySettled = define(
    "already_settled", 409, "本学期已完成期末结算", "The term has already been settled"
)
StatementsOpen = define(
    "statements_open",
    409,
    "还有未出账或未缴清的账单，请先出账、收款或调整后再结算",
    "Some statements are still draft or unpaid; issue, collect or adjust them first",
)
SpentOutsideTerm = define(
    "spent_outside_term", 422, "支出日期不在学期内", "The expense date is outside the term"
)


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
        if settlement_of(session, term.id) is not None:
            raise AlreadySettled()
        statements = session.scalars(
            sa.select(Statement)
            .where(Statement.term_id == term.id, Statement.status != "void")
            .order_by(Statement.id)
            .with_for_update()
        ).all()
        open_counts = Counter(st.status for st in statements if st.status != "paid")
        if open_counts:
            raise StatementsOpen(errors={"statuses": dict(open_counts)})
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
        credit_total = 0
        for st in statements:
            owed = -money.balance(st.total_fen, st.paid_fen, st.refunded_fen, st.carried_out_fen)
            if owed > 0:
                add_refund(
                    session,
                    st,
                    owed,
                    kind="credit",
                    reason="期末结算：多缴部分退还",
                    status="requested",
                    actor_id=actor.id,
                    settlement_id=row.id,
                )
                credit_total += owed
        net = [st.paid_fen - st.refunded_fen for st in statements]
        row.income_fen = sum(net)
        row.expenses_fen = session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Expense.amount_fen), 0)).where(
                Expense.term_id == term.id
            )
        )
        row.surplus_fen = row.income_fen - row.expenses_fen
        row.credit_refunded_fen = credit_total
        row.payers = sum(1 for n in net if n > 0)
        refunded: dict[int, int] = {}
        if row.surplus_fen > 0:
            row.status = "surplus"
            parts = money.largest_remainder(row.surplus_fen, [max(n, 0) for n in net])
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
                st.total_fen -= part
                add_refund(
                    session,
                    st,
                    part,
                    kind="surplus",
                    reason="期末结余退费",
                    status="requested",
                    actor_id=actor.id,
                    settlement_id=row.id,
                )
                refunded[st.id] = part
            session.add_all(lines)
            row.refunded_fen = sum(parts)
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


def get_settlement(school_id: int, term_id: int) -> dict:
    session = get_session()
    term = office_term(session, school_id, term_id)
    row = settlement_of(session, term.id)
    if row is None:
        raise NotFound()
    return settlement_view(row)
