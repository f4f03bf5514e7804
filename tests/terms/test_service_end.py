"""R5: service ends by 18:30 at a primary school and by 19:00 at a middle school; the
school's stage says which, and its office (or the platform) sets it."""

from __future__ import annotations

from datetime import date, time

import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.schools.models import School
from backend.terms.models import Term
from tests import factories as f
from tests.terms.test_terms import TERM

ADMIN = "/admin/api/v1/schools"


def _office(db):
    w = f.World(db)
    a = w.schools[0]
    return w, a["school"], f.auth(db, admin_row=a["office"])


def test_primary_school_term_may_not_end_after_1830(client, db):
    _, school, h = _office(db)
    assert school.stage == "primary"
    url = f"{ADMIN}/{school.id}/terms"
    r = client.post(url, json={**TERM, "service_end_time": "19:30"}, headers=h)
    assert r.status_code == 422 and r.json["error"] == "service_end_too_late", r.json
    assert "18:30" in r.json["message"] and "service_end_time" in r.json["errors"]
    r = client.post(url, json={**TERM, "service_end_time": "18:31"}, headers=h)
    assert r.status_code == 422
    r = client.post(url, json={**TERM, "service_end_time": "18:30"}, headers=h)
    assert r.status_code == 201, r.json
    term_id = r.json["id"]
    r = client.patch(f"{url}/{term_id}", json={"service_end_time": "18:45"}, headers=h)
    assert r.status_code == 422 and r.json["error"] == "service_end_too_late"
    # a calendar day's own end time is held to the same rule
    day = f"{url}/{term_id}/calendar/2026-09-01"
    r = client.put(day, json={"is_service_day": True, "service_end_time": "19:00"}, headers=h)
    assert r.status_code == 422 and r.json["error"] == "service_end_too_late"
    r = client.put(day, json={"is_service_day": True, "service_end_time": "18:00"}, headers=h)
    assert r.status_code == 200


def test_middle_school_may_run_until_1900(client, db):
    _, school, h = _office(db)
    r = client.patch(f"{ADMIN}/{school.id}", json={"stage": "middle"}, headers=h)
    assert r.status_code == 200 and r.json["stage"] == "middle"
    assert db.scalar(sa.select(AuditLog.action).where(AuditLog.action == "school.update"))
    url = f"{ADMIN}/{school.id}/terms"
    r = client.post(url, json={**TERM, "service_end_time": "19:30"}, headers=h)
    assert r.status_code == 422 and "19:00" in r.json["message"]
    r = client.post(url, json={**TERM, "service_end_time": "19:00"}, headers=h)
    assert r.status_code == 201, r.json
    # back to primary is refused while a current term runs past 18:30
    term = r.json["id"]
    db.execute(sa.update(Term).where(Term.id == term).values(ends_on=date(2099, 12, 31)))
    db.flush()
    r = client.patch(f"{ADMIN}/{school.id}", json={"stage": "primary"}, headers=h)
    assert r.status_code == 409 and r.json["error"] == "stage_conflict"
    assert str(term) in r.json["message"]


def test_stage_input_and_callers(client, db):
    w, school, h = _office(db)
    assert client.patch(f"{ADMIN}/{school.id}", json={"stage": "high"}, headers=h).status_code == (
        422
    )
    assert client.patch(f"{ADMIN}/{school.id}", json={}, headers=h).status_code == 422
    other = f.auth(db, admin_row=w.schools[1]["office"])
    r = client.patch(f"{ADMIN}/{school.id}", json={"stage": "middle"}, headers=other)
    assert r.status_code == 404
    parent = f.auth(db, user_row=w.schools[0]["parent"])
    r = client.patch(f"{ADMIN}/{school.id}", json={"stage": "middle"}, headers=parent)
    assert r.status_code == 401
    platform = f.auth(db, admin_row=w.platform)
    r = client.post(
        ADMIN, json={"name": "一中", "code": "YZ1", "stage": "middle"}, headers=platform
    )
    assert r.status_code == 201
    assert db.get(School, r.json["id"]).stage == "middle"
    r = client.get(f"{ADMIN}/{school.id}", headers=h)
    assert r.json["stage"] == "primary"


def test_a_term_made_before_the_rule_stays_editable(client, db):
    _, school, h = _office(db)
    term = f.term(db, school, service_end_time=time(19, 30))  # written before R5 was checked
    url = f"{ADMIN}/{school.id}/terms/{term.id}"
    assert client.patch(url, json={"name": "改名"}, headers=h).status_code == 200
    r = client.patch(url, json={"service_end_time": "19:00"}, headers=h)
    assert r.status_code == 422 and r.json["error"] == "service_end_too_late"
