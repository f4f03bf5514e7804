"""The sweep: silent orders queried and booked, expired ones closed, refunds followed up."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from backend.common.clock import now
from backend.fees.models import Payment
from backend.payments.models import WeChatPayOrder, WeChatRefund
from tests.payments.helpers import (
    ADMIN,
    fresh,
    order_of,
    paid_through_wechat,
    requested_refund,
    setup,
    start,
)


def _age(db, order, **values):
    db.execute(sa.update(WeChatPayOrder).where(WeChatPayOrder.id == order.id).values(**values))
    db.flush()


def _sweep(app):
    from backend.payments.jobs import sweep

    with app.app_context():
        return sweep()


def test_silent_paid_order_is_booked(client, db, fake_pay, app):
    s = setup(db)
    order = order_of(db, start(client, s).json["payment_id"])
    fake_pay.pay(order.out_trade_no, deliver=False)  # the notification never arrives
    assert _sweep(app) == {}  # too young to ask about
    _age(db, order, created_at=now() - timedelta(minutes=6))
    assert _sweep(app) == {"orders_paid": 1}
    assert fresh(db, order).paid_via == "query" and fresh(db, s.st).status == "paid"
    assert _sweep(app) == {}


def test_silent_unpaid_order_waits_and_expired_one_is_closed(client, db, fake_pay, app):
    s = setup(db)
    order = order_of(db, start(client, s).json["payment_id"])
    _age(db, order, created_at=now() - timedelta(minutes=30))
    assert _sweep(app) == {"orders_waiting": 1}
    assert fresh(db, order).status == "created"
    _age(db, order, expires_at=now() - timedelta(minutes=1))
    assert _sweep(app) == {"orders_closed": 1}
    assert (fresh(db, order).status, order.close_reason) == ("closed", "expired")
    assert db.get(Payment, order.payment_id).status == "closed"
    assert fake_pay.orders[order.out_trade_no]["trade_state"] == "CLOSED"


def test_order_of_a_statement_paid_offline_is_closed(client, db, fake_pay, app):
    s = setup(db)
    order = order_of(db, start(client, s).json["payment_id"])
    s.st.paid_fen, s.st.status = 8000, "paid"
    db.flush()
    assert _sweep(app) == {"orders_closed": 1}
    assert fresh(db, order).close_reason == "statement_paid"


def test_lost_refund_notification_and_unsent_refund(client, db, fake_pay, app):
    s = setup(db)
    paid_through_wechat(client, db, s, fake_pay)
    refund = requested_refund(db, s.st, 1000)
    r = client.post(f"{ADMIN}/{s.sid}/refunds/{refund.id}/wechat", headers=s.office)
    fake_pay.complete_refund(r.json["out_refund_no"], deliver=False)  # notification lost
    db.execute(sa.update(WeChatRefund).values(sent_at=now() - timedelta(minutes=10)))
    assert _sweep(app) == {"refunds_succeeded": 1}
    assert fresh(db, refund).status == "succeeded"
    # a refund that never reached WeChat is sent by the sweep, same number
    second = requested_refund(db, s.st, 500)
    fake_pay.fail_next(1, "500")
    r = client.post(f"{ADMIN}/{s.sid}/refunds/{second.id}/wechat", headers=s.office)
    assert r.status_code == 503
    assert _sweep(app) == {"refunds_processing": 1}
    assert len(fake_pay.refunds) == 2


def test_cli_commands(app, db, fake_pay):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["payments", "sweep"])
    assert result.exit_code == 0 and result.output.strip() == "{}"
