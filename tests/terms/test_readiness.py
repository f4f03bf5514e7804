"""What the office is warned about and what families are offered: a sign-up window without
an agreement is not open (not_ready), and years without holiday data are flagged."""

from __future__ import annotations

from datetime import date, timedelta

from backend.common.clock import now, today
from backend.terms.calendar import is_official_workday
from tests import factories as f
from tests.terms.test_terms import TERM

ADMIN = "/admin/api/v1/schools"


def _world(db):
    w = f.World(db)
    a = w.schools[0]
    return a, f.auth(db, admin_row=a["office"]), f.auth(db, user_row=a["parent"])


def _open_term_body():
    moment = now()
    start = today() - timedelta(days=1)
    return {
        **TERM,
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=20)).isoformat(),
        "signup_opens_at": (moment - timedelta(hours=1)).isoformat(),
        "signup_closes_at": (moment + timedelta(days=3)).isoformat(),
        "selection_opens_at": (moment + timedelta(days=4)).isoformat(),
        "selection_closes_at": (moment + timedelta(days=5)).isoformat(),
    }


def test_open_window_without_agreement_is_not_ready(client, db):
    a, office, parent = _world(db)
    sid = a["school"].id
    r = client.post(f"{ADMIN}/{sid}/terms", json=_open_term_body(), headers=office)
    assert r.status_code == 201, r.json
    term_id = r.json["id"]
    assert r.json["signup_state"] == "not_ready"
    assert [w["code"] for w in r.json["warnings"]] == ["no_agreement"]
    # families see why, and applying says so instead of a field error
    seen = client.get(f"/api/v1/terms/{term_id}", headers=parent).json
    assert seen["agreement"] is None and seen["signup_state"] == "not_ready"
    assert "协议" in seen["signup_state_reason"] and "warnings" not in seen
    en = client.get(f"/api/v1/terms/{term_id}", headers={**parent, "Accept-Language": "en"})
    assert "agreement" in en.json["signup_state_reason"]
    r = client.post(
        "/api/v1/applications",
        json={"term_id": term_id, "student_id": a["kids"][0].id, "agree": True},
        headers=parent,
    )
    assert r.status_code == 409 and r.json["error"] == "signup_not_ready", r.json
    # adding the agreement right after creating the term opens it
    r = client.post(
        f"{ADMIN}/{sid}/terms/{term_id}/agreements",
        json={"title": "课后服务协议", "body": "……"},
        headers=office,
    )
    assert r.status_code == 201
    seen = client.get("/api/v1/terms", headers=parent).json[0]
    assert seen["signup_state"] == "open" and seen["signup_state_reason"] is None
    office_view = client.get(f"{ADMIN}/{sid}/terms/{term_id}", headers=office).json
    assert office_view["warnings"] == []
    listing = client.get(f"{ADMIN}/{sid}/terms", headers=office).json
    assert listing[0]["signup_state"] == "open"
    r = client.post(
        "/api/v1/applications",
        json={
            "term_id": term_id,
            "student_id": a["kids"][0].id,
            "agree": True,
            "agreement_id": office_view["agreement"]["id"],
        },
        headers=parent,
    )
    assert r.status_code == 201, r.json


def test_states_before_and_after_the_window(client, db):
    a, office, parent = _world(db)
    sid = a["school"].id
    body = _open_term_body()
    body["signup_opens_at"] = (now() + timedelta(hours=1)).isoformat()
    term_id = client.post(f"{ADMIN}/{sid}/terms", json=body, headers=office).json["id"]
    assert client.get(f"/api/v1/terms/{term_id}", headers=parent).json["signup_state"] == (
        "upcoming"
    )
    past = {**TERM}  # 2026 autumn: sign-up closed in August
    r = client.post(
        f"{ADMIN}/{sid}/terms",
        json={
            **past,
            "starts_on": "2026-06-01",
            "ends_on": "2026-06-30",
            "signup_opens_at": "2026-05-20T08:00:00+08:00",
            "signup_closes_at": "2026-05-27T18:00:00+08:00",
            "selection_opens_at": "2026-05-29T08:00:00+08:00",
            "selection_closes_at": "2026-05-31T18:00:00+08:00",
        },
        headers=office,
    )
    assert r.status_code == 201, r.json
    assert r.json["signup_state"] == "closed" and r.json["warnings"] == []


def test_term_reaching_a_year_without_holiday_data_is_flagged(client, db):
    a, office, parent = _world(db)
    sid = a["school"].id
    year = next(
        y
        for y in range(today().year, today().year + 10)
        if is_official_workday(date(y, 1, 1))[1] == "weekdays_only"
    )
    body = {
        **TERM,
        "starts_on": f"{year - 1}-09-01",
        "ends_on": f"{year}-01-31",
        "signup_opens_at": f"{year - 1}-08-20T08:00:00+08:00",
        "signup_closes_at": f"{year - 1}-08-27T18:00:00+08:00",
        "selection_opens_at": f"{year - 1}-08-29T08:00:00+08:00",
        "selection_closes_at": f"{year - 1}-08-31T18:00:00+08:00",
    }
    r = client.post(f"{ADMIN}/{sid}/terms", json=body, headers=office)
    assert r.status_code == 201, r.json
    term_id = r.json["id"]
    warning = {w["code"]: w for w in r.json["warnings"]}["holiday_data_missing"]
    assert warning["years"] == [year] and str(year) in warning["message"]
    view = client.get(f"{ADMIN}/{sid}/terms/{term_id}", headers=office).json
    assert "holiday_data_missing" in [w["code"] for w in view["warnings"]]
    cal = client.get(
        f"{ADMIN}/{sid}/terms/{term_id}/calendar?from={year - 1}-12-31&to={year}-01-01",
        headers=office,
    ).json
    last, first = cal
    assert last["source"] == "official" and last["warning"] is None
    assert first["source"] == "weekdays_only" and first["warning"]
    app_cal = client.get(
        f"/api/v1/terms/{term_id}/calendar?from={year}-01-01&to={year}-01-01", headers=parent
    ).json
    assert app_cal[0]["warning"]
    # an office decision for the day replaces the guess, and with it the warning
    r = client.put(
        f"{ADMIN}/{sid}/terms/{term_id}/calendar/{year}-01-01",
        json={"is_service_day": False, "note": "元旦"},
        headers=office,
    )
    assert r.json["source"] == "override" and r.json["warning"] is None
