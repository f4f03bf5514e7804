"""Terms over HTTP: validation, fee cap, overlap, calendar, agreements, scope."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.terms.calendar import is_official_workday
from backend.terms.models import Term
from tests import factories as f

TERM = {
    "name": "2026年秋季学期",
    "starts_on": "2026-09-01",
    "ends_on": "2026-12-31",
    "signup_opens_at": "2026-08-20T08:00:00+08:00",
    "signup_closes_at": "2026-08-27T18:00:00+08:00",
    "selection_mode": "fcfs",
    "selection_opens_at": "2026-08-29T08:00:00+08:00",
    "selection_closes_at": "2026-08-31T18:00:00+08:00",
    "publicity_days": 3,
    "max_courses_per_student": 2,
    "billing_mode": "monthly",
    "base_fee_fen": 8000,
    "service_end_time": "17:30",
    "pickup_cutoff_time": "15:00",
}


def _admin(db):
    w = f.World(db)
    a = w.schools[0]
    return w, a, f.auth(db, admin_row=a["office"])


def test_create_term_and_read_it_from_both_apis(client, db):
    w, a, h = _admin(db)
    sid = a["school"].id
    r = client.post(f"/admin/api/v1/schools/{sid}/terms", json=TERM, headers=h)
    assert r.status_code == 201, r.json
    term_id = r.json["id"]
    assert r.json["review_levels"] == ["class", "grade", "school"]
    assert r.json["signup_opens_at"] == "2026-08-20T08:00:00+08:00"
    assert db.scalar(sa.select(AuditLog.action).where(AuditLog.object_type == "term")) == (
        "term.create"
    )
    r = client.post(
        f"/admin/api/v1/schools/{sid}/terms/{term_id}/agreements",
        json={"title": "课后服务协议", "body": "家长自愿……"},
        headers=h,
    )
    assert r.status_code == 201 and r.json["version"] == 1
    r = client.post(
        f"/admin/api/v1/schools/{sid}/terms/{term_id}/agreements",
        json={"title": "课后服务协议（修订）", "body": "……"},
        headers=h,
    )
    assert r.json["version"] == 2

    parent = f.auth(db, user_row=a["parent"])
    listing = client.get("/api/v1/terms", headers=parent).json
    assert [t["id"] for t in listing] == [term_id]
    one = client.get(f"/api/v1/terms/{term_id}", headers=parent).json
    assert one["agreement"]["version"] == 2 and one["base_fee_fen"] == 8000
    # another school's guardian does not see it
    other = f.auth(db, user_row=w.schools[1]["parent"])
    assert client.get(f"/api/v1/terms/{term_id}", headers=other).status_code == 404
    assert client.get("/api/v1/terms", headers=other).json == []


def test_term_validation_errors(client, db):
    _, a, h = _admin(db)
    url = f"/admin/api/v1/schools/{a['school'].id}/terms"
    r = client.post(url, json={**TERM, "signup_closes_at": "2026-08-19T08:00:00+08:00"}, headers=h)
    assert r.status_code == 422 and r.json["error"] == "invalid_term_dates"
    assert "signup_closes_at" in r.json["errors"]
    r = client.post(url, json={**TERM, "base_fee_fen": 8001}, headers=h)
    assert r.status_code == 422 and r.json["error"] == "fee_above_cap"
    assert "80" in r.json["message"]
    # per-term billing is compared per month: 4 months x 80 yuan is the most
    ok = client.post(url, json={**TERM, "billing_mode": "term", "base_fee_fen": 32000}, headers=h)
    assert ok.status_code == 201
    r = client.post(url, json={**TERM, "name": "重叠"}, headers=h)
    assert r.status_code == 409 and r.json["error"] == "term_overlap"
    r = client.post(url, json={**TERM, "review_levels": ["school", "class"]}, headers=h)
    assert r.status_code == 422
    r = client.post(url, json={**TERM, "base_fee_fen": "8000"}, headers=h)
    assert r.status_code == 422 and "base_fee_fen" in r.json["errors"]
    r = client.post(url, json={**TERM, "publicity_days": -1}, headers=h)
    assert r.status_code == 422
    r = client.post(url, json={**TERM, "signup_opens_at": "2026-08-20T08:00:00"}, headers=h)
    assert r.status_code == 422  # instants need an offset
    assert db.scalar(sa.select(sa.func.count()).select_from(Term)) == 1


def test_small_school_may_skip_grade_level(client, db):
    _, a, h = _admin(db)
    r = client.post(
        f"/admin/api/v1/schools/{a['school'].id}/terms",
        json={**TERM, "review_levels": ["class", "school"], "publicity_days": 0},
        headers=h,
    )
    assert r.status_code == 201 and r.json["review_levels"] == ["class", "school"]


def test_calendar_holidays_and_overrides(client, db):
    _, a, h = _admin(db)
    sid = a["school"].id
    term_id = client.post(f"/admin/api/v1/schools/{sid}/terms", json=TERM, headers=h).json["id"]
    cal = client.get(
        f"/admin/api/v1/schools/{sid}/terms/{term_id}/calendar?from=2026-09-28&to=2026-10-09",
        headers=h,
    ).json
    by_day = {d["date"]: d for d in cal}
    assert by_day["2026-10-01"]["is_service_day"] is False  # National Day
    assert by_day["2026-10-05"]["is_service_day"] is False
    assert by_day["2026-09-29"]["is_service_day"] is True
    assert by_day["2026-10-03"]["is_service_day"] is False  # Saturday
    assert by_day["2026-09-29"]["source"] == "official"
    # a closure and a winter end time
    url = f"/admin/api/v1/schools/{sid}/terms/{term_id}/calendar/2026-09-29"
    r = client.put(url, json={"is_service_day": False, "note": "运动会"}, headers=h)
    assert r.status_code == 200 and r.json["source"] == "override"
    r = client.put(
        f"/admin/api/v1/schools/{sid}/terms/{term_id}/calendar/2026-11-30",
        json={"is_service_day": True, "service_end_time": "17:00"},
        headers=h,
    )
    assert r.json["service_end_time"] == "17:00"
    r = client.put(
        f"/admin/api/v1/schools/{sid}/terms/{term_id}/calendar/2027-03-01",
        json={"is_service_day": True},
        headers=h,
    )
    assert r.status_code == 422 and r.json["error"] == "date_outside_term"
    r = client.put(
        f"/admin/api/v1/schools/{sid}/terms/{term_id}/calendar/not-a-date",
        json={"is_service_day": True},
        headers=h,
    )
    assert r.status_code == 422
    parent = f.auth(db, user_row=a["parent"])
    app_cal = client.get(
        f"/api/v1/terms/{term_id}/calendar?from=2026-09-29&to=2026-09-29", headers=parent
    ).json
    assert app_cal[0]["is_service_day"] is False and app_cal[0]["note"] == "运动会"


def test_years_without_official_data_fall_back_to_weekdays():
    assert is_official_workday(date(2030, 1, 7)) == (True, "weekdays_only")
    assert is_official_workday(date(2030, 1, 6)) == (False, "weekdays_only")


def test_term_admin_wrong_callers(client, db):
    w, a, h = _admin(db)
    b = w.schools[1]
    sid = a["school"].id
    term_id = client.post(f"/admin/api/v1/schools/{sid}/terms", json=TERM, headers=h).json["id"]
    hb = f.auth(db, admin_row=b["office"])
    for method, url, body in [
        ("get", f"/admin/api/v1/schools/{sid}/terms", None),
        ("post", f"/admin/api/v1/schools/{sid}/terms", TERM),
        ("get", f"/admin/api/v1/schools/{sid}/terms/{term_id}", None),
        ("patch", f"/admin/api/v1/schools/{sid}/terms/{term_id}", {"name": "x"}),
        (
            "put",
            f"/admin/api/v1/schools/{sid}/terms/{term_id}/calendar/2026-09-29",
            {"is_service_day": False},
        ),
        (
            "post",
            f"/admin/api/v1/schools/{sid}/terms/{term_id}/agreements",
            {"title": "t", "body": "b"},
        ),
    ]:
        assert getattr(client, method)(url, json=body, headers=hb).status_code == 404, url
        assert getattr(client, method)(url, json=body).status_code == 401, url
        user = f.auth(db, user_row=a["teacher"])
        assert getattr(client, method)(url, json=body, headers=user).status_code == 401, url
    # b's admin reaching a's term through b's own school path
    r = client.get(f"/admin/api/v1/schools/{b['school'].id}/terms/{term_id}", headers=hb)
    assert r.status_code == 404


def test_patch_term_revalidates(client, db):
    _, a, h = _admin(db)
    sid = a["school"].id
    term_id = client.post(f"/admin/api/v1/schools/{sid}/terms", json=TERM, headers=h).json["id"]
    r = client.patch(
        f"/admin/api/v1/schools/{sid}/terms/{term_id}", json={"base_fee_fen": 9000}, headers=h
    )
    assert r.status_code == 422 and r.json["error"] == "fee_above_cap"
    r = client.patch(
        f"/admin/api/v1/schools/{sid}/terms/{term_id}",
        json={"base_fee_fen": 6000, "name": "秋季"},
        headers=h,
    )
    assert r.status_code == 200 and r.json["base_fee_fen"] == 6000
    assert db.get(Term, term_id).base_fee_fen == 6000
