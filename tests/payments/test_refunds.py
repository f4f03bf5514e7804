"""Refunds back through WeChat Pay: one out_refund_no per refund, never refunded twice."""

from __future__ import annotations

from backend.fees.models import Refund
from backend.notifications.models import OutboxMessage
from backend.payments.models import WeChatRefund
from tests import factories as f
from tests.payments.helpers import (
    ADMIN,
    count,
    fresh,
    paid_through_wechat,
    post_note,
    requested_refund,
    setup,
)


def _push(client, s, refund_id, headers=None):
    return client.post(f"{ADMIN}/{s.sid}/refunds/{refund_id}/wechat", headers=headers or s.office)


def _paid_with_refund(client, db, fake_pay, amount=1500):
    s = setup(db, total=8000)
    order = paid_through_wechat(client, db, s, fake_pay)
    refund = requested_refund(db, s.st, amount)
    return s, order, refund


def test_refund_retried_three_times_is_one_refund(client, db, fake_pay):
    s, order, refund = _paid_with_refund(client, db, fake_pay)
    answers = [_push(client, s, refund.id) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200], answers[0].json
    numbers = {a.json["out_refund_no"] for a in answers}
    assert numbers == {f"KHR{refund.id:010d}"}
    assert answers[0].json["status"] == "processing"
    assert len(fake_pay.refunds) == 1
    assert count(db, WeChatRefund) == 1 and count(db, Refund) == 1
    assert fresh(db, refund).method == "wechat" and refund.out_refund_no in numbers
    # WeChat finishes it and says so
    note = fake_pay.complete_refund(numbers.pop(), deliver=False)
    assert post_note(client, note).status_code == 204
    assert post_note(client, note).status_code == 204  # a repeat changes nothing
    assert fresh(db, refund).status == "succeeded" and refund.refunded_on is not None
    st = fresh(db, s.st)
    assert (st.paid_fen, st.refunded_fen) == (8000, 1500)
    assert count(db, OutboxMessage, OutboxMessage.kind == "refund_succeeded") == 1
    again = _push(client, s, refund.id)
    assert again.status_code == 409 and again.json["error"] == "refund_not_pending"
    assert len(fake_pay.refunds) == 1


def test_a_lost_answer_is_retried_with_the_same_number(client, db, fake_pay):
    s, order, refund = _paid_with_refund(client, db, fake_pay)
    fake_pay.fail_next(1, "lost")  # WeChat takes the refund, the answer is lost
    r = _push(client, s, refund.id)
    assert r.status_code == 503 and r.json["error"] == "payments_unavailable"
    assert len(fake_pay.refunds) == 1
    wr = db.query(WeChatRefund).one()
    assert (wr.status, wr.last_error) == ("pending", "WeChat Pay unreachable")
    r = _push(client, s, refund.id)
    assert r.status_code == 200 and r.json["status"] == "processing"
    assert len(fake_pay.refunds) == 1 and count(db, WeChatRefund) == 1


def test_a_failed_refund_gives_the_money_back_to_the_balance(client, db, fake_pay):
    s, order, refund = _paid_with_refund(client, db, fake_pay)
    assert fresh(db, s.st).refunded_fen == 1500
    no = _push(client, s, refund.id).json["out_refund_no"]
    note = fake_pay.complete_refund(no, status="ABNORMAL", deliver=False)
    assert post_note(client, note).status_code == 204
    assert fresh(db, refund).status == "failed"
    assert fresh(db, s.st).refunded_fen == 0 and s.st.status == "paid"
    assert count(db, OutboxMessage, OutboxMessage.kind == "refund_succeeded") == 0


def test_refund_notification_with_another_amount_is_rejected(client, db, fake_pay):
    s, order, refund = _paid_with_refund(client, db, fake_pay)
    no = _push(client, s, refund.id).json["out_refund_no"]
    fake_pay.complete_refund(no, deliver=False)
    note = fake_pay.refund_notification(no, amount=8000)
    assert post_note(client, note).status_code == 400
    forged = fake_pay.refund_notification(no, bad_signature=True)
    assert post_note(client, forged).status_code == 401
    assert fresh(db, refund).status == "requested"
    assert db.query(WeChatRefund).one().status == "processing"


def test_refund_of_a_statement_paid_offline_is_refused(client, db, fake_pay):
    s = setup(db, total=8000)
    s.st.paid_fen, s.st.status = 8000, "paid"
    db.flush()
    refund = requested_refund(db, s.st, 500)
    r = _push(client, s, refund.id)
    assert r.status_code == 409 and r.json["error"] == "refund_not_wechat"
    assert count(db, WeChatRefund) == 0 and fake_pay.refunds == {}


def test_a_refund_larger_than_what_wechat_took_is_refused(client, db, fake_pay):
    s, order, refund = _paid_with_refund(client, db, fake_pay, amount=8000)
    first = _push(client, s, refund.id)
    assert first.status_code == 200
    # the statement was also paid 2000 offline; a second refund of 2000 cannot go to WeChat
    s.st.paid_fen += 2000
    s.st.total_fen += 2000
    db.flush()
    second = requested_refund(db, s.st, 2000)
    assert _push(client, s, second.id).json["error"] == "refund_not_wechat"


def test_wrong_callers(client, db, fake_pay):
    s, order, refund = _paid_with_refund(client, db, fake_pay)
    url = f"{ADMIN}/{s.sid}/refunds/{refund.id}/wechat"
    assert client.post(url).status_code == 401
    assert client.post(url, headers=s.parent).status_code == 401  # user token, admin API
    assert client.post(url, headers=s.office_b).status_code == 404  # another school's office
    b_sid = s.b["school"].id
    other = client.post(f"{ADMIN}/{b_sid}/refunds/{refund.id}/wechat", headers=s.office_b)
    assert other.status_code == 404  # the refund is not in school B
    platform = f.auth(db, admin_row=s.w.platform)
    assert (
        client.post(f"{ADMIN}/{s.sid}/refunds/999999/wechat", headers=platform).status_code == 404
    )
    assert fake_pay.refunds == {} and count(db, WeChatRefund) == 0
