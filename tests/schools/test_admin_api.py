"""Happy paths of the school office API: schools, grades, classes, pupils, codes, grants."""

from __future__ import annotations

import json

import pyotp
import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.auth.models import AdminAccount
from backend.auth.tokens import digest
from backend.schools.models import RoleGrant, RosterGuardian, StudentBindingCode
from tests.schools.conftest import BASE

LOGIN = "/admin/api/v1/auth/login"
GUARDIAN = {"name": "王芳", "phone": "13812345678", "relation": "mother"}


def audit_actions(db, school_id):
    return db.scalars(
        sa.select(AuditLog.action).where(AuditLog.school_id == school_id).order_by(AuditLog.id)
    ).all()


def test_platform_admin_creates_and_lists_schools(client, world, db):
    r = client.post(BASE, json={"name": "实验小学", "code": "SY001"}, headers=world.platform)
    assert r.status_code == 201, r.json
    new_id = r.json["id"]
    assert "school.create" in audit_actions(db, new_id)

    r = client.get(BASE, headers=world.platform, query_string={"page_size": 100})
    assert r.status_code == 200
    assert new_id in [s["id"] for s in r.json]
    assert json.loads(r.headers["X-Pagination"])["total"] >= 3

    r = client.post(BASE, json={"name": "重复", "code": "SY001"}, headers=world.platform)
    assert r.status_code == 409 and r.json["error"] == "school_code_taken"


def test_school_admin_sees_only_own_school(client, world):
    r = client.get(BASE, headers=world.office_a)
    assert [s["id"] for s in r.json] == [world.a["school"].id]
    r = client.get(f"{BASE}/{world.a['school'].id}", headers=world.office_a)
    assert r.status_code == 200 and r.json["code"] == world.a["school"].code


def test_grades_and_classes(client, world, db):
    sid = world.a["school"].id
    r = client.post(
        f"{BASE}/{sid}/grades", json={"name": "一年级", "level": 1}, headers=world.office_a
    )
    assert r.status_code == 201
    grade_id = r.json["id"]
    r = client.post(
        f"{BASE}/{sid}/grades", json={"name": "一年级", "level": 1}, headers=world.office_a
    )
    assert r.status_code == 409 and r.json["error"] == "grade_exists"

    r = client.get(f"{BASE}/{sid}/grades", headers=world.office_a)
    assert {"id": grade_id, "name": "一年级", "level": 1}.items() <= next(
        g for g in r.json if g["id"] == grade_id
    ).items()

    r = client.post(
        f"{BASE}/{sid}/classes", json={"grade_id": grade_id, "name": "1班"}, headers=world.office_a
    )
    assert r.status_code == 201
    class_id = r.json["id"]
    r = client.post(
        f"{BASE}/{sid}/classes", json={"grade_id": grade_id, "name": "1班"}, headers=world.office_a
    )
    assert r.status_code == 409 and r.json["error"] == "class_exists"

    r = client.get(
        f"{BASE}/{sid}/classes", query_string={"grade_id": grade_id}, headers=world.office_a
    )
    assert [(c["id"], c["grade_name"]) for c in r.json] == [(class_id, "一年级")]
    assert audit_actions(db, sid)[-2:] == ["grade.create", "class.create"]


def test_create_get_list_and_patch_student(client, world, db):
    sid = world.a["school"].id
    c1, c2 = world.a["classes"]
    body = {
        "student_no": "2024001",
        "name": "李小明",
        "class_id": c1.id,
        "guardians": [GUARDIAN, {"name": "李强", "phone": "13900001111", "relation": "father"}],
        "priority_flags": ["left_behind"],
    }
    r = client.post(f"{BASE}/{sid}/students", json=body, headers=world.office_a)
    assert r.status_code == 201, r.json
    student_id = r.json["id"]

    r = client.post(f"{BASE}/{sid}/students", json=body, headers=world.office_a)
    assert r.status_code == 409 and r.json["error"] == "student_exists"

    r = client.get(f"{BASE}/{sid}/students/{student_id}", headers=world.office_a)
    assert r.status_code == 200
    assert r.json["class_name"] == c1.name and r.json["priority_flags"] == ["left_behind"]
    assert [g["phone_masked"] for g in r.json["guardians"]] == ["138****5678", "139****1111"]
    assert "13812345678" not in r.get_data(as_text=True)

    for q in ("小明", "2024", "13812345678"):
        r = client.get(f"{BASE}/{sid}/students", query_string={"q": q}, headers=world.office_a)
        assert [s["id"] for s in r.json] == [student_id], q
    r = client.get(
        f"{BASE}/{sid}/students", query_string={"class_id": c2.id}, headers=world.office_a
    )
    assert student_id not in [s["id"] for s in r.json]
    assert json.loads(r.headers["X-Pagination"])["total"] == len(r.json)
    r = client.get(f"{BASE}/{sid}/students", query_string={"q": "%"}, headers=world.office_a)
    assert r.json == []  # LIKE wildcards are matched literally

    patch = {
        "class_id": c2.id,
        "name": "李晓明",
        "active": False,
        "priority_flags": [],
        "guardians": [{"name": "李奶奶", "phone": "13700002222", "relation": "grandmother"}],
    }
    r = client.patch(f"{BASE}/{sid}/students/{student_id}", json=patch, headers=world.office_a)
    assert r.status_code == 200, r.json
    assert (r.json["class_id"], r.json["name"], r.json["active"]) == (c2.id, "李晓明", False)
    phones = db.scalars(
        sa.select(RosterGuardian.phone).where(RosterGuardian.student_id == student_id)
    ).all()
    assert phones == ["13700002222"]
    row = db.scalars(
        sa.select(AuditLog).where(
            AuditLog.action == "student.update", AuditLog.object_id == str(student_id)
        )
    ).one()
    assert row.before["name"] == "李小明" and row.after["name"] == "李晓明"
    assert row.after["guardians"][0]["phone"] == "137****2222"

    r = client.get(
        f"{BASE}/{sid}/students", query_string={"active": "false"}, headers=world.office_a
    )
    assert [s["id"] for s in r.json] == [student_id]


def test_student_binding_code(client, world, db):
    sid, kid = world.a["school"].id, world.a["kids"][1]
    r = client.post(
        f"{BASE}/{sid}/students/{kid.id}/binding-codes",
        json={"relation": "grandfather"},
        headers=world.office_a,
    )
    assert r.status_code == 201, r.json
    code = r.json["binding_code"]
    assert len(code) == 10 and r.json["expires_at"].endswith("+08:00")
    row = db.scalars(
        sa.select(StudentBindingCode).where(StudentBindingCode.student_id == kid.id)
    ).one()
    assert row.code_hash == digest(code) and row.relation == "grandfather"
    logged = db.scalars(sa.select(AuditLog).where(AuditLog.action == "student.binding_code")).one()
    assert code not in json.dumps(logged.after, ensure_ascii=False)


def test_role_grants_create_list_revoke(client, world, db):
    sid = world.a["school"].id
    c1 = world.a["classes"][0]
    grade = world.a["grade"]
    cases = [
        {"role": "head_teacher", "name": "张老师", "class_id": c1.id},
        {"role": "gate_staff", "name": "刘师傅"},
        {"role": "committee_member", "name": "赵家长", "level": "class", "class_id": c1.id},
        {"role": "committee_member", "name": "钱家长", "level": "grade", "grade_id": grade.id},
        {"role": "committee_member", "name": "孙家长", "level": "school"},
    ]
    created = []
    for body in cases:
        r = client.post(f"{BASE}/{sid}/role-grants", json=body, headers=world.office_a)
        assert r.status_code == 201, (body, r.json)
        created.append(r.json)
        grant = db.get(RoleGrant, r.json["id"])
        assert grant.code_hash == digest(r.json["binding_code"])
        assert grant.role == body["role"] and grant.level == body.get("level")

    r = client.get(
        f"{BASE}/{sid}/role-grants", query_string={"page_size": 100}, headers=world.office_a
    )
    listed = {g["id"]: g for g in r.json}
    assert all(c["id"] in listed for c in created)
    assert "binding_code" not in r.get_data(as_text=True)
    assert listed[created[0]["id"]]["bound"] is False
    bound = [g for g in r.json if g["bound"]]
    assert bound and all(g["bound_at"] for g in bound)  # the World's staff are bound

    r = client.delete(f"{BASE}/{sid}/role-grants/{created[1]['id']}", headers=world.office_a)
    assert r.status_code == 204
    assert db.get(RoleGrant, created[1]["id"]).revoked_at is not None
    r = client.get(
        f"{BASE}/{sid}/role-grants", query_string={"role": "gate_staff"}, headers=world.office_a
    )
    assert created[1]["id"] not in [g["id"] for g in r.json]
    r = client.get(
        f"{BASE}/{sid}/role-grants",
        query_string={"role": "gate_staff", "include_revoked": "true"},
        headers=world.office_a,
    )
    assert created[1]["id"] in [g["id"] for g in r.json]
    assert "role_grant.revoke" in audit_actions(db, sid)


def test_role_grant_shapes_are_checked(client, world):
    sid = world.a["school"].id
    c1 = world.a["classes"][0]
    bad = [
        ({"role": "head_teacher", "name": "x"}, "class_id"),
        ({"role": "gate_staff", "name": "x", "class_id": c1.id}, "class_id"),
        ({"role": "committee_member", "name": "x"}, "level"),
        ({"role": "committee_member", "name": "x", "level": "grade"}, "grade_id"),
        (
            {"role": "committee_member", "name": "x", "level": "school", "class_id": c1.id},
            "class_id",
        ),
        ({"role": "principal", "name": "x"}, "role"),
    ]
    for body, field in bad:
        r = client.post(f"{BASE}/{sid}/role-grants", json=body, headers=world.office_a)
        assert r.status_code == 422, body
        assert field in r.json["errors"], (body, r.json)


def test_import_template(client, world):
    sid = world.a["school"].id
    r = client.get(f"{BASE}/{sid}/students/import-template", headers=world.office_a)
    assert r.status_code == 200
    assert r.mimetype.endswith("spreadsheetml.sheet")
    disposition = r.headers["Content-Disposition"]
    assert 'filename="roster-template.xlsx"' in disposition
    assert "filename*=UTF-8''%E5%AD%A6%E7%94%9F%E5%90%8D%E5%8D%95%E6%A8%A1%E6%9D%BF.xlsx" in (
        disposition
    )
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(r.data))
    header = [c.value for c in book["学生名单"][1]]
    assert header == ["学号", "姓名", "班级", "家长姓名", "家长手机", "关系", "优先类别"]
    notes = [row[0] for row in book["说明"].iter_rows(values_only=True)]
    assert f"{world.a['grade'].name}/{world.a['classes'][0].name}" in notes


def test_platform_admin_creates_school_admin(client, world, db):
    sid = world.a["school"].id
    r = client.post(
        f"{BASE}/{sid}/admins",
        json={"username": "office.a2", "password": "weak"},
        headers=world.platform,
    )
    assert r.status_code == 422 and r.json["error"] == "weak_password"
    r = client.post(
        f"{BASE}/{sid}/admins",
        json={"username": "office.a2", "password": "Office.a2"},
        headers=world.platform,
    )
    assert r.status_code == 422 and r.json["error"] == "weak_password"
    r = client.post(
        f"{BASE}/{sid}/admins",
        json={"username": "Office.A2", "password": "changeme2024"},
        headers=world.platform,
    )
    assert r.status_code == 201, r.json
    assert r.json["username"] == "office.a2" and r.json["school_id"] == sid
    r = client.post(
        f"{BASE}/{sid}/admins",
        json={"username": "office.a2", "password": "changeme2024"},
        headers=world.platform,
    )
    assert r.status_code == 409 and r.json["error"] == "username_taken"
    r = client.get(f"{BASE}/{sid}/admins", headers=world.office_a)
    assert "office.a2" in [a["username"] for a in r.json]
    # Exactly one account, bound to that school, the password never stored as given.
    rows = db.scalars(sa.select(AdminAccount).where(AdminAccount.username == "office.a2")).all()
    assert [(row.school_id, row.active) for row in rows] == [(sid, True)]
    assert rows[0].password_hash.startswith("$argon2id$")
    assert audit_actions(db, sid)[-1] == "admin.create"
    # The new office admin signs in with what the platform admin chose, and sees only
    # the school it was made for.
    r = client.post(LOGIN, json={"username": "office.a2", "password": "changeme2024"})
    assert r.status_code == 200, r.json
    mine = {"Authorization": f"Bearer {r.json['access_token']}"}
    # A new account may only enrol TOTP first; then the same session sees its school.
    assert client.get(BASE, headers=mine).json["error"] == "totp_enrollment_required"
    secret = client.post("/admin/api/v1/auth/totp/setup", headers=mine).json["secret"]
    confirmed = client.post(
        "/admin/api/v1/auth/totp/confirm", json={"otp": pyotp.TOTP(secret).now()}, headers=mine
    )
    assert confirmed.status_code == 200, confirmed.json
    assert [s["id"] for s in client.get(BASE, headers=mine).json] == [sid]


def test_idempotent_create(client, world, db):
    sid = world.a["school"].id
    headers = {**world.office_a, "Idempotency-Key": "grade-create-1"}
    first = client.post(
        f"{BASE}/{sid}/grades", json={"name": "六年级", "level": 6}, headers=headers
    )
    again = client.post(
        f"{BASE}/{sid}/grades", json={"name": "六年级", "level": 6}, headers=headers
    )
    assert first.status_code == again.status_code == 201
    assert first.json == again.json
