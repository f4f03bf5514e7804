"""Daily reconciliation: WeChat Pay's trade bill against our paid orders and refunds."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor
from backend.auth.scope import admin_school
from backend.common.clock import SCHOOL_TZ, now
from backend.database import get_session, unit_of_work
from backend.errors import NotFound
from backend.payments.errors import PaymentsUnavailable
from backend.payments.gateway import get_gateway
from backend.payments.models import (
    Reconciliation,
    ReconciliationDiff,
    WeChatPayOrder,
    WeChatRefund,
)

log = logging.getLogger("kehou.payments")


def _fen(text: str) -> int:
    try:
        return int((Decimal(text) * 100).to_integral_exact())
    except (InvalidOperation, ValueError):
        raise PaymentsUnavailable() from None


def parse_bill(text: str) -> tuple[dict, dict]:
    """({out_trade_no: (fen, transaction_id)}, {out_refund_no: (fen, out_trade_no)})."""
    lines = text.splitlines()
    if not lines:
        return {}, {}
    col = {name: i for i, name in enumerate(lines[0].split(","))}
    payments, refunds = {}, {}
    for line in lines[1:]:
        if not line.startswith("`"):
            break  # the summary block
        cells = [c[1:] if c.startswith("`") else c for c in line.split(",")]
        state = cells[col["交易状态"]]
        if state == "SUCCESS":
            payments[cells[col["商户订单号"]]] = (
                _fen(cells[col["订单金额"]]),
                cells[col["微信订单号"]],
            )
        elif state == "REFUND":
            refunds[cells[col["商户退款单号"]]] = (
                _fen(cells[col["申请退款金额"]]),
                cells[col["商户订单号"]],
            )
    return payments, refunds


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=SCHOOL_TZ)
    return start, start + timedelta(days=1)


def reconcile(bill_date: date) -> dict:
    """Fetch the bill, compare, and replace the day's stored differences."""
    text = get_gateway().trade_bill(bill_date.isoformat())
    theirs_paid, theirs_refunded = parse_bill(text)
    start, end = _day_bounds(bill_date)
    with unit_of_work() as session:
        ours_paid, ours_refunded = _ours(session, start, end)
        diffs = _differences(session, "payment", ours_paid, theirs_paid)
        diffs += _differences(session, "refund", ours_refunded, theirs_refunded)
        old = session.scalar(sa.select(Reconciliation).where(Reconciliation.bill_date == bill_date))
        if old is not None:
            session.execute(
                sa.delete(ReconciliationDiff).where(ReconciliationDiff.reconciliation_id == old.id)
            )
            session.delete(old)
            session.flush()
        run = Reconciliation(
            bill_date=bill_date,
            run_at=now(),
            bill_rows=len(theirs_paid) + len(theirs_refunded),
            our_rows=len(ours_paid) + len(ours_refunded),
            differences=len(diffs),
        )
        session.add(run)
        session.flush()
        for d in diffs:
            session.add(ReconciliationDiff(reconciliation_id=run.id, bill_date=bill_date, **d))
        session.flush()
        record(
            session,
            action="payments.reconcile",
            object_type="reconciliation",
            object_id=run.id,
            after={"bill_date": bill_date, "differences": len(diffs)},
        )
        if diffs:
            log.warning("reconciliation %s: %d differences", bill_date, len(diffs))
        return {
            "bill_date": bill_date.isoformat(),
            "bill_rows": run.bill_rows,
            "our_rows": run.our_rows,
            "differences": diffs,
        }


def _ours(session, start, end) -> tuple[dict, dict]:
    """Our paid orders by out_trade_no and succeeded refunds by out_refund_no, in the day."""
    paid = session.scalars(
        sa.select(WeChatPayOrder).where(
            WeChatPayOrder.status == "paid",
            WeChatPayOrder.paid_at >= start,
            WeChatPayOrder.paid_at < end,
        )
    ).all()
    refunded = session.scalars(
        sa.select(WeChatRefund).where(
            WeChatRefund.status == "succeeded",
            WeChatRefund.completed_at >= start,
            WeChatRefund.completed_at < end,
        )
    ).all()
    return {o.out_trade_no: o for o in paid}, {r.out_refund_no: r for r in refunded}


def _differences(session, record_type: str, ours: dict, theirs: dict) -> list[dict]:
    """A row for each number on which our records and WeChat's bill disagree: which
    numbers, where it belongs (school, statement) and both amounts."""
    model, number = _KINDS[record_type]
    out = []
    for no in sorted(set(ours) | set(theirs)):
        mine, their = ours.get(no), theirs.get(no)
        if mine is not None and their is not None and mine.amount_fen == their[0]:
            continue
        kind = "missing_theirs" if their is None else "missing_ours" if mine is None else None
        row = mine or session.scalar(sa.select(model).where(getattr(model, number) == no))
        out.append(
            dict(
                record_type=record_type,
                kind=kind or "amount_mismatch",
                **_numbers(record_type, no, mine, their),
                school_id=row.school_id if row else None,
                statement_id=row.statement_id if row else None,
                our_amount_fen=mine.amount_fen if mine else None,
                their_amount_fen=their[0] if their else None,
            )
        )
    return out


# record type -> (our model, the number the bill names it by)
_KINDS = {"payment": (WeChatPayOrder, "out_trade_no"), "refund": (WeChatRefund, "out_refund_no")}


def _numbers(record_type: str, no: str, mine, their) -> dict:
    """The WeChat numbers a difference is filed under (a bill row is (fen, number))."""
    if record_type == "payment":
        transaction_id = their[1] if their else mine.transaction_id
        return dict(out_trade_no=no, out_refund_no=None, transaction_id=transaction_id)
    return dict(out_trade_no=their[1] if their else None, out_refund_no=no, transaction_id=None)


def school_reconciliation(school_id: int, bill_date: date) -> dict:
    """The day's differences that concern one school (404 when the day was not run)."""
    session = get_session()
    admin_school(session, current_actor(), school_id)
    run = session.scalar(sa.select(Reconciliation).where(Reconciliation.bill_date == bill_date))
    if run is None:
        raise NotFound()
    rows = session.scalars(
        sa.select(ReconciliationDiff)
        .where(
            ReconciliationDiff.reconciliation_id == run.id,
            ReconciliationDiff.school_id == school_id,
        )
        .order_by(ReconciliationDiff.id)
    ).all()
    return {"bill_date": run.bill_date, "run_at": run.run_at, "differences": rows}
