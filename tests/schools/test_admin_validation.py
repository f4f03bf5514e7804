"""Bad input on the school office API: 422 with per-field errors and nothing written."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.schools.models import Grade, Student
from tests.schools.conftest import BASE

GUARDIAN = {"name": "王芳", "phone": "13812345678", "relation": "mother"}


def student_body(world, **over):
    body = {
        "student_no": "V1",
        "name": "学生",
        "class_id": world.a["classes"][0].id,
        "guardians": [GUARDIAN],
    }
    body.update(over)
    return body


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("grades", {"name": "二年级", "level": "1"}, "level"),
        ("grades", {"name": "二年级", "level": 1.0}, "level"),
        ("grades", {"name": "二年级", "level": 10}, "level"),
        ("grades", {"name": "二年级", "level": 0}, "level"),
        ("grades", {"name": "二年级", "level": 2, "extra": 1}, "extra"),
        ("grades", {"name": "年" * 51, "level": 2}, "name"),
        ("grades", {"name": "", "level": 2}, "name"),
        ("grades", {"level": 2}, "name"),
        ("classes", {"grade_id": "1", "name": "1班"}, "grade_id"),
        ("role-grants", {"role": "gate_staff", "name": "门" * 51}, "name"),
        ("role-grants", {"role": "gate_staff", "name": "门卫", "user_id": 1}, "user_id"),
    ],
)
def test_bad_bodies(client, world, db, path, body, field):
    r = client.post(f"{BASE}/{world.a['school'].id}/{path}", json=body, headers=world.office_a)
    assert r.status_code == 422, r.json
    assert r.json["error"] == "validation_error" and field in r.json["errors"]


@pytest.mark.parametrize(
    "over, field",
    [
        ({"class_id": "1"}, "class_id"),
        ({"student_no": "1" * 33}, "student_no"),
        ({"name": "名" * 51}, "name"),
        ({"guardians": []}, "guardians"),
        (
            {
                "guardians": [
                    GUARDIAN,
                    {**GUARDIAN, "phone": "13812345670"},
                    {**GUARDIAN, "phone": "13812345671"},
                    {**GUARDIAN, "phone": "13812345672"},
                    {**GUARDIAN, "phone": "13812345673"},
                ]
            },
            "guardians",
        ),
        ({"guardians": [GUARDIAN, GUARDIAN]}, "guardians"),
        ({"guardians": [{**GUARDIAN, "phone": "12345"}]}, "guardians"),
        ({"guardians": [{**GUARDIAN, "relation": "uncle"}]}, "guardians"),
        ({"guardians": [{**GUARDIAN, "age": 40}]}, "guardians"),
        ({"priority_flags": ["rich"]}, "priority_flags"),
        ({"photo_url": "http://x"}, "photo_url"),
    ],
)
def test_bad_student_bodies(client, world, db, over, field):
    before = db.scalar(sa.select(sa.func.count()).select_from(Student))
    r = client.post(
        f"{BASE}/{world.a['school'].id}/students",
        json=student_body(world, **over),
        headers=world.office_a,
    )
    assert r.status_code == 422, r.json
    assert field in r.json["errors"], r.json
    assert db.scalar(sa.select(sa.func.count()).select_from(Student)) == before


@pytest.mark.parametrize(
    "body, field",
    [
        ({"active": 1}, "active"),
        ({"active": "false"}, "active"),
        ({"school_id": 2}, "school_id"),
        ({"student_no": "NEW"}, "student_no"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_patches(client, world, body, field):
    kid = world.a["kids"][0]
    r = client.patch(
        f"{BASE}/{world.a['school'].id}/students/{kid.id}", json=body, headers=world.office_a
    )
    assert r.status_code == 422 and field in r.json["errors"], r.json


def test_school_create_validation(client, world):
    for body, field in [
        ({"name": "学校", "code": "a b"}, "code"),
        ({"name": "学校", "code": "X" * 33}, "code"),
        ({"name": "学" * 101, "code": "OK1"}, "name"),
        ({"name": "学校", "code": "OK1", "cap": 1}, "cap"),
    ]:
        r = client.post(BASE, json=body, headers=world.platform)
        assert r.status_code == 422 and field in r.json["errors"], (body, r.json)


@pytest.mark.parametrize(
    "resource",
    [
        "",
        "/{sid}/grades",
        "/{sid}/classes",
        "/{sid}/students",
        "/{sid}/role-grants",
        "/{sid}/admins",
    ],
)
def test_page_size_is_capped(client, world, resource):
    path = BASE + resource.format(sid=world.a["school"].id)
    assert (
        client.get(path, query_string={"page_size": 101}, headers=world.platform).status_code == 422
    )
    assert (
        client.get(path, query_string={"page_size": 0}, headers=world.platform).status_code == 422
    )
    r = client.get(path, query_string={"page_size": 100}, headers=world.platform)
    assert r.status_code == 200 and "X-Pagination" in r.headers


def test_pagination_pages_through(client, world, db):
    sid = world.a["school"].id
    for level in range(4, 9):
        db.add(Grade(school_id=sid, name=f"{level}年级P", level=level))
    db.flush()
    seen = []
    for page in (1, 2, 3):
        r = client.get(
            f"{BASE}/{sid}/grades",
            query_string={"page": page, "page_size": 2},
            headers=world.office_a,
        )
        seen += [g["id"] for g in r.json]
    assert len(seen) == len(set(seen)) == 6  # 5 added + the World's grade


def test_unknown_query_parameters_are_422(client, world):
    sid = world.a["school"].id
    r = client.get(f"{BASE}/{sid}/students", query_string={"klass": 1}, headers=world.office_a)
    assert r.status_code == 422 and "klass" in r.json["errors"]
    r = client.get(f"{BASE}/{sid}/students", query_string={"q": "x" * 51}, headers=world.office_a)
    assert r.status_code == 422 and "q" in r.json["errors"]
    r = client.get(
        f"{BASE}/{sid}/students", query_string={"class_id": "abc"}, headers=world.office_a
    )
    assert r.status_code == 422


def test_english_messages(client, world):
    r = client.post(
        f"{BASE}/{world.a['school'].id}/grades",
        json={"name": "x", "level": "1"},
        headers={**world.office_a, "Accept-Language": "en"},
    )
    assert r.status_code == 422 and r.json["message"] == "Invalid input"
