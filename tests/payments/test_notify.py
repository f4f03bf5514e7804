"""WeChat Pay notifications: verified, matched to our order, applied exactly once."""

from __future__ import annotations

import json

import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.fees.models import Payment
from backend.notifications.models import OutboxMessage
from backend.payments import notify
from tests.payments.helpers import count, fresh, order_of, post_note, setup, start


def _ordered(client, db, fake_pay, total=8000):
    s = setup(db, total=total)
    body = start(client, s).json
    return s, body, order_of(db, body["payment_id"])


def _unchanged(db, s, order):
    assert fresh(db, s.st).paid_fen == 0 and s.st.status == "issued"
    assert fresh(db, order).status == "created" and order.transaction_id is None
    assert db.get(Payment, order.payment_id).status == "created"
    assert count(db, OutboxMessage, OutboxMessage.kind == "payment_received") == 0


def _rejections(db) -> int:
    return count(db, AuditLog, AuditLog.action == "payment.notify_rejected")


def test_end_to_end_paid_and_guardian_told(client, db, fake_pay, fake_wechat, app):
    s, body, order = _ordered(client, db, fake_pay)
    note = fake_pay.pay(order.out_trade_no, deliver=False)
    r = post_note(client, note)
    assert r.status_code == 204 and r.data == b""
    st = fresh(db, s.st)
    assert (st.status, st.paid_fen) == ("paid", 8000)
    order = fresh(db, order)
    payment = db.get(Payment, order.payment_id)
    assert (order.status, order.paid_via) == ("paid", "notify")
    assert payment.status == "paid" and payment.transaction_id == order.transaction_id
    assert payment.transaction_id == fake_pay.orders[order.out_trade_no]["transaction_id"]
    msgs = db.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "payment_received")
    ).all()
    assert [m.user_id for m in msgs] == [s.parent_row.id]
    assert msgs[0].payload["fields"]["amount2"] == "80.00元"
    assert count(db, AuditLog, AuditLog.action == "payment.wechat_paid") == 1
    fam = client.get(f"/api/v1/statements/{st.id}", headers=s.parent).json
    assert (fam["status"], fam["balance_fen"]) == ("paid", 0)
    # and the worker delivers the message to WeChat
    from backend.notifications import worker

    with app.app_context():
        worker.run(burst=True)
    assert any(m["touser"] == s.parent_row.openid for m in fake_wechat.sent_messages)


def test_the_same_notification_again_changes_nothing(client, db, fake_pay):
    s, body, order = _ordered(client, db, fake_pay)
    note = fake_pay.pay(order.out_trade_no, deliver=False)
    assert [post_note(client, note).status_code for _ in range(3)] == [204, 204, 204]
    again = fake_pay.payment_notification(order.out_trade_no)  # a fresh retry by WeChat
    assert post_note(client, again).status_code == 204
    assert fresh(db, s.st).paid_fen == 8000
    assert count(db, OutboxMessage, OutboxMessage.kind == "payment_received") == 1
    assert count(db, AuditLog, AuditLog.action == "payment.wechat_paid") == 1


def test_forged_signature_is_rejected_and_nothing_changes(client, db, fake_pay):
    s, body, order = _ordered(client, db, fake_pay)
    fake_pay.pay(order.out_trade_no, deliver=False)
    note = fake_pay.payment_notification(order.out_trade_no, bad_signature=True)
    r = post_note(client, note)
    assert r.status_code == 401 and r.json["code"] == "FAIL" and r.json["message"]
    _unchanged(db, s, order)
    # Anyone can send one: counted and logged, never written to the audit chain.
    assert _rejections(db) == 0


def test_forged_notifications_are_not_audited_and_an_address_is_limited(client, db, fake_pay):
    s, body, order = _ordered(client, db, fake_pay)
    fake_pay.pay(order.out_trade_no, deliver=False)
    audited = count(db, AuditLog)
    forged = fake_pay.payment_notification(order.out_trade_no, bad_signature=True)
    attacker = {"REMOTE_ADDR": "198.51.100.66"}
    statuses = [
        post_note(client, forged, environ_base=attacker).status_code
        for _ in range(notify.UNVERIFIED_LIMIT + 1)
    ]
    assert statuses == [401] * notify.UNVERIFIED_LIMIT + [429]
    limited = post_note(client, forged, environ_base=attacker)
    assert limited.status_code == 429 and limited.headers["Retry-After"]
    assert count(db, AuditLog) == audited
    _unchanged(db, s, order)
    # WeChat Pay from another address books; a verified one is never limited anyway.
    note = fake_pay.payment_notification(order.out_trade_no)
    assert post_note(client, note, environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 204
    assert (fresh(db, s.st).status, fresh(db, s.st).paid_fen) == ("paid", 8000)
    assert post_note(client, note, environ_base=attacker).status_code == 204


def test_tampered_body_is_rejected(client, db, fake_pay):
    s, body, order = _ordered(client, db, fake_pay)
    note = fake_pay.pay(order.out_trade_no, deliver=False)
    envelope = json.loads(note.body)
    envelope["summary"] = "改过"
    note.body = json.dumps(envelope, ensure_ascii=False)
    assert post_note(client, note).status_code == 401
    _unchanged(db, s, order)


def test_wrong_amount_is_rejected(client, db, fake_pay):
    s, body, order = _ordered(client, db, fake_pay)
    fake_pay.pay(order.out_trade_no, deliver=False)
    note = fake_pay.payment_notification(order.out_trade_no, amount=1)  # signed, 1 fen
    r = post_note(client, note)
    assert r.status_code == 400 and r.json == {
        "code": "FAIL",
        "message": "amount does not match our order",
    }
    _unchanged(db, s, order)
    row = db.scalar(sa.select(AuditLog).where(AuditLog.action == "payment.notify_rejected"))
    assert row.school_id == s.sid and row.object_id == order.out_trade_no


def test_wrong_merchant_app_or_currency_is_rejected(client, db, fake_pay):
    s, body, order = _ordered(client, db, fake_pay)
    fake_pay.pay(order.out_trade_no, deliver=False)
    for tamper in ({"mchid": "1900000999"}, {"appid": "wx-other"}, {"currency": "USD"}):
        note = fake_pay.payment_notification(order.out_trade_no, **tamper)
        assert post_note(client, note).status_code == 400, tamper
    _unchanged(db, s, order)
    assert _rejections(db) == 3


def test_old_timestamp_or_unknown_key_is_rejected(client, db, fake_pay):
    s, body, order = _ordered(client, db, fake_pay)
    fake_pay.pay(order.out_trade_no, deliver=False)
    old = fake_pay.payment_notification(order.out_trade_no, age_seconds=301)
    assert post_note(client, old).status_code == 401
    other_key = fake_pay.payment_notification(order.out_trade_no, serial="PUB_KEY_ID_OTHER")
    assert post_note(client, other_key).status_code == 401
    note = fake_pay.payment_notification(order.out_trade_no)
    del note.headers["Wechatpay-Signature"]
    assert post_note(client, note).status_code == 401
    assert client.post("/api/v1/payments/wechat/notify", data=b"{}").status_code == 401
    _unchanged(db, s, order)


def test_unknown_order_is_rejected(client, db, fake_pay, app):
    from datetime import timedelta

    from backend.common.clock import now
    from backend.payments.gateway import get_gateway

    s, body, order = _ordered(client, db, fake_pay)
    with app.app_context():
        get_gateway().create_jsapi(
            out_trade_no="KHNOTOURS0001",
            description="x",
            amount_fen=8000,
            openid="o-x",
            expires_at=now() + timedelta(hours=1),
        )
    note = fake_pay.pay("KHNOTOURS0001", deliver=False)
    r = post_note(client, note)
    assert r.status_code == 404 and r.json["code"] == "FAIL"
    _unchanged(db, s, order)


def test_notify_needs_no_token_and_ignores_one(client, db, fake_pay):
    s, body, order = _ordered(client, db, fake_pay)
    note = fake_pay.pay(order.out_trade_no, deliver=False)
    r = client.post(
        "/api/v1/payments/wechat/notify",
        data=note.body.encode(),
        headers={**note.headers, **s.office},
    )
    assert r.status_code == 204


def test_fake_dev_controls_pay_over_real_http(fake_pay, app, db, client):
    import requests

    s, body, order = _ordered(client, db, fake_pay)
    fake_pay.notify_url_override = "http://127.0.0.1:9/unreachable"  # nobody listens
    listed = requests.get(f"{fake_pay.base_url}/fake/orders", timeout=5).json()
    assert order.out_trade_no in listed
    r = requests.post(f"{fake_pay.base_url}/fake/pay/{order.out_trade_no}", timeout=10)
    assert r.status_code == 502  # paid at the fake, notification could not be delivered
    assert fake_pay.orders[order.out_trade_no]["trade_state"] == "SUCCESS"
    assert requests.post(f"{fake_pay.base_url}/fake/pay/KHNOPE000000", timeout=5).status_code == 404


def test_notify_is_not_rate_limited(client, db, fake_pay, app):
    from backend.settings import Settings

    assert Settings.from_env().rate_limit_default == "120/minute"
    s, body, order = _ordered(client, db, fake_pay)
    note = fake_pay.pay(order.out_trade_no, deliver=False)
    statuses = {post_note(client, note).status_code for _ in range(130)}
    assert statuses == {204}
    assert fresh(db, s.st).paid_fen == 8000
