"""`seed-demo` builds the demo school once; running it again changes nothing."""

from __future__ import annotations

import sqlalchemy as sa
from argon2 import PasswordHasher

from backend.auth.models import AdminAccount, User
from backend.auth.passwords import check_strength
from backend.database import Base
from backend.demo import seed as demo_seed
from backend.schools.models import GuardianLink, RoleGrant, School, Student


def _counts(db) -> dict[str, int]:
    return {
        table.name: db.scalar(sa.select(sa.func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


def test_seed_is_idempotent(db):
    demo_seed.seed(db)
    first = _counts(db)
    demo_seed.seed(db)
    assert _counts(db) == first


def test_seed_builds_the_demo_school(db):
    demo = demo_seed.seed(db)
    school = db.scalar(sa.select(School).where(School.code == "DEMO01"))
    assert school.id == demo.school.id and school.name == "课后演示小学"
    assert demo.grade.level == 3
    assert sorted(demo.classes) == ["1班", "2班"]
    pupils = db.scalars(sa.select(Student).where(Student.school_id == school.id)).all()
    assert len(pupils) == 12

    parent = db.scalar(sa.select(User).where(User.openid == "o_demo_parent"))
    assert parent.phone == "13800000001" and parent.phone_verified_at is not None
    children = db.scalars(
        sa.select(GuardianLink.student_id).where(GuardianLink.user_id == parent.id)
    ).all()
    assert len(children) == 2

    grants = {
        (g.role, g.level, g.class_id is not None, g.grade_id is not None)
        for g in db.scalars(
            sa.select(RoleGrant).where(
                RoleGrant.school_id == school.id, RoleGrant.user_id.is_not(None)
            )
        )
    }
    assert grants == {
        ("head_teacher", None, True, False),
        ("gate_staff", None, False, False),
        ("committee_member", "class", True, False),
        ("committee_member", "grade", False, True),
        ("committee_member", "school", False, False),
    }

    office = db.scalar(sa.select(AdminAccount).where(AdminAccount.username == "demo-office"))
    platform = db.scalar(sa.select(AdminAccount).where(AdminAccount.username == "demo-platform"))
    assert office.school_id == school.id and platform.school_id is None
    assert PasswordHasher().verify(office.password_hash, demo_seed.ADMIN_PASSWORD)
    for username in ("demo-office", "demo-platform"):
        check_strength(demo_seed.ADMIN_PASSWORD, username)  # the policy admins get


def test_seed_demo_command(app, db):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "DEMO01" in result.output


def test_demo_admins_have_totp_and_a_dev_command_makes_codes(app, db, client):
    import pyotp

    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    for username, secret in demo_seed.ADMIN_TOTP.items():
        assert f"TOTP secret of {username}: {secret}" in result.output
        row = db.scalar(sa.select(AdminAccount).where(AdminAccount.username == username))
        assert row.totp_enabled and row.totp_secret == secret
    code = app.test_cli_runner().invoke(args=["totp-code", "--username", "demo-office"])
    assert code.exit_code == 0, code.output
    secret = demo_seed.ADMIN_TOTP["demo-office"]
    assert pyotp.TOTP(secret).verify(code.output.strip(), valid_window=1)
    r = client.post(
        "/admin/api/v1/auth/login",
        json={
            "username": "demo-office",
            "password": demo_seed.ADMIN_PASSWORD,
            "otp": code.output.strip(),
        },
    )
    assert r.status_code == 200 and r.json["totp_enabled"] is True
    headers = {"Authorization": f"Bearer {r.json['access_token']}"}
    assert client.get("/admin/api/v1/schools", headers=headers).status_code == 200
