"""Admin sign-in: passwords, lockout, TOTP, logout, idle expiry and login rate limits."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.auth.models import AdminAccount, AuthSession, LoginThrottle
from backend.auth.passwords import hash_password
from backend.common.clock import now
from tests import factories

LOGIN = "/admin/api/v1/auth/login"
PASSWORD = "correct horse 42"
TOTP = pyotp.TOTP(factories.TOTP_SECRET)
STRANGER = {"REMOTE_ADDR": "198.51.100.7"}
ELSEWHERE = {"REMOTE_ADDR": "203.0.113.20"}


def _admin(db, **kw) -> AdminAccount:
    school = factories.school(db)
    row = factories.admin(db, school, username=f"office{factories.n()}", **kw)
    row.password_hash = hash_password(PASSWORD)
    db.flush()
    return row


@pytest.fixture
def office(db):
    """An office account with TOTP enrolled (the factories' secret)."""
    return _admin(db)


@pytest.fixture
def newcomer(db):
    """An office account that has not enrolled TOTP yet."""
    return _admin(db, totp=False)


@pytest.fixture
def otp(app):
    """A valid code for the factories' secret; a code is accepted once, so each call
    first forgets which codes were used."""

    def fresh() -> str:
        redis = app.extensions["kehou"]["redis"]
        for key in list(redis.scan_iter("kehou:totp-used:*")):
            redis.delete(key)
        return TOTP.now()

    return fresh


def login(client, username, password=PASSWORD, environ_base=None, **extra):
    return client.post(
        LOGIN,
        json={"username": username, "password": password, **extra},
        environ_base=environ_base or {},
    )


def bearer(response):
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def test_login_success_and_use_of_the_token(client, db, office, otp):
    r = login(client, office.username.upper(), otp=otp())  # usernames are case-insensitive
    assert r.status_code == 200, r.json
    assert r.json["expires_in"] > 0 and r.json["access_token"]
    assert r.json["totp_enabled"] is True
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


def test_lockout_after_five_failures_and_unlock_after_expiry(client, db, office, otp):
    codes = [login(client, office.username, f"wrong{i}xxxxxx").status_code for i in range(5)]
    assert codes == [401, 401, 401, 401, 423]
    r = login(client, office.username, otp=otp())  # the right password while locked
    assert r.status_code == 423 and r.json["error"] == "account_locked"
    assert 0 < int(r.headers["Retry-After"]) <= 15 * 60
    db.execute(sa.update(LoginThrottle).values(locked_until=now() - timedelta(seconds=1)))
    db.flush()
    r = login(client, office.username, otp=otp())
    assert r.status_code == 200, r.json
    assert db.scalar(sa.select(sa.func.count()).select_from(LoginThrottle)) == 0
    locks = db.scalars(sa.select(AuditLog).where(AuditLog.action == "admin.locked")).all()
    assert [(a.object_id, a.school_id) for a in locks] == [(office.username, office.school_id)]


def test_a_stranger_cannot_lock_the_admin_out(client, db, office, otp):
    codes = [
        login(client, office.username, f"guess{i}xxxxxx", STRANGER).status_code for i in range(8)
    ]
    assert codes == [401] * 4 + [423] * 4
    # The admin, from their own address, signs in as usual.
    r = login(client, office.username, otp=otp())
    assert r.status_code == 200, r.json
    assert login(client, office.username, otp=otp(), environ_base=STRANGER).status_code == 423


def test_an_unknown_username_answers_exactly_like_a_known_one(client, office):
    answers = {}
    for name in (office.username, "no-such-office"):
        rs = [login(client, name, f"wrong{i}xxxxxx", STRANGER) for i in range(6)]
        answers[name] = [(r.status_code, r.json["error"]) for r in rs]
        assert 0 < int(rs[-1].headers["Retry-After"]) <= 15 * 60
    known, unknown = answers.values()
    assert known == unknown
    assert known == [(401, "invalid_credentials")] * 4 + [(423, "account_locked")] * 2


def test_success_resets_the_failure_counter(client, db, office, otp):
    for _ in range(4):
        assert login(client, office.username, "bad password 9").status_code == 401
    assert login(client, office.username, otp=otp()).status_code == 200
    for _ in range(4):
        assert login(client, office.username, "bad password 9").status_code == 401
    assert login(client, office.username, otp=otp()).status_code == 200


def test_inactive_account_cannot_sign_in(client, db, office, otp):
    office.active = False
    db.flush()
    r = login(client, office.username, otp=otp())
    assert r.status_code == 401 and r.json["error"] == "invalid_credentials"


def test_without_totp_a_session_may_only_enrol(client, db, newcomer):
    r = login(client, newcomer.username)
    assert r.status_code == 200 and r.json["totp_enabled"] is False
    token = bearer(r)
    for method, path in (
        ("GET", "/admin/api/v1/schools"),
        ("GET", "/admin/api/v1/auth/me"),
        ("GET", f"/admin/api/v1/schools/{newcomer.school_id}/students"),
        ("POST", "/admin/api/v1/auth/password"),
    ):
        refused = client.open(path, method=method, headers=token, json={})
        assert refused.status_code == 403, path
        assert refused.json["error"] == "totp_enrollment_required"
    r = client.post("/admin/api/v1/auth/totp/setup", headers=token)
    assert r.status_code == 200
    totp = pyotp.TOTP(r.json["secret"])
    assert r.json["otpauth_uri"].startswith("otpauth://totp/")
    r = client.post("/admin/api/v1/auth/totp/confirm", json={"otp": "000000"}, headers=token)
    assert r.status_code == 422 and r.json["error"] == "totp_code_mismatch"
    assert client.get("/admin/api/v1/schools", headers=token).status_code == 403
    r = client.post("/admin/api/v1/auth/totp/confirm", json={"otp": totp.now()}, headers=token)
    assert r.status_code == 200 and r.json == {"totp_enabled": True}
    # The same session is now a full one.
    assert client.get("/admin/api/v1/schools", headers=token).status_code == 200
    assert client.get("/admin/api/v1/auth/me", headers=token).json["totp_enabled"] is True
    r = client.post("/admin/api/v1/auth/totp/setup", headers=token)
    assert r.status_code == 409 and r.json["error"] == "totp_already_enabled"

    r = login(client, newcomer.username)
    assert r.status_code == 401 and r.json["error"] == "otp_required"
    r = login(client, newcomer.username, otp="123456" if totp.now() != "123456" else "654321")
    assert r.status_code == 401 and r.json["error"] == "invalid_otp"
    next_code = totp.at(time.time() + totp.interval)  # the confirm used the current one
    r = login(client, newcomer.username, otp=next_code)
    assert r.status_code == 200 and r.json["totp_enabled"] is True
    r = login(client, newcomer.username, otp=next_code)  # a code works once
    assert r.status_code == 401 and r.json["error"] == "invalid_otp"


def test_a_stolen_password_cannot_enrol_an_authenticator(client, db, office):
    r = login(client, office.username)
    assert r.status_code == 401 and r.json["error"] == "otp_required"
    assert "access_token" not in r.json
    # Even a session without the second factor (say, opened before enrolment elsewhere)
    # can neither replace the authenticator nor use anything else.
    token = factories.auth(db, admin_row=office, second_factor=False)
    r = client.post("/admin/api/v1/auth/totp/setup", headers=token)
    assert r.status_code == 409 and r.json["error"] == "totp_already_enabled"
    assert client.get("/admin/api/v1/schools", headers=token).status_code == 403
    db.refresh(office)
    assert office.totp_secret == factories.TOTP_SECRET


def test_wrong_codes_lock_the_account(client, db, office):
    codes = [login(client, office.username, otp="000001").status_code for _ in range(5)]
    assert codes[-1] == 423


def test_logout_revokes_the_token(client, db, office, otp):
    token = bearer(login(client, office.username, otp=otp()))
    assert client.post("/admin/api/v1/auth/logout", headers=token).status_code == 204
    r = client.get("/admin/api/v1/auth/me", headers=token)
    assert r.status_code == 401


def test_idle_session_expires(client, db, office, otp):
    token = bearer(login(client, office.username, otp=otp()))
    assert client.get("/admin/api/v1/auth/me", headers=token).status_code == 200
    db.execute(
        sa.update(AuthSession)
        .where(AuthSession.admin_id == office.id)
        .values(last_seen_at=now() - timedelta(minutes=31))
    )
    db.flush()
    r = client.get("/admin/api/v1/auth/me", headers=token)
    assert r.status_code == 401 and r.json["error"] == "session_expired"


def test_change_password(client, db, office, otp):
    token = bearer(login(client, office.username, otp=otp()))
    other = bearer(login(client, office.username, otp=otp()))
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
    assert login(client, office.username, "brandnew2024", otp=otp()).status_code == 200


def test_login_validation(client):
    for body in (
        {"username": "a"},
        {"username": "a", "password": "b", "remember": True},
        {"username": "a" * 65, "password": "b"},
        {"username": 1, "password": "b"},
    ):
        r = client.post(LOGIN, json=body)
        assert r.status_code == 422 and r.json["error"] == "validation_error", body


def test_login_is_rate_limited_per_username_and_address(client, office, otp):
    codes = [login(client, "ghost-user", "wrong password 1").status_code for _ in range(21)]
    assert codes[:4] == [401] * 4 and codes[4:20] == [423] * 16 and codes[20] == 429
    # The same name from another address, and another account, are not affected.
    assert login(client, "ghost-user", "wrong password 1", ELSEWHERE).status_code == 401
    assert login(client, office.username, otp=otp()).status_code == 200


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
