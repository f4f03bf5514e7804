"""Admin sign-in: passwords, lockout, TOTP, logout, idle expiry and login rate limits."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.auth.models import AdminAccount, AuthSession
from backend.auth.passwords import hash_password
from backend.common.clock import now
from tests import factories

LOGIN = "/admin/api/v1/auth/login"
PASSWORD = "correct horse 42"


@pytest.fixture
def office(db):
    school = factories.school(db)
    row = factories.admin(db, school, username=f"office{factories.n()}")
    row.password_hash = hash_password(PASSWORD)
    db.flush()
    return row


def login(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, json={"username": username, "password": password, **extra})


def bearer(response):
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def test_login_success_and_use_of_the_token(client, db, office):
    r = login(client, office.username.upper())  # usernames are case-insensitive
    assert r.status_code == 200, r.json
    assert r.json["expires_in"] > 0 and r.json["access_token"]
    me = client.get("/admin/api/v1/auth/me", headers=bearer(r))
    assert me.status_code == 200 and me.json["username"] == office.username
    db.refresh(office)
    assert office.last_login_at is not None
    assert db.scalar(sa.select(AuditLog.action).where(AuditLog.action == "admin.login"))


def test_unknown_user_and_wrong_password_look_the_same(client, office):
    wrong = login(client, office.username, "wrong password 1")
    unknown = login(client, "nobody-here", "wrong password 1")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json
    assert wrong.json["error"] == "invalid_credentials"


def test_lockout_after_five_failures_and_unlock_after_expiry(client, db, office):
    codes = [login(client, office.username, f"wrong{i}xxxxxx").status_code for i in range(5)]
    assert codes == [401, 401, 401, 401, 423]
    r = login(client, office.username)  # the right password while locked
    assert r.status_code == 423 and r.json["error"] == "account_locked"
    assert 0 < int(r.headers["Retry-After"]) <= 15 * 60
    db.refresh(office)
    assert office.locked_until > now() + timedelta(minutes=14)

    db.execute(
        sa.update(AdminAccount)
        .where(AdminAccount.id == office.id)
        .values(locked_until=now() - timedelta(seconds=1))
    )
    db.flush()
    r = login(client, office.username)
    assert r.status_code == 200, r.json
    db.refresh(office)
    assert office.failed_logins == 0 and office.locked_until is None
    actions = db.scalars(
        sa.select(AuditLog.action).where(
            AuditLog.object_type == "admin_account", AuditLog.object_id == str(office.id)
        )
    ).all()
    assert actions.count("admin.login_failed") == 4 and "admin.locked" in actions


def test_success_resets_the_failure_counter(client, db, office):
    for _ in range(4):
        assert login(client, office.username, "bad password 9").status_code == 401
    assert login(client, office.username).status_code == 200
    for _ in range(4):
        assert login(client, office.username, "bad password 9").status_code == 401
    assert login(client, office.username).status_code == 200


def test_inactive_account_cannot_sign_in(client, db, office):
    office.active = False
    db.flush()
    r = login(client, office.username)
    assert r.status_code == 401 and r.json["error"] == "invalid_credentials"


def test_totp_enrolment_and_login(client, db, office):
    token = bearer(login(client, office.username))
    r = client.post("/admin/api/v1/auth/totp/setup", headers=token)
    assert r.status_code == 200
    secret = r.json["secret"]
    assert r.json["otpauth_uri"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(secret)

    r = client.post("/admin/api/v1/auth/totp/confirm", json={"otp": "000000"}, headers=token)
    assert r.status_code == 422 and r.json["error"] == "totp_code_mismatch"
    # Until confirmed, sign-in still needs no code.
    assert login(client, office.username).status_code == 200
    r = client.post("/admin/api/v1/auth/totp/confirm", json={"otp": totp.now()}, headers=token)
    assert r.status_code == 200 and r.json == {"totp_enabled": True}
    r = client.post("/admin/api/v1/auth/totp/setup", headers=token)
    assert r.status_code == 409 and r.json["error"] == "totp_already_enabled"

    r = login(client, office.username)
    assert r.status_code == 401 and r.json["error"] == "otp_required"
    r = login(client, office.username, otp="123456" if totp.now() != "123456" else "654321")
    assert r.status_code == 401 and r.json["error"] == "invalid_otp"
    db.refresh(office)
    assert office.failed_logins == 1  # a wrong code counts as a failure

    next_code = totp.at(time.time() + totp.interval)  # the confirm used the current one
    r = login(client, office.username, otp=next_code)
    assert r.status_code == 200, r.json
    r = login(client, office.username, otp=next_code)  # a code works once
    assert r.status_code == 401 and r.json["error"] == "invalid_otp"


def test_wrong_codes_lock_the_account(client, db, office):
    office.totp_secret = pyotp.random_base32()
    office.totp_enabled = True
    db.flush()
    codes = [login(client, office.username, otp="000001").status_code for _ in range(5)]
    assert codes[-1] == 423


def test_logout_revokes_the_token(client, db, office):
    token = bearer(login(client, office.username))
    assert client.post("/admin/api/v1/auth/logout", headers=token).status_code == 204
    r = client.get("/admin/api/v1/auth/me", headers=token)
    assert r.status_code == 401


def test_idle_session_expires(client, db, office):
    token = bearer(login(client, office.username))
    assert client.get("/admin/api/v1/auth/me", headers=token).status_code == 200
    db.execute(
        sa.update(AuthSession)
        .where(AuthSession.admin_id == office.id)
        .values(last_seen_at=now() - timedelta(minutes=31))
    )
    db.flush()
    r = client.get("/admin/api/v1/auth/me", headers=token)
    assert r.status_code == 401 and r.json["error"] == "session_expired"


def test_change_password(client, db, office):
    token = bearer(login(client, office.username))
    other = bearer(login(client, office.username))
    url = "/admin/api/v1/auth/password"
    r = client.post(
        url, json={"current_password": "nope", "new_password": "brandnew2024"}, headers=token
    )
    assert r.status_code == 422 and r.json["error"] == "wrong_current_password"
    for weak in ("short1", "onlyletterslong", "1234567890123", office.username):
        r = client.post(
            url, json={"current_password": PASSWORD, "new_password": weak}, headers=token
        )
        assert r.status_code == 422 and r.json["error"] == "weak_password", weak
    r = client.post(
        url, json={"current_password": PASSWORD, "new_password": "brandnew2024"}, headers=token
    )
    assert r.status_code == 204
    assert client.get("/admin/api/v1/auth/me", headers=token).status_code == 200
    assert client.get("/admin/api/v1/auth/me", headers=other).status_code == 401
    assert login(client, office.username, "brandnew2024").status_code == 200


def test_login_validation(client):
    for body in (
        {"username": "a"},
        {"username": "a", "password": "b", "remember": True},
        {"username": "a" * 65, "password": "b"},
        {"username": 1, "password": "b"},
    ):
        r = client.post(LOGIN, json=body)
        assert r.status_code == 422 and r.json["error"] == "validation_error", body


def test_login_is_rate_limited_per_username(client, office):
    codes = [login(client, "ghost-user", "wrong password 1").status_code for _ in range(21)]
    assert codes[:20] == [401] * 20 and codes[20] == 429
    # Another account from the same address is not affected.
    assert login(client, office.username).status_code == 200


def test_user_tokens_and_admin_endpoints(client, db, office):
    user = factories.user(db)
    headers = factories.auth(db, user_row=user)
    for method, path in [
        ("GET", "/admin/api/v1/auth/me"),
        ("POST", "/admin/api/v1/auth/logout"),
        ("POST", "/admin/api/v1/auth/totp/setup"),
    ]:
        assert client.open(path, method=method, headers=headers).status_code == 401
        assert client.open(path, method=method).status_code == 401
