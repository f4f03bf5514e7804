"""Loose text: control characters, bidi overrides and non-ASCII digits are 422 in every
string field (one check in the common schema base), never a 500 from the database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.schools.models import Grade, Student
from tests.schools.conftest import BASE
from tests.schools.test_admin_validation import GUARDIAN, student_body


@pytest.mark.parametrize(
    "over, field",
    [
        ({"name": "王小明\x00"}, "name"),  # NUL: PostgreSQL "cannot contain NUL" was a 500
        ({"name": "王\u202e明"}, "name"),  # right-to-left override
        ({"name": "王\x07明"}, "name"),
        ({"name": "王小明\n"}, "name"),
        ({"student_no": "S\u20661"}, "student_no"),
        ({"guardians": [{**GUARDIAN, "name": "王\x1b芳"}]}, "guardians"),
        ({"guardians": [{**GUARDIAN, "phone": "1370000000\u0661"}]}, "guardians"),
        ({"guardians": [{**GUARDIAN, "phone": "13700000000\n"}]}, "guardians"),
        ({"guardians": [{**GUARDIAN, "phone": "１３７００００００００"}]}, "guardians"),
    ],
)
def test_control_characters_and_foreign_digits_are_422(client, world, db, over, field):
    before = db.scalar(sa.select(sa.func.count()).select_from(Student))
    r = client.post(
        f"{BASE}/{world.a['school'].id}/students",
        json=student_body(world, **over),
        headers=world.office_a,
    )
    assert r.status_code == 422, r.json
    assert r.json["error"] == "validation_error" and field in r.json["errors"], r.json
    assert db.scalar(sa.select(sa.func.count()).select_from(Student)) == before


def test_patch_grade_and_query_strings_refuse_nul(client, world, db):
    sid = world.a["school"].id
    kid = world.a["kids"][0]
    r = client.patch(
        f"{BASE}/{sid}/students/{kid.id}", json={"name": "新\x00名"}, headers=world.office_a
    )
    assert r.status_code == 422 and "name" in r.json["errors"], r.json
    r = client.post(
        f"{BASE}/{sid}/grades", json={"name": "二\u202d年级", "level": 2}, headers=world.office_a
    )
    assert r.status_code == 422 and "name" in r.json["errors"], r.json
    assert db.scalar(sa.select(Grade.id).where(Grade.name.contains("\u202d"))) is None
    r = client.get(f"{BASE}/{sid}/students", query_string={"q": "王\x00"}, headers=world.office_a)
    assert r.status_code == 422 and "q" in r.json["errors"], r.json


def test_plain_names_and_phones_still_pass(client, world):
    r = client.post(
        f"{BASE}/{world.a['school'].id}/students",
        json=student_body(world, name="Émile·阿依古丽 😀", student_no="T-1"),
        headers=world.office_a,
    )
    assert r.status_code == 201, r.json
