"""`seed-demo` builds the demo school once; running it again changes nothing."""

from __future__ import annotations

import sqlalchemy as sa
from argon2 import PasswordHasher

from backend.auth.models import AdminAccount, User
from backend.auth.passwords import check_strength
from backend.common.clock import today
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


def test_seed_demo_leaves_a_running_term_every_endpoint_can_show(app, db, client):
    from backend.auth.models import AdminAccount as Admin
    from backend.signup.models import Application
    from tests import factories as f

    for _ in range(2):  # idempotent: the second run adds nothing
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        if _ == 0:
            first = _counts(db)
    assert _counts(db) == first
    assert "courses" in result.output and "enrolled" in result.output

    parent = f.auth(db, user_row=db.scalar(sa.select(User).where(User.openid == "o_demo_parent")))
    terms = client.get("/api/v1/terms", headers=parent).json
    assert len(terms) == 1
    term = terms[0]
    assert term["signup_state"] == "open" and term["agreement"]["version"] == 1
    assert term["starts_on"] <= str(today()) <= term["ends_on"]
    # every demo pupil but 王小明 (scripts/demo signs him up) is enrolled
    states = dict(
        db.execute(
            sa.select(Student.name, Application.state).join(
                Application, Application.student_id == Student.id
            )
        ).all()
    )
    assert len(states) == 11 and set(states.values()) == {"enrolled"}
    assert "王小明" not in states
    children = {
        c["name"]: c["student_id"] for c in client.get("/api/v1/me/children", headers=parent).json
    }
    statements = client.get(
        f"/api/v1/students/{children['王小红']}/statements", headers=parent
    ).json
    assert statements and statements[0]["status"] == "issued"
    courses = client.get(
        f"/api/v1/terms/{term['id']}/courses",
        query_string={"student_id": children["王小红"]},
        headers=parent,
    ).json
    assert {c["kind"] for c in courses} == {"tutoring", "enrichment"}
    office = f.auth(
        db, admin_row=db.scalar(sa.select(Admin).where(Admin.username == "demo-office"))
    )
    view = client.get(
        f"/admin/api/v1/schools/{term['school_id']}/terms/{term['id']}", headers=office
    )
    assert view.json["warnings"] == [] or [w["code"] for w in view.json["warnings"]] == [
        "holiday_data_missing"
    ]


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
