"""Real commits and real threads: one payment however often WeChat notifies, one order
however often a family taps, one refund however often the office pushes; and the whole
flow over real HTTP (the fake POSTs its notification to a served app)."""

from __future__ import annotations

import threading

import requests
import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.fees.models import Payment, Statement
from backend.notifications.models import OutboxMessage
from backend.payments.models import WeChatPayOrder, WeChatRefund
from tests.payments.helpers import ADMIN, count, post_note, requested_refund, setup, start


def _race(app, n, fn):
    results, barrier = [], threading.Barrier(n)

    def go():
        with app.test_client() as c:
            barrier.wait()
            results.append(fn(c))

    threads = [threading.Thread(target=go) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _check(app):
    return app.extensions["kehou"]["sessionmaker"]()


def test_same_notification_ten_times_at_once_books_one_payment(
    app, committed, requires_pg, fake_pay
):
    s = setup(committed)
    committed.commit()
    with app.test_client() as c:
        body = start(c, s).json
    note = fake_pay.pay(body["out_trade_no"], deliver=False)
    statuses = _race(app, 10, lambda c: post_note(c, note).status_code)
    assert statuses == [204] * 10
    with _check(app) as db:
        st = db.get(Statement, s.st.id)
        assert (st.status, st.paid_fen) == ("paid", 8000)
        assert count(db, Payment, Payment.status == "paid") == 1
        assert count(db, OutboxMessage, OutboxMessage.kind == "payment_received") == 1
        assert count(db, AuditLog, AuditLog.action == "payment.wechat_paid") == 1


def test_taps_at_once_make_one_order(app, committed, requires_pg, fake_pay):
    s = setup(committed)
    committed.commit()
    answers = _race(app, 6, lambda c: start(c, s))
    assert sorted(a.status_code for a in answers) == [200] * 5 + [201]
    assert len({a.json["payment_id"] for a in answers}) == 1
    assert len(fake_pay.orders) == 1
    with _check(app) as db:
        assert count(db, WeChatPayOrder) == 1 and count(db, Payment) == 1


def test_refund_pushed_at_once_is_one_refund(app, committed, requires_pg, fake_pay):
    s = setup(committed)
    committed.commit()
    with app.test_client() as c:
        no = start(c, s).json["out_trade_no"]
        assert post_note(c, fake_pay.pay(no, deliver=False)).status_code == 204
    st = committed.get(Statement, s.st.id, populate_existing=True)
    refund = requested_refund(committed, st, 2000)
    committed.commit()
    url = f"{ADMIN}/{s.sid}/refunds/{refund.id}/wechat"
    answers = _race(app, 5, lambda c: c.post(url, headers=s.office).status_code)
    assert answers == [200] * 5
    assert len(fake_pay.refunds) == 1
    with _check(app) as db:
        assert count(db, WeChatRefund) == 1


def test_end_to_end_over_real_http(app, committed, fake_pay):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        fake_pay.notify_url_override = base + "/api/v1/payments/wechat/notify"
        s = setup(committed, total=6500)
        committed.commit()
        r = requests.post(f"{base}/api/v1/statements/{s.st.id}/payments", headers=s.parent)
        assert r.status_code == 201, r.text
        note = fake_pay.pay(r.json()["out_trade_no"])  # WeChat POSTs to our server
        assert note.status_code == 204, note.answer
        fam = requests.get(f"{base}/api/v1/statements/{s.st.id}", headers=s.parent).json()
        assert (fam["status"], fam["paid_fen"], fam["balance_fen"]) == ("paid", 6500, 0)
        with _check(app) as db:
            msg = db.scalar(
                sa.select(OutboxMessage).where(OutboxMessage.kind == "payment_received")
            )
            assert msg.user_id == s.parent_row.id
    finally:
        server.shutdown()
        server.server_close()
