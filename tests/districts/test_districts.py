"""Districts: created by the platform, schools placed in them, district admins scoped."""

from __future__ import annotations

from backend.auth.models import AdminAccount
from backend.districts.models import District
from tests import factories as f
from tests.districts.helpers import ADMIN, district_admin, world


def test_platform_creates_a_district_and_places_schools(client, db):
    platform = f.auth(db, admin_row=f.admin(db))
    r = client.post(f"{ADMIN}/districts", json={"name": "示范区", "code": "SFQ"}, headers=platform)
    assert r.status_code == 201, r.json
    did = r.json["id"]
    assert r.json["requires_plan_approval"] is False
    again = client.post(f"{ADMIN}/districts", json={"name": "x", "code": "SFQ"}, headers=platform)
    assert (again.status_code, again.json["error"]) == (409, "district_code_taken")
    made = client.post(
        f"{ADMIN}/schools",
        json={"name": "一小", "code": "YX1", "district_id": did},
        headers=platform,
    )
    assert made.status_code == 201, made.json
    other = f.school(db)
    moved = client.patch(f"{ADMIN}/schools/{other.id}", json={"district_id": did}, headers=platform)
    assert (moved.status_code, moved.json["district_id"]) == (200, did)
    bad = client.patch(
        f"{ADMIN}/schools/{other.id}", json={"district_id": 999999}, headers=platform
    )
    assert bad.status_code == 422
    da = district_admin(
        db, db.get(__import__("backend.districts.models", fromlist=["District"]).District, did)
    )
    schools = client.get(f"{ADMIN}/districts/{did}/schools", headers=da)
    assert sorted(s["id"] for s in schools.json) == sorted([made.json["id"], other.id])
    assert "X-Pagination" in schools.headers
    listed = client.get(f"{ADMIN}/schools", headers=da)
    assert sorted(s["id"] for s in listed.json) == sorted([made.json["id"], other.id])


def test_only_the_platform_creates_districts_or_moves_schools(client, db):
    w = world(db)
    body = {"name": "x", "code": "XX"}
    for headers in (w.s.office, w.da):
        assert client.post(f"{ADMIN}/districts", json=body, headers=headers).status_code == 403
    moved = client.patch(f"{ADMIN}/schools/{w.a_id}", json={"district_id": None}, headers=w.da)
    assert moved.status_code == 403
    own = client.patch(f"{ADMIN}/schools/{w.a_id}", json={"district_id": None}, headers=w.s.office)
    assert (own.status_code, own.json["error"]) == (403, "forbidden")
    renamed = client.patch(f"{ADMIN}/schools/{w.a_id}", json={"name": "x"}, headers=w.s.office)
    assert renamed.status_code == 403
    assert client.get(f"{ADMIN}/districts", headers=w.s.office).status_code == 403
    mine = client.get(f"{ADMIN}/districts", headers=w.da)
    assert [d["id"] for d in mine.json] == [w.d.id]
    assert client.post(f"{ADMIN}/districts", json=body, headers=w.s.parent).status_code == 401


def test_a_district_admin_reads_no_pupil_and_no_school_outside(client, db):
    w = world(db)
    kid = w.s.kids[0]
    for path in (
        f"/schools/{w.a_id}/students",
        f"/schools/{w.a_id}/students/{kid.id}",
        f"/schools/{w.a_id}/terms/{w.s.tid}/applications",
        f"/schools/{w.a_id}/statements",
        f"/schools/{w.a_id}/audit-logs",
    ):
        assert client.get(ADMIN + path, headers=w.da).status_code == 403, path
    assert client.get(f"{ADMIN}/schools/{w.c.id}/students", headers=w.da).status_code == 404
    for path in ("", "/schools", "/overview", "/filings", "/provider-blacklist"):
        assert client.get(f"{ADMIN}/districts/{w.e.id}{path}", headers=w.da).status_code == 404
        assert (
            client.get(f"{ADMIN}/districts/{w.d.id}{path}", headers=w.s.office).status_code == 403
        )
    assert client.get(f"{ADMIN}/districts/{w.d.id}", headers=w.s.parent).status_code == 401


def test_create_admin_command_makes_a_district_admin(app, db, client):
    d = District(name="区", code=f"C{f.n()}")
    db.add(d)
    db.flush()
    runner = app.test_cli_runner()
    out = runner.invoke(
        args=[
            "create-admin",
            "--username",
            "bureau1",
            "--password",
            "Bureau-pass-2026",
            "--district-id",
            str(d.id),
        ]
    )
    assert out.exit_code == 0, out.output
    assert f"district {d.id}" in out.output
    row = db.query(AdminAccount).filter_by(username="bureau1").one()
    assert (row.district_id, row.school_id) == (d.id, None)
    both = runner.invoke(
        args=[
            "create-admin",
            "--username",
            "bureau2",
            "--password",
            "Bureau-pass-2026",
            "--district-id",
            str(d.id),
            "--school-id",
            "1",
        ]
    )
    assert both.exit_code != 0
