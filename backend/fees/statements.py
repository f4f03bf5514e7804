"""Statement generation: one statement per billable pupil and period, loaded in bulk.

Generating again never duplicates: a draft is recomputed in place, an issued statement
gets adjustment lines for what changed (never a silent edit), a settled one is left alone.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from backend.fees import ledger, money
from backend.fees.errors import NoServiceDays
from backend.fees.models import EXEMPTION_CATEGORY_ZH, FeeExemption, Statement, StatementLine
from backend.fees.periods import bounds, service_days
from backend.fees.plans import course_fees, leave_days
from backend.fees.statement_lines import adjustments, insert_values, line_row, signature
from backend.fees.states import OPEN_STATES
from backend.schools.models import Student
from backend.signup import queries as signup_queries
from backend.terms.models import Term


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


def _carry_credits(st: Statement, credits: list, new_lines: list) -> int:
    """Move earlier over-payments onto this statement as credit lines; returns the sum."""
    carried = 0
    for prev in credits:
        amount = -money.balance(
            prev.total_fen, prev.paid_fen, prev.refunded_fen, prev.carried_out_fen
        )
        if amount <= 0:
            continue
        ledger.move_credit(prev, amount)
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


@dataclass
class _Period:
    """What one generation reads before it writes: the period's pupils and their money."""

    days: list
    pupils: dict
    courses: dict
    leaves: dict
    exemptions: dict
    credits: dict


@dataclass
class _Outcome:
    """What one generation did, statement by statement."""

    created: list = field(default_factory=list)
    recomputed: list = field(default_factory=list)
    adjusted: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    unchanged: int = 0
    new_lines: list = field(default_factory=list)


def build(session, term: Term, period: str, student_ids=None) -> dict:
    """Create or bring up to date the statements of one period; returns what happened.

    The caller holds the term's row lock, so two generations take turns and the second
    finds the first one's statements.
    """
    inputs = _read_period(session, term, period, student_ids)
    existing, lines_of = _existing(session, term, period, student_ids)
    wanted = {
        student_id: desired_lines(
            term,
            pupil,
            len(inputs.days),
            inputs.courses.get(student_id, ()),
            inputs.leaves.get(student_id),
            inputs.exemptions.get(student_id),
        )
        for student_id, pupil in inputs.pupils.items()
    }
    out = _Outcome()
    _create_missing(session, term, period, inputs, wanted, existing, out)
    for student_id, st in existing.items():
        want = wanted.get(student_id, [])
        credits = inputs.credits.get(student_id, ())
        if st.status == "draft":
            pupil = inputs.pupils.get(student_id, {})
            _refresh_draft(session, st, lines_of[st.id], want, credits, out, pupil.get("class_id"))
        elif st.status in OPEN_STATES:
            _adjust_issued(st, lines_of[st.id], want, credits, out)
        else:
            out.unchanged += 1  # settled: the term is closed
    if out.new_lines:
        # Lines need no ids back: a plain executemany is far cheaper than ORM inserts.
        session.flush()
        session.execute(sa.insert(StatementLine), [insert_values(ln) for ln in out.new_lines])
    return {
        "period": period,
        "service_days": len(inputs.days),
        "created": len(out.created),
        "recomputed": len(out.recomputed),
        "adjusted": out.adjusted,
        "removed": out.removed,
        "unchanged": out.unchanged,
        "created_ids": [st.id for st in out.created],
    }


def _read_period(session, term: Term, period: str, student_ids) -> _Period:
    """Everything the period's statements are computed from (one query each)."""
    start, end = bounds(term, period)
    days = service_days(session, term, period)
    if not days:
        raise NoServiceDays()
    return _Period(
        days=days,
        pupils=billable(session, term, days, student_ids),
        courses=course_fees(session, term.id, student_ids),
        leaves=leave_days(session, term.id, start, end, student_ids),
        exemptions=approved_exemptions(session, term.id, student_ids),
        credits=_open_credits(session, term.id, period, student_ids),
    )


def _existing(session, term: Term, period: str, student_ids) -> tuple[dict, dict]:
    """The period's live statements by pupil (row-locked), and their lines by statement."""
    stmt = (
        sa.select(Statement)
        .where(
            Statement.term_id == term.id,
            Statement.period == period,
            Statement.status != "void",
        )
        .with_for_update()
    )
    if student_ids is not None:
        stmt = stmt.where(Statement.student_id.in_(student_ids))
    existing = {st.student_id: st for st in session.scalars(stmt)}
    lines_of: dict[int, list[StatementLine]] = defaultdict(list)
    if existing:
        line_stmt = sa.select(StatementLine).where(
            StatementLine.statement_id.in_([st.id for st in existing.values()])
        )
        for line in session.scalars(line_stmt):
            lines_of[line.statement_id].append(line)
    return existing, lines_of


def _create_missing(session, term, period, inputs: _Period, wanted, existing, out) -> None:
    """A draft for each billable pupil without a statement, with its lines and credits."""
    for student_id, pupil in inputs.pupils.items():
        if student_id in existing:
            continue
        out.created.append(
            Statement(
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
                service_days=len(inputs.days),
            )
        )
    if not out.created:
        return
    session.add_all(out.created)
    session.flush()
    for st in out.created:
        out.new_lines += [line_row(st.id, line) for line in wanted[st.student_id]]
        credits = inputs.credits.get(st.student_id, ())
        st.total_fen += _carry_credits(st, credits, out.new_lines)


def _refresh_draft(session, st, lines: list, want: list, credits, out, class_id) -> None:
    """A draft nobody has seen is recomputed in place (or discarded: no longer billable);
    credit and manual lines stay."""
    if not want:
        _discard_draft(session, st, lines)
        out.removed.append(st.id)
        return
    keep = [ln for ln in lines if ln.kind == "credit" or ln.basis == "manual"]
    stale = [ln for ln in lines if not any(ln is k for k in keep)]
    fresh = [line_row(st.id, line) for line in want]
    credit_lines: list[StatementLine] = []
    credit = _carry_credits(st, credits, credit_lines)
    if signature(stale) == signature(fresh) and not credit_lines:
        out.unchanged += 1
        return
    for ln in stale:
        session.delete(ln)
    out.new_lines += fresh + credit_lines
    st.total_fen = money.total(want) + sum(ln.amount_fen for ln in keep) + credit
    out.recomputed.append(st.id)
    st.class_id = class_id


def _adjust_issued(st: Statement, lines: list, want: list, credits, out) -> None:
    """An issued statement is never edited silently: adjustment lines for what changed."""
    deltas = adjustments(st, lines, want)
    extra: list[StatementLine] = []
    _carry_credits(st, credits, extra)
    if not deltas and not extra:
        out.unchanged += 1
        return
    extra += deltas
    out.new_lines += extra
    ledger.add_to_total(st, sum(ln.amount_fen for ln in extra))
    out.adjusted.append(
        {
            "statement_id": st.id,
            "student_id": st.student_id,
            "lines": [(ln.kind, ln.basis, ln.amount_fen) for ln in extra],
        }
    )


def _discard_draft(session, st: Statement, lines: list) -> None:
    """A draft of a pupil no longer billable: nobody saw it, so it goes, credits return."""
    for ln in lines:
        if ln.kind == "credit" and ln.source_statement_id:
            prev = session.get(Statement, ln.source_statement_id, with_for_update=True)
            ledger.move_credit(prev, ln.amount_fen)
        session.delete(ln)
    session.flush()
    session.delete(st)
