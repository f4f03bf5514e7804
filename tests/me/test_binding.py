"""Role binding and child binding over HTTP, with the wrong callers."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.auth.tokens import digest
from backend.common.clock import now
from backend.notifications.models import OutboxMessage
from backend.schools.models import GuardianLink, RoleGrant, StudentBindingCode
from tests import factories as f


def _grant_with_code(db, school, code, **kw):
    row = f.grant(db, None, school, kw.pop("role", "head_teacher"), **kw)
    row.code_hash = digest(code)
    db.flush()
    return row


def test_role_binding_binds_once_and_shows_in_me(client, db):
    s = f.school(db)
    c = f.klass(db, f.grade(db, s))
    _grant_with_code(db, s, "ABCD2345EF", class_id=c.id)
    teacher = f.user(db)
    headers = f.auth(db, user_row=teacher)

    r = client.post(
        "/api/v1/auth/role-binding", json={"binding_code": "abcd 2345ef"}, headers=headers
    )
    assert r.status_code == 200, r.json
    assert r.json == {"role": "head_teacher", "school_id": s.id, "class_id": c.id}
    me = client.get("/api/v1/me", headers=headers).json
    assert {"role": "head_teacher", "school_id": s.id, "class_id": c.id} in me["roles"]
    assert db.scalar(sa.select(AuditLog.action).where(AuditLog.object_type == "role_grant")) == (
        "role_grant.bind"
    )

    other = f.user(db)
    r = client.post(
        "/api/v1/auth/role-binding",
        json={"binding_code": "ABCD2345EF"},
        headers=f.auth(db, user_row=other),
    )
    assert r.status_code == 409 and r.json["error"] == "binding_code_used"


def test_role_binding_expired_unknown_revoked(client, db):
    s = f.school(db)
    g = _grant_with_code(db, s, "EXPIRED234", role="gate_staff")
    g.code_expires_at = now() - timedelta(minutes=1)
    r = _grant_with_code(db, s, "REVOKED234", role="gate_staff")
    r.revoked_at = now()
    db.flush()
    h = f.auth(db, user_row=f.user(db))
    res = client.post("/api/v1/auth/role-binding", json={"binding_code": "EXPIRED234"}, headers=h)
    assert res.status_code == 410 and res.json["error"] == "binding_code_expired"
    res = client.post("/api/v1/auth/role-binding", json={"binding_code": "REVOKED234"}, headers=h)
    assert res.status_code == 404 and res.json["error"] == "binding_code_invalid"
    res = client.post("/api/v1/auth/role-binding", json={"binding_code": "NOPE234567"}, headers=h)
    assert res.status_code == 404
    assert (
        db.scalar(
            sa.select(sa.func.count()).select_from(RoleGrant).where(RoleGrant.user_id.is_not(None))
        )
        == 0
    )


def test_role_binding_requires_sign_in_and_rejects_bad_input(client, db):
    assert (
        client.post("/api/v1/auth/role-binding", json={"binding_code": "X" * 10}).status_code == 401
    )
    h = f.auth(db, user_row=f.user(db))
    r = client.post(
        "/api/v1/auth/role-binding", json={"binding_code": "X" * 10, "role": "x"}, headers=h
    )
    assert r.status_code == 422 and r.json["error"] == "validation_error"
    assert "role" in r.json["errors"]
    r = client.post("/api/v1/auth/role-binding", json={"binding_code": 1234567890}, headers=h)
    assert r.status_code == 422


def test_admin_token_cannot_use_app_api(client, db):
    s = f.school(db)
    h = f.auth(db, admin_row=f.admin(db, s))
    assert client.get("/api/v1/me", headers=h).status_code == 401


def test_child_binding_by_verified_roster_phone(client, db):
    s = f.school(db)
    c = f.klass(db, f.grade(db, s), name="3班")
    kid = f.student(
        db, c, name="王小明", student_no="2026001", guardians=[("王父", "13900000001", "father")]
    )
    other_guardian = f.user(db, phone="13900000002")
    f.guardian_of(db, other_guardian, kid)
    dad = f.user(db, phone="13900000001")
    h = f.auth(db, user_row=dad)

    r = client.post(
        "/api/v1/me/children", json={"student_no": "2026001", "name": "王小明"}, headers=h
    )
    assert r.status_code == 201, r.json
    assert r.json["student_id"] == kid.id and r.json["class_name"] == "3班"
    assert r.json["relation"] == "father"
    # the other guardian hears about it (outbox), the binder does not
    assert [m.user_id for m in db.scalars(sa.select(OutboxMessage))] == [other_guardian.id]

    again = client.post(
        "/api/v1/me/children", json={"student_no": "2026001", "name": "王小明"}, headers=h
    )
    assert again.status_code == 200
    assert (
        db.scalar(
            sa.select(sa.func.count())
            .select_from(GuardianLink)
            .where(GuardianLink.user_id == dad.id)
        )
        == 1
    )

    listing = client.get("/api/v1/me/children", headers=h).json
    assert [c["student_id"] for c in listing] == [kid.id]
    me = client.get("/api/v1/me", headers=h).json
    assert me["phone_masked"] == "139****0001"
    assert {"role": "guardian", "school_id": s.id} in me["roles"]


def test_child_binding_refused_without_proof(client, db):
    s = f.school(db)
    c = f.klass(db, f.grade(db, s))
    f.student(db, c, name="李雷", student_no="X1", guardians=[("李母", "13900000011", "mother")])
    stranger = f.user(db, phone="13900000099")
    unverified = f.user(db)
    for u in (stranger, unverified):
        r = client.post(
            "/api/v1/me/children",
            json={"student_no": "X1", "name": "李雷"},
            headers=f.auth(db, user_row=u),
        )
        assert r.status_code == 403 and r.json["error"] == "binding_not_verified"
    # wrong name with the right phone is refused the same way (nothing to enumerate)
    mum = f.user(db, phone="13900000011")
    r = client.post(
        "/api/v1/me/children",
        json={"student_no": "X1", "name": "韩梅梅"},
        headers=f.auth(db, user_row=mum),
    )
    assert r.status_code == 403
    assert db.scalar(sa.select(sa.func.count()).select_from(GuardianLink)) == 0


def test_child_binding_with_one_time_code(client, db):
    s = f.school(db)
    kid = f.student(db, f.klass(db, f.grade(db, s)), name="赵四", student_no="Z9")
    db.add(
        StudentBindingCode(
            student_id=kid.id,
            code_hash=digest("KIDCODE234"),
            relation="grandmother",
            expires_at=now() + timedelta(days=1),
        )
    )
    db.flush()
    grandma = f.user(db)
    r = client.post(
        "/api/v1/me/children",
        json={"student_no": "Z9", "name": "赵四", "binding_code": "KIDCODE234"},
        headers=f.auth(db, user_row=grandma),
    )
    assert r.status_code == 201 and r.json["relation"] == "grandmother"
    r = client.post(
        "/api/v1/me/children",
        json={"student_no": "Z9", "name": "赵四", "binding_code": "KIDCODE234"},
        headers=f.auth(db, user_row=f.user(db)),
    )
    assert r.status_code == 409 and r.json["error"] == "binding_code_used"


def test_unbind_only_my_own_child(client, db):
    w = f.World(db)
    a, b = w.schools
    h_a = f.auth(db, user_row=a["parent"])
    r = client.delete(f"/api/v1/me/children/{b['kids'][0].id}", headers=h_a)
    assert r.status_code == 404
    r = client.delete(f"/api/v1/me/children/{a['kids'][1].id}", headers=h_a)
    assert r.status_code == 404
    r = client.delete(f"/api/v1/me/children/{a['kids'][0].id}", headers=h_a)
    assert r.status_code == 204
    assert client.get("/api/v1/me/children", headers=h_a).json == []


def test_two_phones_racing_for_one_role_code_bind_once(app, committed, requires_pg):
    s = f.school(committed)
    _grant_with_code(committed, s, "RACE234567", role="gate_staff")
    users = [f.user(committed) for _ in range(8)]
    headers = [f.auth(committed, user_row=u) for u in users]
    committed.commit()
    results = []
    barrier = threading.Barrier(len(users))

    def go(h):
        with app.test_client() as c:
            barrier.wait()
            results.append(
                c.post(
                    "/api/v1/auth/role-binding", json={"binding_code": "RACE234567"}, headers=h
                ).status_code
            )

    threads = [threading.Thread(target=go, args=(h,)) for h in headers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] + [409] * 7
