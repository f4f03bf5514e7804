"""Reconciliation of WeChat Pay's daily bill with our payments and refunds."""

from __future__ import annotations

from backend.common.clock import today
from backend.payments.models import ReconciliationDiff
from tests import factories as f
from tests.payments.helpers import ADMIN, count, paid_through_wechat, setup


def _run(app, day=None):
    from backend.payments.reconcile import reconcile

    with app.app_context():
        return reconcile(day or today())


def test_a_day_that_matches_has_no_differences(client, db, fake_pay, app):
    s = setup(db)
    paid_through_wechat(client, db, s, fake_pay)
    result = _run(app)
    assert (result["bill_rows"], result["our_rows"], result["differences"]) == (1, 1, [])
    r = client.get(f"{ADMIN}/{s.sid}/reconciliations?date={today()}", headers=s.office)
    assert r.status_code == 200 and r.json["differences"] == []


def test_differences_are_reported_and_stored(client, db, fake_pay, app):
    s = setup(db)
    first = paid_through_wechat(client, db, s, fake_pay)
    from tests.payments.helpers import statement

    st2 = statement(db, s.a["school"], s.a["kids"][0], period="2026-12")
    second = paid_through_wechat(client, db, type(s)(**{**vars(s), "st": st2}), fake_pay)
    fake_pay.bill_overrides[first.out_trade_no] = 7000  # WeChat says 70.00
    fake_pay.bill_overrides[second.out_trade_no] = None  # not on the bill
    fake_pay.bill_extra.append({"out_trade_no": "KHSTRANGER0001", "amount_fen": 100})
    result = _run(app)
    kinds = {(d["kind"], d["out_trade_no"]) for d in result["differences"]}
    assert kinds == {
        ("amount_mismatch", first.out_trade_no),
        ("missing_theirs", second.out_trade_no),
        ("missing_ours", "KHSTRANGER0001"),
    }
    assert _run(app)["differences"] and count(db, ReconciliationDiff) == 3  # replaced, not added
    r = client.get(f"{ADMIN}/{s.sid}/reconciliations?date={today()}", headers=s.office)
    got = {(d["kind"], d["our_amount_fen"], d["their_amount_fen"]) for d in r.json["differences"]}
    assert got == {("amount_mismatch", 8000, 7000), ("missing_theirs", 8000, None)}
    # the unplaceable row is not shown to a school; school B sees none of A's
    b = client.get(f"{ADMIN}/{s.b['school'].id}/reconciliations?date={today()}", headers=s.office_b)
    assert b.status_code == 200 and b.json["differences"] == []


def test_reconciliations_wrong_callers_and_bad_input(client, db, fake_pay, app):
    s = setup(db)
    url = f"{ADMIN}/{s.sid}/reconciliations?date={today()}"
    assert client.get(url, headers=s.office).status_code == 404  # not run that day
    _run(app)
    assert client.get(url).status_code == 401
    assert client.get(url, headers=s.parent).status_code == 401
    assert client.get(url, headers=s.office_b).status_code == 404
    assert client.get(url, headers=f.auth(db, admin_row=s.w.platform)).status_code == 200
    bad = client.get(f"{ADMIN}/{s.sid}/reconciliations?date=yesterday", headers=s.office)
    assert bad.status_code == 422 and bad.json["error"] == "validation_error"
    missing = client.get(f"{ADMIN}/{s.sid}/reconciliations", headers=s.office)
    assert missing.status_code == 422


def test_cli_reconcile_exits_1_on_differences(client, db, fake_pay, app):
    fake_pay.bill_extra.append({"out_trade_no": "KHSTRANGER0002", "amount_fen": 100})
    result = app.test_cli_runner().invoke(args=["payments", "reconcile", "--date", str(today())])
    assert result.exit_code == 1 and "KHSTRANGER0002" in result.output
