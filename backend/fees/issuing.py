"""Statements for the office: generate, issue (one or a period), reissue, adjust."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from backend.audit.service import record
from backend.common.clock import now
from backend.database import unit_of_work
from backend.fees import ledger, money
from backend.fees.access import audit_statement, ensure_not_settled, office_statement, office_term
from backend.fees.errors import (
    StatementClosed,
    StatementNotDraft,
    StatementNotReissuable,
    TotalWouldBeNegative,
)
from backend.fees.models import Statement, StatementLine
from backend.fees.periods import bounds
from backend.fees.statement_reads import statement_view
from backend.fees.statements import build
from backend.fees.states import OPEN_STATES, statement_next
from backend.notifications.models import OutboxMessage
from backend.notifications.outbox import enqueue
from backend.schools.models import GuardianLink

# Up to this many messages wake the worker one by one; more are left to its sweep.
WAKE_UP_LIMIT = 50


def generate(school_id: int, term_id: int, period: str) -> dict:
    """Generate the period's statements (idempotent: run it again after any change)."""
    with unit_of_work() as session:
        term = office_term(session, school_id, term_id, lock=True)
        ensure_not_settled(session, term.id)
        bounds(term, period)
        result = build(session, term, period)
        notify_statements(
            session,
            [a["statement_id"] for a in result["adjusted"]],
            kind="statement_adjusted",
            note="账单已调整",
        )
        summary = {k: v for k, v in result.items() if k not in ("created_ids", "adjusted")}
        summary.update(adjusted=len(result["adjusted"]), removed=len(result["removed"]))
        record(
            session,
            action="statements.generate",
            object_type="term",
            object_id=term.id,
            school_id=school_id,
            after={
                **summary,
                "created_ids": result["created_ids"],
                "adjusted": result["adjusted"],
                "removed": result["removed"],
            },
        )
        summary["statements"] = session.scalar(
            sa.select(sa.func.count())
            .select_from(Statement)
            .where(
                Statement.term_id == term.id,
                Statement.period == period,
                Statement.status != "void",
            )
        )
    return summary


def notify_statements(
    session, statement_ids: list[int], *, kind: str, note: str, amounts: dict | None = None
) -> None:
    """One message per guardian of each statement's pupil (guardians loaded in one query);
    the amount shown is the statement's total unless `amounts` names another."""
    if not statement_ids:
        return
    rows = session.execute(
        sa.select(Statement.id, Statement.student_id, Statement.school_id, Statement.period)
        .where(Statement.id.in_(statement_ids))
        .order_by(Statement.id)
    ).all()
    guardians = defaultdict(list)
    for student_id, user_id in session.execute(
        sa.select(GuardianLink.student_id, GuardianLink.user_id).where(
            GuardianLink.student_id.in_({r.student_id for r in rows})
        )
    ):
        guardians[student_id].append(user_id)
    totals = amounts or dict(
        session.execute(
            sa.select(Statement.id, Statement.total_fen).where(Statement.id.in_(statement_ids))
        ).all()
    )
    messages = [
        dict(
            kind=kind,
            user_id=user_id,
            school_id=r.school_id,
            payload={
                "fields": {
                    "thing1": f"课后服务费 {r.period}",
                    "amount2": f"{money.yuan(totals[r.id])}元",
                    "thing3": note,
                },
                "page": f"pages/fees/statement?id={r.id}",
            },
        )
        for r in rows
        for user_id in guardians[r.student_id]
    ]
    if len(messages) <= WAKE_UP_LIMIT:
        for message in messages:
            enqueue(session, **message)
        return
    # A whole period at once: one multi-row insert instead of one flush per message; the
    # worker's sweep sends them (pending rows are the outbox's contract), no wake-ups.
    moment = now()
    session.add_all(
        OutboxMessage(status="pending", next_attempt_at=moment, **message) for message in messages
    )
    session.flush()


def _issue(st: Statement, moment) -> None:
    st.status = statement_next(st.status, "issue", st.total_fen, 0)
    st.issued_at = moment


def issue(school_id: int, statement_id: int) -> dict:
    with unit_of_work() as session:
        st = office_statement(session, school_id, statement_id, lock=True)
        ensure_not_settled(session, st.term_id)
        if st.status != "draft":
            raise StatementNotDraft()
        _issue(st, now())
        notify_statements(session, [st.id], kind="statement_issued", note="新账单已出")
        audit_statement(session, st, "statement.issue", {"status": "draft"}, total_fen=st.total_fen)
        return statement_view(session, st)


def issue_period(school_id: int, term_id: int, period: str) -> dict:
    """Issue every draft of the period at once; guardians are told in the same commit."""
    with unit_of_work() as session:
        term = office_term(session, school_id, term_id, lock=True)
        ensure_not_settled(session, term.id)
        bounds(term, period)
        drafts = session.scalars(
            sa.select(Statement)
            .where(
                Statement.term_id == term.id,
                Statement.period == period,
                Statement.status == "draft",
            )
            .order_by(Statement.id)
            .with_for_update()
        ).all()
        moment = now()
        for st in drafts:
            _issue(st, moment)
        ids = [st.id for st in drafts]
        notify_statements(session, ids, kind="statement_issued", note="新账单已出")
        record(
            session,
            action="statements.issue",
            object_type="term",
            object_id=term.id,
            school_id=school_id,
            after={"period": period, "issued": len(ids), "statement_ids": ids},
        )
    return {"period": period, "issued": len(ids)}


def reissue(school_id: int, statement_id: int, reason: str) -> dict:
    """Void an issued, unpaid statement and issue a freshly computed one in its place."""
    with unit_of_work() as session:
        st = office_statement(session, school_id, statement_id)
        term = office_term(session, school_id, st.term_id, lock=True)
        ensure_not_settled(session, term.id)
        st = office_statement(session, school_id, statement_id, lock=True)
        if st.status != "issued" or st.paid_fen:
            raise StatementNotReissuable()
        lines = session.scalars(
            sa.select(StatementLine).where(StatementLine.statement_id == st.id)
        ).all()
        for ln in lines:  # credits it carried go back to where they came from
            if ln.kind == "credit" and ln.source_statement_id:
                prev = session.get(Statement, ln.source_statement_id, with_for_update=True)
                ledger.move_credit(prev, ln.amount_fen)
        st.status = statement_next(st.status, "void")
        st.voided_at, st.void_reason = now(), reason
        session.flush()
        result = build(session, term, st.period, [st.student_id])
        if not result["created_ids"]:
            new = None
        else:
            new = session.get(Statement, result["created_ids"][0])
            new.replaces_id = st.id
            _issue(new, now())
            notify_statements(session, [new.id], kind="statement_issued", note="账单已重开")
        record(
            session,
            action="statement.reissue",
            object_type="statement",
            object_id=st.id,
            school_id=school_id,
            before={"status": "issued", "total_fen": st.total_fen},
            after={"status": "void", "reason": reason, "replaced_by": new.id if new else None},
        )
        return {
            "voided": statement_view(session, st),
            "statement": statement_view(session, new) if new else None,
        }


def _refuse_negative_total(total_fen: int, amount_fen: int) -> None:
    """A reduction may bring a total to zero, not below (a negative total read as paid)."""
    if amount_fen < 0 and total_fen + amount_fen < 0:
        raise TotalWouldBeNegative(
            total_yuan=money.yuan(total_fen),
            amount_yuan=money.yuan(amount_fen),
            after_yuan=money.yuan(total_fen + amount_fen),
            errors={"amount_fen": [f"最多可减{money.yuan(max(total_fen, 0))}元"]},
        )


def adjust(school_id: int, statement_id: int, data: dict) -> dict:
    """A manual adjustment line (signed), visible to the family with its reason."""
    with unit_of_work() as session:
        st = office_statement(session, school_id, statement_id, lock=True)
        ensure_not_settled(session, st.term_id)
        if st.status not in ("draft", *OPEN_STATES):
            raise StatementClosed()
        _refuse_negative_total(st.total_fen, data["amount_fen"])
        before = {"status": st.status, "total_fen": st.total_fen}
        session.add(
            StatementLine(
                statement_id=st.id,
                kind="adjustment",
                basis="manual",
                description=data["description"],
                amount_fen=data["amount_fen"],
                added_after_issue=st.status != "draft",
            )
        )
        ledger.add_to_total(st, data["amount_fen"])
        session.flush()
        if st.status != "draft":
            notify_statements(session, [st.id], kind="statement_adjusted", note="账单已调整")
        audit_statement(
            session,
            st,
            "statement.adjust",
            before,
            total_fen=st.total_fen,
            amount_fen=data["amount_fen"],
            description=data["description"],
        )
        return statement_view(session, st)
