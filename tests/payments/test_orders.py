"""Starting a WeChat Pay order for a statement: amount, reuse, replacement, wrong callers."""

from __future__ import annotations

import sqlalchemy as sa

from backend.fees.models import Payment
from backend.payments import crypto
from backend.payments.models import WeChatPayOrder
from tests.payments.helpers import count, fresh, order_of, setup, start, statement


def test_order_for_the_balance_with_signed_pay_params(client, db, fake_pay):
    s = setup(db, total=8000)
    r = start(client, s)
    assert r.status_code == 201, r.json
    body = r.json
    params = body["pay_params"]
    assert set(params) >= {"timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["signType"] == "RSA" and params["package"].startswith("prepay_id=wx")
    # paySign verifies with the merchant's public key over WeChat's signing string.
    text = crypto.message(
        fake_pay.appid, params["timeStamp"], params["nonceStr"], params["package"]
    )
    assert crypto.verify(crypto.load_public(fake_pay.merchant_public_pem), text, params["paySign"])
    assert body["amount_fen"] == 8000 and isinstance(body["payment_id"], int)
    at_wechat = fake_pay.orders[body["out_trade_no"]]
    assert at_wechat["total"] == 8000 and at_wechat["openid"] == s.parent_row.openid
    assert at_wechat["prepay_id"] == params["package"][len("prepay_id=") :]
    payment = db.get(Payment, body["payment_id"])
    assert (payment.method, payment.status, payment.amount_fen) == ("wechat", "created", 8000)
    assert payment.reference == body["out_trade_no"]
    assert fresh(db, s.st).paid_fen == 0 and s.st.status == "issued"  # nothing booked yet


def test_asking_again_returns_the_open_order(client, db, fake_pay):
    s = setup(db)
    first = start(client, s)
    again = start(client, s)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["payment_id"] == first.json["payment_id"]
    assert again.json["out_trade_no"] == first.json["out_trade_no"]
    assert len(fake_pay.orders) == 1 and count(db, WeChatPayOrder) == 1


def test_balance_changed_closes_the_old_order_and_makes_a_new_one(client, db, fake_pay):
    s = setup(db, total=8000)
    first = start(client, s).json
    s.st.total_fen = 6000  # an adjustment after the order was made
    db.flush()
    second = start(client, s)
    assert second.status_code == 201 and second.json["payment_id"] != first["payment_id"]
    assert second.json["amount_fen"] == 6000
    assert fake_pay.orders[first["out_trade_no"]]["trade_state"] == "CLOSED"
    old = order_of(db, first["payment_id"])
    assert (old.status, old.close_reason) == ("closed", "superseded")
    assert db.get(Payment, first["payment_id"]).status == "closed"
    assert count(db, WeChatPayOrder, WeChatPayOrder.status == "created") == 1


def test_old_order_paid_meanwhile_is_booked_not_closed(client, db, fake_pay):
    s = setup(db, total=8000)
    first = start(client, s).json
    fake_pay.pay(first["out_trade_no"], deliver=False)  # notification not arrived yet
    s.st.total_fen = 9000
    db.flush()
    r = start(client, s)
    # the 8000 was paid: booked from the query, and a new order for the 1000 left
    assert r.status_code == 201 and r.json["amount_fen"] == 1000
    assert order_of(db, first["payment_id"]).status == "paid"
    assert fresh(db, s.st).paid_fen == 8000 and s.st.status == "partially_paid"


def test_nothing_to_pay(client, db, fake_pay):
    s = setup(db, total=8000)
    s.st.paid_fen = 8000
    s.st.status = "paid"
    db.flush()
    r = start(client, s)
    assert r.status_code == 409 and r.json["error"] == "nothing_to_pay"
    zero = statement(db, s.a["school"], s.a["kids"][0], total=0, period="2026-12")
    assert start(client, s, st=zero).json["error"] == "nothing_to_pay"
    void = statement(db, s.a["school"], s.a["kids"][0], status="void", period="2027-01")
    assert start(client, s, st=void).status_code == 409
    draft = statement(db, s.a["school"], s.a["kids"][0], status="draft", period="2027-02")
    assert start(client, s, st=draft).status_code == 404  # the office's draft is not shown
    assert count(db, Payment) == 0 and fake_pay.orders == {}


def test_wrong_callers(client, db, fake_pay):
    s = setup(db)
    assert client.post(f"/api/v1/statements/{s.st.id}/payments").status_code == 401
    assert start(client, s, headers=s.office).status_code == 401  # admin token, app API
    assert start(client, s, headers=s.parent_b).status_code == 404  # another family
    assert start(client, s, headers=s.teacher).status_code == 404  # staff, not a guardian
    assert client.post("/api/v1/statements/999999/payments", headers=s.parent).status_code == 404
    assert count(db, Payment) == 0 and fake_pay.orders == {}


def test_the_amount_is_the_servers(client, db, fake_pay):
    s = setup(db)
    r = client.post(
        f"/api/v1/statements/{s.st.id}/payments", json={"amount_fen": 1}, headers=s.parent
    )
    assert r.status_code == 422 and r.json["error"] == "validation_error"
    assert "amount_fen" in r.json["errors"]
    assert count(db, Payment) == 0 and fake_pay.orders == {}


def test_idempotency_key_replays(client, db, fake_pay):
    s = setup(db)
    h = {**s.parent, "Idempotency-Key": "pay-1"}
    first = start(client, s, headers=h)
    second = start(client, s, headers=h)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.json["payment_id"] == first.json["payment_id"]
    assert len(fake_pay.orders) == 1


def test_wechat_pay_down_is_503_and_nothing_written(client, db, fake_pay):
    s = setup(db)
    fake_pay.fail_next(1, "500")
    r = start(client, s)
    assert r.status_code == 503 and r.json["error"] == "payments_unavailable"
    assert count(db, Payment) == 0
    assert start(client, s).status_code == 201  # and it works again


def test_another_guardian_gets_their_own_order(client, db, fake_pay):
    from tests import factories as f

    s = setup(db)
    other = f.user(db)
    f.guardian_of(db, other, s.a["kids"][0], relation="father")
    first = start(client, s).json
    second = start(client, s, headers=f.auth(db, user_row=other))
    # WeChat only lets the order's payer pay it, so the second guardian gets a new one
    assert second.status_code == 201 and second.json["payment_id"] != first["payment_id"]
    assert fake_pay.orders[second.json["out_trade_no"]]["openid"] == other.openid
    assert count(db, WeChatPayOrder, WeChatPayOrder.status == "created") == 1


def test_expired_order_is_replaced(client, db, fake_pay):
    from datetime import timedelta

    from backend.common.clock import now

    s = setup(db)
    first = start(client, s).json
    db.execute(
        sa.update(WeChatPayOrder)
        .where(WeChatPayOrder.payment_id == first["payment_id"])
        .values(expires_at=now() + timedelta(minutes=2))
    )
    second = start(client, s)
    assert second.status_code == 201 and second.json["payment_id"] != first["payment_id"]
