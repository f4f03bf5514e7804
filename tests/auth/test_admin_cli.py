"""`flask create-admin`: platform and school admins from the shell, clear failures."""

from __future__ import annotations

import sqlalchemy as sa

from backend.auth.models import AdminAccount
from tests import factories


def run(app, *args):
    return app.test_cli_runner().invoke(args=["create-admin", *args])


def test_create_platform_admin_and_sign_in(app, client, db):
    result = run(app, "--username", "Root", "--password", "platform2024pass")
    assert result.exit_code == 0, result.output
    assert "platform admin root" in result.output
    row = db.scalar(sa.select(AdminAccount).where(AdminAccount.username == "root"))
    assert row.school_id is None and row.password_hash.startswith("$argon2id$")
    r = client.post(
        "/admin/api/v1/auth/login", json={"username": "root", "password": "platform2024pass"}
    )
    assert r.status_code == 200


def test_create_school_admin(app, db):
    school = factories.school(db)
    result = run(
        app, "--username", "office1", "--password", "office2024pass", "--school-id", str(school.id)
    )
    assert result.exit_code == 0, result.output
    row = db.scalar(sa.select(AdminAccount).where(AdminAccount.username == "office1"))
    assert row.school_id == school.id


def test_failures_are_clear(app, db):
    weak = run(app, "--username", "someone", "--password", "short")
    assert weak.exit_code != 0 and "密码强度不够" in weak.output
    assert run(app, "--username", "dup", "--password", "good2024pass").exit_code == 0
    dup = run(app, "--username", "DUP", "--password", "good2024pass")
    assert dup.exit_code != 0 and "用户名已被使用" in dup.output
    missing = run(app, "--username", "lost", "--password", "good2024pass", "--school-id", "999999")
    assert missing.exit_code != 0 and "学校不存在" in missing.output
    bad_name = run(app, "--username", "a b", "--password", "good2024pass")
    assert bad_name.exit_code != 0
    assert (
        db.scalar(
            sa.select(sa.func.count())
            .select_from(AdminAccount)
            .where(AdminAccount.username.in_(["someone", "lost"]))
        )
        == 0
    )
