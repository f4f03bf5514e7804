"""Reads of the fees domain that other domains ask for (the district's figures)."""

from __future__ import annotations

import sqlalchemy as sa

from backend.fees.models import Expense, FeeExemption, Payment, Refund


def _by_term(session, term_ids, column, value, *where) -> dict[int, int]:
    stmt = sa.select(column, value).where(column.in_(term_ids), *where).group_by(column)
    return {key: int(amount or 0) for key, amount in session.execute(stmt)}


def term_money(session, term_ids) -> dict[int, dict[str, int]]:
    """{term id: {income_fen, expenses_fen, exemptions}}: payments received minus refunds
    made, the term's recorded expenses, and approved exemptions (a few grouped queries)."""
    ids = list(term_ids)
    if not ids:
        return {}
    paid = _by_term(
        session, ids, Payment.term_id, sa.func.sum(Payment.amount_fen), Payment.status == "paid"
    )
    refunded = _by_term(
        session, ids, Refund.term_id, sa.func.sum(Refund.amount_fen), Refund.status != "failed"
    )
    spent = _by_term(session, ids, Expense.term_id, sa.func.sum(Expense.amount_fen))
    exempt = _by_term(
        session, ids, FeeExemption.term_id, sa.func.count(), FeeExemption.status == "approved"
    )
    return {
        t: {
            "income_fen": paid.get(t, 0) - refunded.get(t, 0),
            "expenses_fen": spent.get(t, 0),
            "exemptions": exempt.get(t, 0),
        }
        for t in ids
    }
