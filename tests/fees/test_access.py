"""Wrong callers for every fee endpoint: no token, the other API's token, another family,
another school, a school admin on the platform's fee cap."""

from __future__ import annotations

import sqlalchemy as sa

from backend.fees.models import Disclosure, Expense, FeeExemption, Payment, Refund, Statement
from backend.schools.models import School
from tests import factories as f
from tests.fees.helpers import ADMIN, SEPT, generate, issue_all, pay, setup, statement_of


def _objects(client, db):
    s = setup(db)
    generate(client, s)
    issue_all(client, s)
    st = statement_of(db, s.kids[0])
    pay(client, s, st.id, 8000)
    ex = client.post(
        f"/api/v1/students/{s.kids[0].id}/exemptions",
        json={"term_id": s.tid, "category": "dibao", "evidence_note": "x"},
        headers=s.parent,
    ).json
    client.post(
        f"{ADMIN}/{s.sid}/statements/{st.id}/refunds",
        json={"amount_fen": 100, "reason": "x"},
        headers=s.office,
    )
    refund_id = db.scalar(sa.select(Refund.id))
    disc = client.post(
        f"{ADMIN}/{s.sid}/terms/{s.tid}/disclosures", json={"period": SEPT}, headers=s.office
    ).json
    return s, st, ex["id"], refund_id, disc["id"]


def _counts(db):
    return [
        db.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (Statement, Payment, Refund, FeeExemption, Expense, Disclosure)
    ]


def _admin_calls(s, st_id, ex_id, refund_id, disc_id):
    sid, tid = s.sid, s.tid
    return [
        ("get", f"{ADMIN}/{sid}/exemptions", None),
        ("post", f"{ADMIN}/{sid}/exemptions/{ex_id}/decision", {"decision": "approve"}),
        ("post", f"{ADMIN}/{sid}/terms/{tid}/statements/generate", {"period": "2026-10"}),
        ("post", f"{ADMIN}/{sid}/terms/{tid}/statements/issue", {"period": SEPT}),
        ("get", f"{ADMIN}/{sid}/statements", None),
        ("get", f"{ADMIN}/{sid}/statements/export", None),
        ("get", f"{ADMIN}/{sid}/statements/{st_id}", None),
        ("post", f"{ADMIN}/{sid}/statements/{st_id}/issue", None),
        ("post", f"{ADMIN}/{sid}/statements/{st_id}/reissue", {"reason": "x"}),
        (
            "post",
            f"{ADMIN}/{sid}/statements/{st_id}/adjustments",
            {"amount_fen": 5, "description": "x"},
        ),
        (
            "post",
            f"{ADMIN}/{sid}/statements/{st_id}/payments",
            {"amount_fen": 5, "paid_on": "2026-09-09", "reference": "Z", "method": "cash"},
        ),
        ("post", f"{ADMIN}/{sid}/statements/{st_id}/refunds", {"amount_fen": 5, "reason": "x"}),
        ("post", f"{ADMIN}/{sid}/refunds/{refund_id}/complete", {"outcome": "failed"}),
        ("get", f"{ADMIN}/{sid}/terms/{tid}/expenses", None),
        (
            "post",
            f"{ADMIN}/{sid}/terms/{tid}/expenses",
            {"category": "staff", "amount_fen": 5, "spent_on": "2026-09-09"},
        ),
        ("get", f"{ADMIN}/{sid}/terms/{tid}/settlement", None),
        ("post", f"{ADMIN}/{sid}/terms/{tid}/settlement", None),
        ("get", f"{ADMIN}/{sid}/terms/{tid}/disclosures", None),
        ("post", f"{ADMIN}/{sid}/terms/{tid}/disclosures", {"period": SEPT}),
        ("get", f"{ADMIN}/{sid}/disclosures", None),
        ("get", f"{ADMIN}/{sid}/disclosures/{disc_id}/export", None),
    ]


def test_admin_endpoints_refuse_wrong_callers(client, db):
    s, st, ex_id, refund_id, disc_id = _objects(client, db)
    before = _counts(db)
    teacher = f.auth(db, user_row=s.a["teacher"])
    for method, url, body in _admin_calls(s, st.id, ex_id, refund_id, disc_id):
        call = getattr(client, method)
        kw = {"json": body} if body is not None else {}
        assert call(url, **kw).status_code == 401, url
        for user_headers in (s.parent, teacher):  # a mini-program token on the admin API
            assert call(url, headers=user_headers, **kw).status_code == 401, url
        r = call(url, headers=s.office_b, **kw)  # another school's office
        assert r.status_code == 404, (url, r.status_code)
    assert _counts(db) == before


def test_objects_of_another_school_are_404_even_under_my_school_path(client, db):
    s, st, ex_id, refund_id, disc_id = _objects(client, db)
    b_sid = s.b["school"].id
    office_b = s.office_b
    for method, url, body in _admin_calls(s, st.id, ex_id, refund_id, disc_id):
        mine = url.replace(f"{ADMIN}/{s.sid}/", f"{ADMIN}/{b_sid}/")
        if "/terms/" not in mine and not any(
            f"/{x}/{i}" in mine
            for x, i in (
                ("statements", st.id),
                ("exemptions", ex_id),
                ("refunds", refund_id),
                ("disclosures", disc_id),
            )
        ):
            continue  # a list of my own school: allowed, and empty
        kw = {"json": body} if body is not None else {}
        r = getattr(client, method)(mine, headers=office_b, **kw)
        assert r.status_code == 404, (mine, r.status_code)
    assert client.get(f"{ADMIN}/{b_sid}/statements", headers=office_b).json == []


def test_fee_cap_is_for_the_platform_admin_only(client, db):
    s = setup(db)
    url = f"{ADMIN}/{s.sid}/fee-cap"
    body = {"monthly_fee_cap_fen": 6000}
    assert client.put(url, json=body).status_code == 401
    assert client.put(url, json=body, headers=s.parent).status_code == 401
    r = client.put(url, json=body, headers=s.office)
    assert r.status_code == 403 and r.json["error"] == "forbidden"
    assert client.put(url, json=body, headers=s.office_b).status_code == 403
    assert client.put(url, json={"monthly_fee_cap_fen": -1}, headers=s.platform).status_code == 422
    assert client.put(
        url, json={"monthly_fee_cap_fen": "6000"}, headers=s.platform
    ).status_code == (422)
    assert db.get(School, s.sid).monthly_fee_cap_fen == 8000
    r = client.put(url, json=body, headers=s.platform)
    assert r.status_code == 200 and r.json["monthly_fee_cap_fen"] == 6000
    assert r.json["terms_above_cap"] == [s.tid]  # 80 yuan/month is now above the cap
    assert client.put(f"{ADMIN}/999999/fee-cap", json=body, headers=s.platform).status_code == 404
    # the new cap is enforced on new terms, with the cap in the message
    term = {
        "name": "2027年春季学期",
        "starts_on": "2027-02-20",
        "ends_on": "2027-06-30",
        "signup_opens_at": "2027-02-01T08:00:00+08:00",
        "signup_closes_at": "2027-02-10T18:00:00+08:00",
        "selection_mode": "fcfs",
        "selection_opens_at": "2027-02-12T08:00:00+08:00",
        "selection_closes_at": "2027-02-15T18:00:00+08:00",
        "publicity_days": 3,
        "max_courses_per_student": 2,
        "billing_mode": "monthly",
        "base_fee_fen": 7000,
        "service_end_time": "17:30",
        "pickup_cutoff_time": "15:00",
    }
    r = client.post(f"{ADMIN}/{s.sid}/terms", json=term, headers=s.office)
    assert r.status_code == 422 and r.json["error"] == "fee_above_cap" and "60" in r.json["message"]


def test_app_endpoints_refuse_wrong_callers(client, db):
    s, st, ex_id, _, _ = _objects(client, db)
    kid = s.kids[0].id
    office = s.office
    teacher = f.auth(db, user_row=s.a["teacher"])
    stranger = f.auth(db, user_row=f.user(db))
    before = _counts(db)
    calls = [
        ("get", f"/api/v1/students/{kid}/statements", None),
        ("get", f"/api/v1/statements/{st.id}", None),
        ("get", f"/api/v1/students/{kid}/exemptions", None),
        (
            "post",
            f"/api/v1/students/{kid}/exemptions",
            {"term_id": s.tid, "category": "orphan", "evidence_note": "x"},
        ),
        ("get", f"/api/v1/schools/{s.sid}/disclosures", None),
    ]
    for method, url, body in calls:
        call = getattr(client, method)
        kw = {"json": body} if body is not None else {}
        assert call(url, **kw).status_code == 401, url
        assert call(url, headers=office, **kw).status_code == 401, url  # admin token, app API
        assert call(url, headers=s.parent_b, **kw).status_code == 404, url  # another family
        assert call(url, headers=stranger, **kw).status_code == 404, url
        if "disclosures" not in url:  # the head teacher is staff of the school, not family
            assert call(url, headers=teacher, **kw).status_code == 404, url
    assert _counts(db) == before
    # another pupil of the same school, not mine
    other = s.kids[1].id
    assert client.get(f"/api/v1/students/{other}/statements", headers=s.parent).status_code == 404
    other_st = statement_of(db, s.kids[1])
    assert client.get(f"/api/v1/statements/{other_st.id}", headers=s.parent).status_code == 404
