"""Builders for the payment tests: an issued statement of a bound pupil, paying it."""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa

from backend.common.clock import now
from backend.fees.models import Payment, Refund, Statement, StatementLine
from backend.payments.models import WeChatPayOrder
from tests import factories as f

ADMIN = "/admin/api/v1/schools"
NOTIFY = "/api/v1/payments/wechat/notify"


def statement(db, school, kid, *, total=8000, status="issued", period="2026-11", term=None):
    term = term or f.term(db, school)
    st = Statement(
        school_id=school.id,
        term_id=term.id,
        student_id=kid.id,
        class_id=kid.class_id,
        period=period,
        status=status,
        total_fen=total,
        paid_fen=0,
        refunded_fen=0,
        carried_out_fen=0,
        service_days=20,
        issued_at=now() if status != "draft" else None,
    )
    db.add(st)
    db.flush()
    db.add(
        StatementLine(
            statement_id=st.id, kind="base_fee", description="课后服务费", amount_fen=total
        )
    )
    db.flush()
    return st


def setup(db, *, total=8000, status="issued"):
    """World; school A's kids[0] (bound to `parent`) has an issued statement."""
    w = f.World(db)
    a, b = w.schools
    st = statement(db, a["school"], a["kids"][0], total=total, status=status)
    return SimpleNamespace(
        w=w,
        a=a,
        b=b,
        st=st,
        sid=a["school"].id,
        parent_row=a["parent"],
        parent=f.auth(db, user_row=a["parent"]),
        parent_b=f.auth(db, user_row=b["parent"]),
        teacher=f.auth(db, user_row=a["teacher"]),
        office=f.auth(db, admin_row=a["office"]),
        office_b=f.auth(db, admin_row=b["office"]),
    )


def start(client, s, headers=None, st=None):
    return client.post(
        f"/api/v1/statements/{(st or s.st).id}/payments", headers=headers or s.parent
    )


def post_note(client, note, **kw):
    return client.post(NOTIFY, data=note.body.encode(), headers=note.headers, **kw)


def order_of(db, payment_id) -> WeChatPayOrder:
    return db.scalar(
        sa.select(WeChatPayOrder)
        .where(WeChatPayOrder.payment_id == payment_id)
        .execution_options(populate_existing=True)
    )


def fresh(db, row):
    db.refresh(row)
    return row


def paid_through_wechat(client, db, s, fake_pay):
    """Order, the fake pays, the notification is applied; returns the order."""
    r = start(client, s)
    assert r.status_code == 201, r.json
    order = order_of(db, r.json["payment_id"])
    note = fake_pay.pay(order.out_trade_no, deliver=False)
    assert post_note(client, note).status_code == 204
    return fresh(db, order)


def count(db, model, *where) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def requested_refund(db, st, amount, kind="surplus") -> Refund:
    from backend.fees.ledger import debit_refund

    fresh(db, st)
    refund = debit_refund(db, st, amount, kind=kind, reason="期末结余退费", status="requested")
    db.flush()
    return refund


__all__ = ["Payment"]
