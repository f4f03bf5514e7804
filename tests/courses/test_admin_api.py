"""Admin API: providers and blacklist, the catalogue and its validation, the 1+X balance,
rosters with .xlsx export, and the wrong callers of every admin endpoint."""

from __future__ import annotations

import io
from datetime import timedelta

import sqlalchemy as sa
from openpyxl import load_workbook

from backend.audit.models import AuditLog
from backend.common.clock import now
from backend.courses.models import Course, Provider
from tests import factories as f
from tests.courses.helpers import fcfs_world, select

PROVIDER = {
    "name": "阳光体育俱乐部",
    "licence_no": "91410000MA0001",
    "qualification": "体育类校外培训许可",
    "contact": "王老师",
}
COURSE = {
    "name": "篮球",
    "category": "体育",
    "kind": "enrichment",
    "weekdays": [3, 1],
    "start_time": "16:00",
    "end_time": "17:00",
    "capacity": 30,
    "min_grade": 1,
    "max_grade": 6,
    "fee_fen": 5000,
    "location": "操场",
}


def _urls(x):
    sid, tid = x.a["school"].id, x.term.id
    return f"/admin/api/v1/schools/{sid}", f"/admin/api/v1/schools/{sid}/terms/{tid}"


def test_provider_lifecycle_and_blacklist_bars_its_courses(client, db):
    x = fcfs_world(db)
    school, term = _urls(x)
    r = client.post(f"{school}/providers", json=PROVIDER, headers=x.office)
    assert r.status_code == 201, r.json
    pid = r.json["id"]
    assert r.json["status"] == "active" and r.json["blacklisted"] is False
    r = client.post(f"{school}/providers", json=PROVIDER, headers=x.office)
    assert r.status_code == 409 and r.json["error"] == "provider_exists"
    r = client.patch(f"{school}/providers/{pid}", json={"contact": "李老师"}, headers=x.office)
    assert r.json["contact"] == "李老师"
    r = client.post(f"{term}/courses", json={**COURSE, "provider_id": pid}, headers=x.office)
    assert r.status_code == 201
    course_id = r.json["id"]

    r = client.post(
        f"{school}/providers/{pid}/blacklist", json={"reason": "安全事故"}, headers=x.office
    )
    assert r.status_code == 200 and r.json["blacklisted"] is True
    until = db.get(Provider, pid).blacklisted_until
    assert timedelta(days=6 * 365) < until - now() < timedelta(days=6 * 366 + 1)
    r = client.post(f"{term}/courses", json={**COURSE, "provider_id": pid}, headers=x.office)
    assert r.status_code == 409 and r.json["error"] == "provider_blacklisted"
    # a closed course of the barred provider cannot be reopened either
    url = f"{term}/courses/{course_id}"
    assert client.patch(url, json={"status": "closed"}, headers=x.office).status_code == 200
    r = client.patch(url, json={"status": "open"}, headers=x.office)
    assert r.status_code == 409 and r.json["error"] == "provider_blacklisted"
    assert db.get(Course, course_id).status == "closed"
    listing = client.get(f"{school}/providers", headers=x.office).json
    assert [p["blacklist_reason"] for p in listing] == ["安全事故"]
    actions = set(db.scalars(sa.select(AuditLog.action).where(AuditLog.object_type == "provider")))
    assert actions == {"provider.create", "provider.update", "provider.blacklist"}
    # a ban in the past is refused, an explicit end date is kept
    r = client.post(
        f"{school}/providers/{pid}/blacklist",
        json={"reason": "x", "until": "2020-01-01T00:00:00+08:00"},
        headers=x.office,
    )
    assert r.status_code == 422


def test_provider_of_another_school_and_inactive_provider(client, db):
    x = fcfs_world(db)
    _, term = _urls(x)
    foreign = f.provider(db, x.b["school"])
    r = client.post(f"{term}/courses", json={**COURSE, "provider_id": foreign.id}, headers=x.office)
    assert r.status_code == 422 and "provider_id" in r.json["errors"]
    sleepy = f.provider(db, x.a["school"], status="inactive")
    r = client.post(f"{term}/courses", json={**COURSE, "provider_id": sleepy.id}, headers=x.office)
    assert r.status_code == 409 and r.json["error"] == "provider_inactive"


def test_course_create_and_validation(client, db):
    x = fcfs_world(db)
    _, term = _urls(x)
    r = client.post(f"{term}/courses", json=COURSE, headers=x.office)
    assert r.status_code == 201, r.json
    assert r.json["weekdays"] == [1, 3] and r.json["seats_left"] == 30
    assert r.json["start_time"] == "16:00" and r.json["status"] == "open"
    bad = [
        ({"end_time": "15:59"}, "invalid_course", "end_time"),
        ({"end_time": "18:00"}, "invalid_course", "end_time"),  # after service end 17:30
        ({"min_grade": 5, "max_grade": 3}, "invalid_course", "max_grade"),
        ({"max_grade": 10}, "validation_error", "max_grade"),
        ({"capacity": 0}, "validation_error", "capacity"),
        ({"capacity": 501}, "validation_error", "capacity"),
        ({"weekdays": [6]}, "validation_error", "weekdays"),
        ({"weekdays": []}, "validation_error", "weekdays"),
        ({"weekdays": [1, 1]}, "validation_error", "weekdays"),
        ({"kind": "drill"}, "validation_error", "kind"),
        ({"fee_fen": 12.5}, "validation_error", "fee_fen"),
        ({"teacher": "x"}, "validation_error", "teacher"),
    ]
    for change, code, field in bad:
        r = client.post(f"{term}/courses", json={**COURSE, **change}, headers=x.office)
        assert r.status_code == 422 and r.json["error"] == code, (change, r.json)
        assert field in r.json["errors"], (change, r.json)
    assert db.scalar(sa.select(sa.func.count()).select_from(Course)) == 1
    listing = client.get(f"{term}/courses", headers=x.office).json
    assert [c["name"] for c in listing] == ["篮球"]


def test_balance_warns_on_little_enrichment_and_few_providers(client, db):
    x = fcfs_world(db)
    _, term = _urls(x)
    p1 = f.provider(db, x.a["school"])
    f.course(db, x.term, kind="tutoring", weekdays=[1, 2, 3, 4, 5], provider_id=p1.id)  # 300
    f.course(db, x.term, kind="enrichment", weekdays=[1, 2])  # 120
    r = client.get(f"{term}/courses/balance", headers=x.office)
    assert r.status_code == 200
    assert r.json["tutoring_minutes_per_week"] == 300
    assert r.json["enrichment_minutes_per_week"] == 120 and r.json["enrichment_percent"] == 29
    assert {w["code"] for w in r.json["warnings"]} == {
        "enrichment_below_half",
        "fewer_than_three_providers",
    }
    for _ in range(2):
        p = f.provider(db, x.a["school"])
        f.course(db, x.term, kind="enrichment", weekdays=[3, 4, 5], provider_id=p.id)  # 180 each
    r = client.get(f"{term}/courses/balance", headers=x.office).json
    assert r["enrichment_minutes_per_week"] == 480 and r["warnings"] == []
    p1.blacklisted_until = now() + timedelta(days=1)
    db.flush()
    r = client.get(f"{term}/courses/balance", headers=x.office).json
    assert [w["rule"] for w in r["warnings"]] == ["R12"] and r["active_providers"] == 2


def test_roster_and_xlsx_export(client, db):
    x = fcfs_world(db)
    _, term = _urls(x)
    course = f.course(db, x.term, capacity=1, name="合唱")
    (c1, _, h1), (c2, _, h2), _ = x.families
    select(client, h1, c1, course)
    select(client, h2, c2, course, join_waitlist=True)
    rows = client.get(f"{term}/courses/{course.id}/roster", headers=x.office).json
    assert [(r["student_id"], r["status"], r["waitlist_position"]) for r in rows] == [
        (c1.id, "confirmed", None),
        (c2.id, "waitlisted", 1),
    ]
    r = client.get(f"{term}/courses/{course.id}/roster/export", headers=x.office)
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(r.data)).active
    values = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "合唱" and values[2][:2] == ["学号", "姓名"]
    assert [v[1] for v in values[3:]] == [c1.name, c2.name]
    assert values[4][3] == "候补"


def test_wrong_callers_of_every_admin_endpoint(client, db):
    x = fcfs_world(db)
    school, term = _urls(x)
    provider = f.provider(db, x.a["school"])
    course = f.course(db, x.term)
    x.term.selection_mode = "lottery"
    db.flush()
    calls = [
        ("get", f"{school}/providers", None),
        ("post", f"{school}/providers", PROVIDER),
        ("get", f"{school}/providers/{provider.id}", None),
        ("patch", f"{school}/providers/{provider.id}", {"contact": "x"}),
        ("post", f"{school}/providers/{provider.id}/blacklist", {"reason": "x"}),
        ("get", f"{term}/courses", None),
        ("post", f"{term}/courses", COURSE),
        ("get", f"{term}/courses/balance", None),
        ("get", f"{term}/courses/{course.id}", None),
        ("patch", f"{term}/courses/{course.id}", {"capacity": 40}),
        ("get", f"{term}/courses/{course.id}/roster", None),
        ("get", f"{term}/courses/{course.id}/roster/export", None),
        ("get", f"{term}/lottery", None),
        ("post", f"{term}/lottery/commit", {"seed_hash": "a" * 64}),
        ("post", f"{term}/lottery/draw", {"seed": "s" * 10}),
    ]
    parent = x.h
    for method, url, body in calls:
        kw = {"json": body} if body is not None else {}
        assert getattr(client, method)(url, **kw).status_code == 401, url
        assert getattr(client, method)(url, headers=parent, **kw).status_code == 401, url
        r = getattr(client, method)(url, headers=x.other_office, **kw)
        assert r.status_code == 404 and r.json["error"] == "not_found", url
    # another school's ids under my school: 404 too
    b_term = f.term(db, x.b["school"])
    b_course = f.course(db, b_term)
    mine = f"/admin/api/v1/schools/{x.a['school'].id}"
    assert client.get(f"{mine}/terms/{b_term.id}/courses", headers=x.office).status_code == 404
    url = f"{mine}/terms/{x.term.id}/courses/{b_course.id}"
    assert client.get(url, headers=x.office).status_code == 404
    b_provider = f.provider(db, x.b["school"])
    assert client.get(f"{mine}/providers/{b_provider.id}", headers=x.office).status_code == 404
    # the platform admin may act for any school
    platform = f.auth(db, admin_row=x.w.platform)
    assert client.get(f"{term}/courses", headers=platform).status_code == 200
    db.refresh(course)
    assert course.capacity == 30
    assert db.scalar(sa.select(sa.func.count()).select_from(Provider)) == 2
