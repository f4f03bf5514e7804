"""Export, deletion requests, account closing and the retention sweep."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.auth.models import AuthSession
from backend.common.clock import today
from backend.database import Base
from backend.pickup.models import PickupPerson
from backend.privacy.policy import STUDENT_TABLES
from backend.schools.models import GuardianLink, RosterGuardian, Student
from backend.signup.models import Application
from tests import factories as f


def test_every_table_about_a_pupil_has_a_retention_rule():
    missing = [
        t.name
        for t in Base.metadata.sorted_tables
        if "student_id" in t.columns and t.name not in STUDENT_TABLES
    ]
    assert missing == [], f"add these to backend/privacy/policy.py: {missing}"


def _family(db):
    s = f.school(db)
    kid = f.student(
        db,
        f.klass(db, f.grade(db, s)),
        name="孙悟空",
        student_no="P1",
        guardians=[("孙母", "13600000001", "mother"), ("孙父", "13600000002", "father")],
    )
    mum = f.user(db, phone="13600000001")
    f.guardian_of(db, mum, kid)
    return s, kid, mum


def test_export_contains_my_family_only_with_other_phones_masked(client, db):
    s, kid, mum = _family(db)
    other = f.student(
        db,
        f.klass(db, f.grade(db, s)),
        name="猪八戒",
        guardians=[("猪母", "13600000009", "mother")],
    )
    h = f.auth(db, user_row=mum)
    r = client.get("/api/v1/me/data-export", headers=h)
    assert r.status_code == 200
    data = r.json
    assert data["user"]["phone"] == "13600000001"
    assert [c["student"]["name"] for c in data["children"]] == ["孙悟空"]
    phones = sorted(g["phone"] for g in data["children"][0]["records"]["roster_guardians"])
    assert phones == ["136****0002", "13600000001"]
    assert "猪八戒" not in r.get_data(as_text=True)
    assert other.id not in [c["student"]["id"] for c in data["children"]]
    assert db.scalar(sa.select(AuditLog.action).where(AuditLog.action == "privacy.export"))


def test_export_masks_a_co_guardians_entries_and_leaves_out_their_address(client, db):
    s, kid, mum = _family(db)
    dad = f.user(db, phone="13600000002")
    f.guardian_of(db, dad, kid, relation="father")
    term = f.term(db, s)
    application = f.application(db, term, kid, dad)
    application.client_ip = "203.0.113.7"
    db.add_all(
        [
            PickupPerson(
                student_id=kid.id,
                school_id=s.id,
                name="爷爷",
                relation="grandfather",
                phone="13700000077",
                created_by=dad.id,
            ),
            PickupPerson(
                student_id=kid.id,
                school_id=s.id,
                name="外婆",
                relation="grandmother",
                phone="13700000088",
                created_by=mum.id,
            ),
        ]
    )
    db.flush()
    mine = client.get("/api/v1/me/data-export", headers=f.auth(db, user_row=mum))
    assert mine.status_code == 200
    records = mine.json["children"][0]["records"]
    assert sorted(p["phone"] for p in records["pickup_persons"]) == [
        "137****0077",
        "13700000088",
    ]
    assert "client_ip" not in records["applications"][0]
    assert "203.0.113.7" not in mine.get_data(as_text=True)
    assert "13700000077" not in mine.get_data(as_text=True)
    # the co-guardian who entered them sees them in full in their own export
    theirs = client.get("/api/v1/me/data-export", headers=f.auth(db, user_row=dad)).json
    records = theirs["children"][0]["records"]
    assert sorted(p["phone"] for p in records["pickup_persons"]) == [
        "137****0088",
        "13700000077",
    ]
    assert records["applications"][0]["client_ip"] == "203.0.113.7"


def test_deletion_request_flow_anonymises_but_keeps_fee_records(client, db):
    s, kid, mum = _family(db)
    term = f.term(db, s)
    f.enrolled(db, term, kid, applicant=mum)
    h = f.auth(db, user_row=mum)
    r = client.post(
        "/api/v1/me/data-deletion-requests",
        json={"student_id": kid.id, "reason": "转学"},
        headers=h,
    )
    assert r.status_code == 201 and r.json["status"] == "pending"
    again = client.post("/api/v1/me/data-deletion-requests", json={"student_id": kid.id}, headers=h)
    assert again.status_code == 409 and again.json["error"] == "deletion_request_pending"

    office = f.auth(db, admin_row=f.admin(db, s))
    listing = client.get(
        f"/admin/api/v1/schools/{s.id}/data-deletion-requests?status=pending", headers=office
    ).json
    assert [x["id"] for x in listing] == [r.json["id"]]
    done = client.post(
        f"/admin/api/v1/schools/{s.id}/data-deletion-requests/{r.json['id']}/complete",
        json={"response": "已处理"},
        headers=office,
    )
    assert done.status_code == 200 and done.json["status"] == "completed"
    db.expire_all()
    student = db.get(Student, kid.id)
    assert student.name.startswith("已匿名") and student.anonymised_at and not student.active
    assert (
        db.scalar(
            sa.select(sa.func.count())
            .select_from(RosterGuardian)
            .where(RosterGuardian.student_id == kid.id)
        )
        == 0
    )
    assert (
        db.scalar(
            sa.select(sa.func.count())
            .select_from(GuardianLink)
            .where(GuardianLink.student_id == kid.id)
        )
        == 0
    )
    # the enrolment record stays (no personal fields), ended: deletion is a leaving
    kept = db.scalar(sa.select(Application).where(Application.student_id == kid.id))
    assert kept.state == "withdrawn" and kept.enrolled_at and kept.withdrawn_at
    assert client.get("/api/v1/me/children", headers=h).json == []
    twice = client.post(
        f"/admin/api/v1/schools/{s.id}/data-deletion-requests/{r.json['id']}/decline",
        json={},
        headers=office,
    )
    assert twice.status_code == 409


def test_deletion_wrong_callers(client, db):
    w = f.World(db)
    a, b = w.schools
    h_b = f.auth(db, user_row=b["parent"])
    r = client.post(
        "/api/v1/me/data-deletion-requests", json={"student_id": a["kids"][0].id}, headers=h_b
    )
    assert r.status_code == 404
    h_a = f.auth(db, user_row=a["parent"])
    req = client.post(
        "/api/v1/me/data-deletion-requests", json={"student_id": a["kids"][0].id}, headers=h_a
    ).json
    office_b = f.auth(db, admin_row=b["office"])
    url = f"/admin/api/v1/schools/{a['school'].id}/data-deletion-requests"
    assert client.get(url, headers=office_b).status_code == 404
    assert client.post(f"{url}/{req['id']}/complete", json={}, headers=office_b).status_code == 404
    # b's office through its own school path cannot reach a's request either
    url_b = f"/admin/api/v1/schools/{b['school'].id}/data-deletion-requests/{req['id']}/complete"
    assert client.post(url_b, json={}, headers=office_b).status_code == 404
    assert client.get(url, headers=h_a).status_code == 401
    assert client.get("/api/v1/me/data-export").status_code == 401
    r = client.put(
        f"/admin/api/v1/schools/{a['school'].id}/retention",
        json={"retention_days": 10},
        headers=f.auth(db, admin_row=a["office"]),
    )
    assert r.status_code == 422


def test_closing_the_account(client, db):
    s, kid, mum = _family(db)
    h = f.auth(db, user_row=mum)
    assert client.delete("/api/v1/me", headers=h).status_code == 204
    assert client.get("/api/v1/me", headers=h).status_code == 401
    assert (
        db.scalar(
            sa.select(sa.func.count())
            .select_from(AuthSession)
            .where(AuthSession.user_id == mum.id, AuthSession.revoked_at.is_(None))
        )
        == 0
    )
    db.refresh(mum)
    assert mum.phone is None and mum.openid == f"deleted-{mum.id}"


def test_retention_sweep_anonymises_after_the_school_period(app, client, db):
    s, kid, mum = _family(db)
    recent_kid = f.student(db, f.klass(db, f.grade(db, s)), name="唐僧")
    old = f.term(
        db, s, starts_on=today() - timedelta(days=500), ends_on=today() - timedelta(days=400)
    )
    current = f.term(db, s)
    f.enrolled(db, old, kid, applicant=mum)
    f.enrolled(db, current, recent_kid)
    office = f.auth(db, admin_row=f.admin(db, s))
    assert (
        client.put(
            f"/admin/api/v1/schools/{s.id}/retention", json={"retention_days": 365}, headers=office
        ).status_code
        == 200
    )
    result = app.test_cli_runner().invoke(args=["privacy", "retention"])
    assert "anonymised 1 pupils" in result.output, result.output
    db.expire_all()
    assert db.get(Student, kid.id).anonymised_at is not None
    assert db.get(Student, recent_kid.id).anonymised_at is None
    result = app.test_cli_runner().invoke(args=["privacy", "retention"])
    assert "anonymised 0 pupils" in result.output


def test_staff_reading_a_pupil_record_is_audited(client, db):
    w = f.World(db)
    a = w.schools[0]
    kid = a["kids"][0]
    r = client.get(
        f"/admin/api/v1/schools/{a['school'].id}/students/{kid.id}",
        headers=f.auth(db, admin_row=a["office"]),
    )
    assert r.status_code == 200
    row = db.scalar(sa.select(AuditLog).where(AuditLog.action == "student.read"))
    assert row is not None and row.object_id == str(kid.id) and row.actor_kind == "admin"
