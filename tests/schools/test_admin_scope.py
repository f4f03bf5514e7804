"""Wrong-caller matrix: every school office endpoint against callers it must refuse."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.schools.models import RoleGrant, Student
from tests.schools.conftest import BASE, xlsx

GUARDIAN = {"name": "王芳", "phone": "13812345678", "relation": "mother"}


def endpoints(side, other_student_id=None, other_grant_id=None):
    """(method, path, json) of every school-scoped endpoint, aimed at one school's objects."""
    sid = side["school"].id
    student = other_student_id or side["kids"][0].id
    grant = other_grant_id
    c1 = side["classes"][0]
    return [
        ("GET", f"{BASE}/{sid}", None),
        ("GET", f"{BASE}/{sid}/admins", None),
        ("POST", f"{BASE}/{sid}/grades", {"name": "新年级", "level": 2}),
        ("GET", f"{BASE}/{sid}/grades", None),
        ("POST", f"{BASE}/{sid}/classes", {"grade_id": side["grade"].id, "name": "新班"}),
        ("GET", f"{BASE}/{sid}/classes", None),
        (
            "POST",
            f"{BASE}/{sid}/students",
            {"student_no": "X1", "name": "新生", "class_id": c1.id, "guardians": [GUARDIAN]},
        ),
        ("GET", f"{BASE}/{sid}/students", None),
        ("GET", f"{BASE}/{sid}/students/{student}", None),
        ("PATCH", f"{BASE}/{sid}/students/{student}", {"name": "改名"}),
        ("POST", f"{BASE}/{sid}/students/{student}/binding-codes", {}),
        ("POST", f"{BASE}/{sid}/students/import", "FILE"),
        ("GET", f"{BASE}/{sid}/students/import-template", None),
        ("POST", f"{BASE}/{sid}/role-grants", {"role": "gate_staff", "name": "门卫"}),
        ("GET", f"{BASE}/{sid}/role-grants", None),
        ("DELETE", f"{BASE}/{sid}/role-grants/{grant}", None),
    ]


def call(client, method, path, body, headers):
    if body == "FILE":
        return client.post(
            path,
            headers=headers,
            content_type="multipart/form-data",
            data={"file": (io.BytesIO(xlsx([])), "r.xlsx")},
        )
    return client.open(path, method=method, json=body, headers=headers)


def grant_of(db, school):
    return db.scalars(sa.select(RoleGrant.id).where(RoleGrant.school_id == school.id)).first()


ALL_PATHS = [
    ("GET", BASE, None),
    ("POST", BASE, {"name": "新学校", "code": "NEW1"}),
    ("POST", f"{BASE}/1/admins", {"username": "abc", "password": "changeme2024"}),
]


@pytest.mark.parametrize("who", ["nobody", "user", "garbage"])
def test_unauthenticated_callers_get_401(client, world, db, who):
    headers = {
        "nobody": {},
        "user": world.user,
        "garbage": {"Authorization": "Bearer not-a-token"},
    }[who]
    for method, path, body in (
        endpoints(world.b, other_grant_id=grant_of(db, world.b["school"])) + ALL_PATHS
    ):
        r = call(client, method, path, body, headers)
        assert r.status_code == 401, (who, method, path, r.status_code)
        assert r.json["error"] in ("unauthorized", "session_expired")


def test_other_schools_objects_are_404(client, world, db):
    counts = (
        db.scalar(sa.select(sa.func.count()).select_from(Student)),
        db.scalar(sa.select(sa.func.count()).select_from(AuditLog)),
    )
    for method, path, body in endpoints(world.b, other_grant_id=grant_of(db, world.b["school"])):
        r = call(client, method, path, body, world.office_a)
        assert r.status_code == 404, (method, path, r.status_code, r.json)
        assert r.json["error"] == "not_found"
    assert counts == (
        db.scalar(sa.select(sa.func.count()).select_from(Student)),
        db.scalar(sa.select(sa.func.count()).select_from(AuditLog)),
    )


def test_other_schools_ids_under_own_school_are_404(client, world, db):
    other_kid = world.b["kids"][0].id
    other_grant = grant_of(db, world.b["school"])
    for method, path, body in endpoints(
        world.a, other_student_id=other_kid, other_grant_id=other_grant
    ):
        if str(other_kid) in path.split("/") or path.endswith(f"/{other_grant}"):
            r = call(client, method, path, body, world.office_a)
            assert r.status_code == 404, (method, path, r.status_code)
    assert db.get(RoleGrant, other_grant).revoked_at is None


def test_other_schools_ids_in_a_body_are_422(client, world):
    sid = world.a["school"].id
    b_class, b_grade = world.b["classes"][0], world.b["grade"]
    cases = [
        (f"{BASE}/{sid}/classes", {"grade_id": b_grade.id, "name": "偷班"}, "grade_id"),
        (
            f"{BASE}/{sid}/students",
            {"student_no": "Z1", "name": "甲", "class_id": b_class.id, "guardians": [GUARDIAN]},
            "class_id",
        ),
        (
            f"{BASE}/{sid}/role-grants",
            {"role": "head_teacher", "name": "甲", "class_id": b_class.id},
            "class_id",
        ),
        (
            f"{BASE}/{sid}/role-grants",
            {"role": "committee_member", "name": "甲", "level": "grade", "grade_id": b_grade.id},
            "grade_id",
        ),
    ]
    for path, body, field in cases:
        r = client.post(path, json=body, headers=world.office_a)
        assert r.status_code == 422 and field in r.json["errors"], (path, r.json)
    kid = world.a["kids"][0]
    r = client.patch(
        f"{BASE}/{sid}/students/{kid.id}", json={"class_id": b_class.id}, headers=world.office_a
    )
    assert r.status_code == 422 and "class_id" in r.json["errors"]


def test_platform_only_actions_are_403_for_school_admins(client, world):
    r = client.post(BASE, json={"name": "新学校", "code": "NEW1"}, headers=world.office_a)
    assert r.status_code == 403 and r.json["error"] == "forbidden"
    r = client.post(
        f"{BASE}/{world.a['school'].id}/admins",
        json={"username": "sneaky", "password": "changeme2024"},
        headers=world.office_a,
    )
    assert r.status_code == 403


def test_platform_admin_reaches_every_school(client, world, db):
    for method, path, body in endpoints(world.b, other_grant_id=grant_of(db, world.b["school"])):
        r = call(client, method, path, body, world.platform)
        assert r.status_code < 400, (method, path, r.status_code, r.json)


def test_unknown_school_is_404(client, world):
    r = client.get(f"{BASE}/987654321/students", headers=world.platform)
    assert r.status_code == 404
