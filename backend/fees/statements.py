"""Statement generation: one statement per billable pupil and period, loaded in bulk.

Generating again never duplicates: a draft is recomputed in place, an issued statement
gets adjustment lines for what changed (never a silent edit), a settled one is left alone.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict

import sqlalchemy as sa

from backend.fees import money
from backend.fees.models import EXEMPTION_CATEGORY_ZH, FeeExemption, Statement, StatementLine
from backend.fees.periods import NoServiceDays, bounds, service_days
from backend.fees.plans import course_fees, leave_days
from backend.fees.states import OPEN_STATES, paying_state
from backend.schools.models import Student
from backend.signup import queries as signup_queries
from backend.terms.models import Term

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


def billable(session, term: Term, days: list, student_ids=None) -> dict[int, dict]:
    """Pupils enrolled for at least one service day of the period (sign-up says who and
    from which day to which day; the day a pupil left is the first day not billed)."""
    spans = signup_queries.enrolment_spans(session, term.id, days[0], student_ids)
    ids = {span.student_id for span in spans}
    classes = dict(
        session.execute(sa.select(Student.id, Student.class_id).where(Student.id.in_(ids))).all()
    )
    out: dict[int, dict] = {}
    for student_id, joined_on, left_on in spans:
        join_day = joined_on or term.starts_on
        lo = bisect_left(days, join_day)
        hi = bisect_left(days, left_on) if left_on else len(days)
        attended = days[lo:hi]
        if attended:
            # A pupil enrolled twice (withdrawn, then enrolled again) keeps the later row.
            out[student_id] = {
                "class_id": classes[student_id],
                "attended": attended,
                "late_join": lo > 0,
                "withdrawn": hi < len(days),
            }
    return out


def approved_exemptions(session, term_id: int, student_ids=None) -> dict[int, FeeExemption]:
    stmt = sa.select(FeeExemption).where(
        FeeExemption.term_id == term_id, FeeExemption.status == "approved"
    )
    if student_ids is not None:
        stmt = stmt.where(FeeExemption.student_id.in_(student_ids))
    return {row.student_id: row for row in session.scalars(stmt)}


def desired_lines(term: Term, pupil: dict, n_days: int, courses, leave, exemption):
    attended = pupil["attended"]
    charge = money.Charge(
        base_fee_fen=term.base_fee_fen,
        courses=list(courses),
        service_days=n_days,
        attended_days=len(attended),
        leave_days=len(leave.intersection(attended)) if leave else 0,
        exemption_percent=exemption.percent if exemption else 0,
        exemption_label=EXEMPTION_CATEGORY_ZH.get(exemption.category, "") if exemption else "",
        late_join=pupil["late_join"],
        withdrawn=pupil["withdrawn"],
    )
    return money.charge_lines(charge)


def _open_credits(session, term_id: int, period: str, student_ids=None) -> dict[int, list]:
    """Earlier statements of the term whose families paid more than they owed."""
    balance = (
        Statement.total_fen
        - Statement.paid_fen
        + Statement.refunded_fen
        + Statement.carried_out_fen
    )
    stmt = (
        sa.select(Statement)
        .where(
            Statement.term_id == term_id,
            Statement.period < period,
            Statement.status.in_(OPEN_STATES),
            balance < 0,
        )
        .order_by(Statement.period, Statement.id)
        .with_for_update()
    )
    if student_ids is not None:
        stmt = stmt.where(Statement.student_id.in_(student_ids))
    out: dict[int, list] = defaultdict(list)
    for row in session.scalars(stmt):
        out[row.student_id].append(row)
    return out


def refresh_state(st: Statement) -> None:
    """Re-derive the paying state of an open statement after its money changed."""
    if st.status in OPEN_STATES:
        covered = money.covered(st.paid_fen, st.refunded_fen, st.carried_out_fen)
        st.status = paying_state(st.total_fen, covered)


def _carry_credits(st: Statement, credits: list, new_lines: list) -> int:
    """Move earlier over-payments onto this statement as credit lines; returns the sum."""
    carried = 0
    for prev in credits:
        amount = -money.balance(
            prev.total_fen, prev.paid_fen, prev.refunded_fen, prev.carried_out_fen
        )
        if amount <= 0:
            continue
        prev.carried_out_fen += amount
        refresh_state(prev)
        new_lines.append(
            StatementLine(
                statement_id=st.id,
                kind="credit",
                description=f"上期（{prev.period}）多缴 {money.yuan(amount)}元 抵扣",
                amount_fen=-amount,
                source_statement_id=prev.id,
                added_after_issue=st.status != "draft",
            )
        )
        carried -= amount
    return carried


def build(session, term: Term, period: str, student_ids=None) -> dict:
    """Create or bring up to date the statements of one period; returns what happened.

    The caller holds the term's row lock, so two generations take turns and the second
    finds the first one's statements.
    """
    start, end = bounds(term, period)
    days = service_days(session, term, period)
    if not days:
        raise NoServiceDays()
    pupils = billable(session, term, days, student_ids)
    courses = course_fees(session, term.id, student_ids)
    leaves = leave_days(session, term.id, start, end, student_ids)
    exemptions = approved_exemptions(session, term.id, student_ids)
    credits = _open_credits(session, term.id, period, student_ids)

    existing_stmt = (
        sa.select(Statement)
        .where(
            Statement.term_id == term.id,
            Statement.period == period,
            Statement.status != "void",
        )
        .with_for_update()
    )
    if student_ids is not None:
        existing_stmt = existing_stmt.where(Statement.student_id.in_(student_ids))
    existing = {st.student_id: st for st in session.scalars(existing_stmt)}
    lines_of: dict[int, list[StatementLine]] = defaultdict(list)
    if existing:
        line_stmt = sa.select(StatementLine).where(
            StatementLine.statement_id.in_([st.id for st in existing.values()])
        )
        for line in session.scalars(line_stmt):
            lines_of[line.statement_id].append(line)

    created, new_rows, wanted = [], [], {}
    for student_id, pupil in pupils.items():
        wanted[student_id] = desired_lines(
            term,
            pupil,
            len(days),
            courses.get(student_id, ()),
            leaves.get(student_id),
            exemptions.get(student_id),
        )
        if student_id not in existing:
            st = Statement(
                school_id=term.school_id,
                term_id=term.id,
                student_id=student_id,
                class_id=pupil["class_id"],
                period=period,
                status="draft",
                total_fen=money.total(wanted[student_id]),
                paid_fen=0,
                refunded_fen=0,
                carried_out_fen=0,
                service_days=len(days),
            )
            new_rows.append(st)
            created.append(st)
    if new_rows:
        session.add_all(new_rows)
        session.flush()

    new_lines: list[StatementLine] = []
    for st in created:
        new_lines += [_line(st.id, line) for line in wanted[st.student_id]]
        st.total_fen += _carry_credits(st, credits.get(st.student_id, ()), new_lines)

    recomputed, adjusted, removed, unchanged = [], [], [], 0
    for student_id, st in existing.items():
        want = wanted.get(student_id, [])
        if st.status == "draft":
            if not want:
                _discard_draft(session, st, lines_of[st.id])
                removed.append(st.id)
                continue
            keep = [ln for ln in lines_of[st.id] if ln.kind == "credit" or ln.basis == "manual"]
            stale = [ln for ln in lines_of[st.id] if not any(ln is k for k in keep)]
            fresh = [_line(st.id, line) for line in want]
            credit_lines: list[StatementLine] = []
            credit = _carry_credits(st, credits.get(student_id, ()), credit_lines)
            if _signature(stale) == _signature(fresh) and not credit_lines:
                unchanged += 1
                continue
            for ln in stale:
                session.delete(ln)
            new_lines += fresh + credit_lines
            st.total_fen = money.total(want) + sum(ln.amount_fen for ln in keep) + credit
            recomputed.append(st.id)
            st.class_id = pupils[student_id]["class_id"]
        elif st.status in OPEN_STATES:
            deltas = _adjustments(st, lines_of[st.id], want)
            extra: list[StatementLine] = []
            _carry_credits(st, credits.get(student_id, ()), extra)
            if not deltas and not extra:
                unchanged += 1
                continue
            extra += deltas
            new_lines += extra
            st.total_fen += sum(ln.amount_fen for ln in extra)
            refresh_state(st)
            adjusted.append(
                {
                    "statement_id": st.id,
                    "student_id": student_id,
                    "lines": [(ln.kind, ln.basis, ln.amount_fen) for ln in extra],
                }
            )
        else:
            unchanged += 1  # settled: the term is closed
    if new_lines:
        # Lines need no ids back: a plain executemany is far cheaper than ORM inserts.
        session.flush()
        session.execute(sa.insert(StatementLine), [_row(ln) for ln in new_lines])
    return {
        "period": period,
        "service_days": len(days),
        "created": len(created),
        "recomputed": len(recomputed),
        "adjusted": adjusted,
        "removed": removed,
        "unchanged": unchanged,
        "created_ids": [st.id for st in created],
    }


def _line(statement_id: int, line: money.Line) -> StatementLine:
    return StatementLine(
        statement_id=statement_id,
        kind=line.kind,
        description=line.description,
        amount_fen=line.amount_fen,
        basis=line.basis,
    )


def _row(ln: StatementLine) -> dict:
    return {
        "statement_id": ln.statement_id,
        "kind": ln.kind,
        "description": ln.description,
        "amount_fen": ln.amount_fen,
        "basis": ln.basis,
        "source_statement_id": ln.source_statement_id,
        "added_after_issue": bool(ln.added_after_issue),
    }


def _signature(lines) -> list:
    return sorted((ln.kind, ln.description, ln.amount_fen) for ln in lines)


def _discard_draft(session, st: Statement, lines: list) -> None:
    """A draft of a pupil no longer billable: nobody saw it, so it goes, credits return."""
    for ln in lines:
        if ln.kind == "credit" and ln.source_statement_id:
            prev = session.get(Statement, ln.source_statement_id, with_for_update=True)
            prev.carried_out_fen -= -ln.amount_fen
            refresh_state(prev)
        session.delete(ln)
    session.flush()
    session.delete(st)


def _adjustments(st: Statement, lines: list, want: list) -> list[StatementLine]:
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
