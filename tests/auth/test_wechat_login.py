"""POST /api/v1/auth/wechat-login over HTTP, with the fake WeChat behind a real socket."""

from __future__ import annotations

import logging
import threading

import pytest
import sqlalchemy as sa

from backend.auth.models import User
from tests import factories

LOGIN = "/api/v1/auth/wechat-login"


def _users(db) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(User))


def test_first_login_creates_the_user(client, db, fake_wechat):
    res = client.post(LOGIN, json={"code": fake_wechat.issue_code("o_new", unionid="u_new")})
    assert res.status_code == 200
    body = res.get_json()
    assert set(body) >= {"access_token", "refresh_token", "expires_in", "user"}
    assert body["expires_in"] > 0 and body["user"]["roles"] == []
    user = db.get(User, body["user"]["id"])
    assert user.openid == "o_new" and user.unionid == "u_new" and user.last_login_at


def test_second_login_same_user(client, fake_wechat):
    first = client.post(LOGIN, json={"code": fake_wechat.issue_code("o_twice")}).get_json()
    second = client.post(LOGIN, json={"code": fake_wechat.issue_code("o_twice")}).get_json()
    assert first["user"]["id"] == second["user"]["id"]
    assert first["access_token"] != second["access_token"]


def test_roles_are_returned(client, db, fake_wechat):
    school = factories.school(db)
    klass = factories.klass(db, factories.grade(db, school))
    kid = factories.student(db, klass)
    user = factories.user(db, openid="o_teacher_parent")
    factories.guardian_of(db, user, kid)
    factories.grant(db, user, school, "head_teacher", class_id=klass.id)
    body = client.post(LOGIN, json={"code": fake_wechat.issue_code("o_teacher_parent")}).get_json()
    assert body["user"]["id"] == user.id
    assert body["user"]["roles"] == [
        {"role": "guardian", "school_id": school.id},
        {"role": "head_teacher", "school_id": school.id, "class_id": klass.id},
    ]


def test_demo_code(client):
    res = client.post(LOGIN, json={"code": "demo-parent"})
    assert res.status_code == 200


def test_invalid_code(client, db):
    res = client.post(LOGIN, json={"code": "made-up"})
    assert res.status_code == 401
    assert res.get_json()["error"] == "wechat_code_invalid"
    assert res.get_json()["message"]
    assert _users(db) == 0


def test_used_code(client, fake_wechat):
    code = fake_wechat.issue_code("o_once")
    assert client.post(LOGIN, json={"code": code}).status_code == 200
    res = client.post(LOGIN, json={"code": code})
    assert res.status_code == 401 and res.get_json()["error"] == "wechat_code_invalid"


def test_expired_code(client, fake_wechat):
    res = client.post(LOGIN, json={"code": fake_wechat.issue_code("o_late", expired=True)})
    assert res.status_code == 401 and res.get_json()["error"] == "wechat_code_invalid"


def test_english_message(client):
    res = client.post(LOGIN, json={"code": "made-up"}, headers={"Accept-Language": "en"})
    assert res.get_json()["error"] == "wechat_code_invalid"
    assert "WeChat login code" in res.get_json()["message"]
    zh = client.post(LOGIN, json={"code": "made-up-2"}).get_json()["message"]
    assert "微信" in zh


@pytest.fixture
def short_timeout(app, monkeypatch):
    # Configuration, not code: the gateway reads its HTTP timeout from the settings.
    monkeypatch.setattr(app.extensions["kehou"]["settings"], "wechat_timeout_seconds", 0.5)


@pytest.mark.parametrize("mode", ["500", "timeout", "garbage"])
def test_wechat_unavailable_writes_nothing(client, db, fake_wechat, short_timeout, mode):
    code = fake_wechat.issue_code("o_unlucky")
    fake_wechat.fail_next(1, mode)
    res = client.post(LOGIN, json={"code": code})
    assert res.status_code == 503
    assert res.get_json()["error"] == "wechat_unavailable"
    assert _users(db) == 0


def test_session_key_never_leaves_the_server(client, db, fake_wechat, caplog):
    caplog.set_level(logging.DEBUG)
    # The kehou loggers do not propagate to the root, where caplog listens.
    logging.getLogger("kehou").addHandler(caplog.handler)
    try:
        code = fake_wechat.issue_code("o_secret", unionid="u_secret")
        res = client.post(LOGIN, json={"code": code})
        again = client.post(LOGIN, json={"code": code})  # used code: the error path too
    finally:
        logging.getLogger("kehou").removeHandler(caplog.handler)
    assert res.status_code == 200 and again.status_code == 401
    keys = fake_wechat.issued_session_keys
    assert len(keys) == 1
    for key in keys:
        assert key not in res.get_data(as_text=True)
        assert key not in again.get_data(as_text=True)
        assert not [r for r in caplog.records if key in r.getMessage()]
        assert key not in caplog.text
    # Nor is the login code itself written to a log line.
    assert code not in caplog.text
    user = db.scalar(sa.select(User).where(User.openid == "o_secret"))
    assert all(key not in str(getattr(user, c.key)) for c in User.__table__.columns)


def test_rate_limited_per_code(client, fake_wechat):
    code = fake_wechat.issue_code("o_spam")
    statuses = [client.post(LOGIN, json={"code": code}).status_code for _ in range(11)]
    assert statuses[0] == 200 and set(statuses[1:10]) == {401}
    assert statuses[10] == 429
    res = client.post(LOGIN, json={"code": code})
    assert res.get_json()["error"] == "rate_limited" and res.headers.get("Retry-After")
    # Another code from the same address is not held back.
    assert client.post(LOGIN, json={"code": "demo-other"}).status_code == 200


def test_one_address_may_sign_in_a_hundred_times_a_minute(client):
    # Families share carrier NAT addresses (API.md: at least 100 sign-ins a minute).
    statuses = {client.post(LOGIN, json={"code": f"demo-nat{i}"}).status_code for i in range(101)}
    assert statuses == {200}


def test_concurrent_first_logins_make_one_user(app, committed, fake_wechat):
    codes = [fake_wechat.issue_code("o_racer") for _ in range(8)]
    barrier = threading.Barrier(len(codes))
    results: list = [None] * len(codes)

    def login(i):
        client = app.test_client()
        barrier.wait()
        results[i] = client.post(LOGIN, json={"code": codes[i]})

    threads = [threading.Thread(target=login, args=(i,)) for i in range(len(codes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [r.status_code for r in results] == [200] * len(codes)
    assert len({r.get_json()["user"]["id"] for r in results}) == 1
    assert committed.scalar(sa.select(sa.func.count()).select_from(User)) == 1
