"""A statement's lines: computed lines as rows, comparing them, and the adjustment lines
that bring an issued statement to what it should be now."""

from __future__ import annotations

from collections import defaultdict

from backend.fees import money
from backend.fees.models import Statement, StatementLine

COMPUTED_KINDS = ("base_fee", "course_fee", "proration", "leave_refund", "exemption")
KIND_ZH = {
    "base_fee": "课后服务费",
    "course_fee": "课程费",
    "exemption": "减免",
    "proration": "按服务日折算",
    "leave_refund": "请假退费",
    "surplus_refund": "结余退费",
    "credit": "上期多缴抵扣",
    "adjustment": "调整",
}


def line_row(statement_id: int, line: money.Line) -> StatementLine:
    """A computed line as a row of the statement."""
    return StatementLine(
        statement_id=statement_id,
        kind=line.kind,
        description=line.description,
        amount_fen=line.amount_fen,
        basis=line.basis,
    )


def insert_values(ln: StatementLine) -> dict:
    """A line as the values of a bulk insert."""
    return {
        "statement_id": ln.statement_id,
        "kind": ln.kind,
        "description": ln.description,
        "amount_fen": ln.amount_fen,
        "basis": ln.basis,
        "source_statement_id": ln.source_statement_id,
        "added_after_issue": bool(ln.added_after_issue),
    }


def signature(lines) -> list:
    """What makes two sets of lines the same to the family."""
    return sorted((ln.kind, ln.description, ln.amount_fen) for ln in lines)


def adjustments(st: Statement, lines: list, want: list) -> list[StatementLine]:
    """Adjustment lines that bring an issued statement's computed kinds to what they
    should be now (a leave approved or an exemption granted after issue)."""
    current: dict[str, int] = defaultdict(int)
    for ln in lines:
        if ln.kind in COMPUTED_KINDS:
            current[ln.kind] += ln.amount_fen
        elif ln.kind == "adjustment" and ln.basis in COMPUTED_KINDS:
            current[ln.basis] += ln.amount_fen
    target: dict[str, int] = defaultdict(int)
    for line in want:
        target[line.kind] += line.amount_fen
    out = []
    for kind in COMPUTED_KINDS:
        delta = target[kind] - current[kind]
        if delta:
            out.append(
                StatementLine(
                    statement_id=st.id,
                    kind="adjustment",
                    basis=kind,
                    description=f"出账后调整（{KIND_ZH[kind]}）：原{current[kind]}分，"
                    f"现应为{target[kind]}分",
                    amount_fen=delta,
                    added_after_issue=True,
                )
            )
    return out
