"""Faults against real servers started here: Redis stopped mid-run, PostgreSQL dropping
its connections (a restart) and cut mid-transaction."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from backend.schools.models import GuardianLink
from tests import factories as f
from tests.conftest import PG_URL, REDIS_URL
from tests.faults.servers import AppServer, RedisServer, TcpProxy


def _env(app, fake_wechat, *, database_url=None, redis_url=None) -> dict:
    settings = app.extensions["kehou"]["settings"]
    return {
        "DATABASE_URL": database_url or settings.database_url,
        "REDIS_URL": redis_url or settings.redis_url or "",
        "SECRET_KEY": settings.secret_key,
        "WECHAT_API_BASE_URL": fake_wechat.base_url,
        "WECHAT_APPID": settings.wechat_appid,
        "WECHAT_SECRET": settings.wechat_secret,
        "KEHOU_ENV": "testing",
    }


def _family(db):
    """A pupil on the roster with a mother whose phone is verified, and a bound father."""
    s = f.school(db)
    kid = f.student(
        db,
        f.klass(db, f.grade(db, s)),
        name="周小雨",
        student_no="F001",
        guardians=[("周母", "13700000001", "mother")],
    )
    mother = f.user(db, openid="o_fault_mother", phone="13700000001")
    father = f.user(db, openid="o_fault_father")
    f.guardian_of(db, father, kid, relation="father")
    db.commit()
    return kid, mother


def _login(base, fake_wechat, openid) -> dict:
    r = requests.post(
        f"{base}/api/v1/auth/wechat-login",
        json={"code": fake_wechat.issue_code(openid)},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_redis_stopped_mid_run(app, committed, fake_wechat):
    redis = RedisServer()
    redis.start()
    env = _env(app, fake_wechat, redis_url=redis.url)
    server = AppServer(env)
    server.start()
    try:
        kid, _mother = _family(committed)
        assert requests.get(f"{server.base}/readyz", timeout=5).status_code == 200
        redis.stop()
        assert requests.get(f"{server.base}/readyz", timeout=10).status_code == 503

        # Sign-in still works: the database is the truth.
        h = _login(server.base, fake_wechat, "o_fault_mother")
        # The binding commits; its message waits in the outbox (the wake-up fails quietly).
        r = requests.post(
            f"{server.base}/api/v1/me/children",
            json={"student_no": "F001", "name": "周小雨"},
            headers=h,
            timeout=10,
        )
        assert r.status_code == 201, r.text

        # Rate limits fall back to per-process memory: role binding allows 10 a minute.
        statuses = [
            requests.post(
                f"{server.base}/api/v1/auth/role-binding",
                json={"binding_code": "NOPE234567"},
                headers=h,
                timeout=10,
            ).status_code
            for _ in range(11)
        ]
        assert statuses[:10] == [404] * 10 and statuses[10] == 429

        redis.start()  # back on the same port, empty
        worker = subprocess.run(
            [str(Path(sys.executable).parent / "flask"), "--app", "backend", "worker", "--burst"],
            env={**server.env},
            cwd=server.env.get("PWD") or None,
            capture_output=True,
            timeout=60,
        )
        assert worker.returncode == 0, worker.stderr.decode()[-2000:]
        assert [m["touser"] for m in fake_wechat.sent_messages] == ["o_fault_father"]
    finally:
        server.stop()
        redis.stop()


def test_database_restart_and_cut_mid_transaction(app, committed, fake_wechat, requires_pg):
    url = sa.make_url(PG_URL)
    proxy = TcpProxy(url.port or 5432)
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    server = AppServer(_env(app, fake_wechat, database_url=proxied, redis_url=REDIS_URL))
    server.start()
    try:
        _family(committed)
        h = _login(server.base, fake_wechat, "o_fault_mother")
        me = f"{server.base}/api/v1/me"
        assert requests.get(me, headers=h, timeout=10).status_code == 200

        proxy.drop_all()  # a restart: every pooled connection is dead
        assert requests.get(me, headers=h, timeout=10).status_code == 200  # pre-ping

        proxy.accepting = False
        proxy.drop_all()
        r = requests.get(me, headers=h, timeout=20)
        assert r.status_code == 503 and r.json()["error"] == "database_unavailable"
        assert r.headers.get("Retry-After")
        proxy.accepting = True
        assert requests.get(me, headers=h, timeout=10).status_code == 200

        # Cut the connection between the link row and its audit row: nothing half-written.
        proxy.cut_pattern = b"INSERT INTO audit_logs"
        body = {"student_no": "F001", "name": "周小雨"}
        r = requests.post(f"{server.base}/api/v1/me/children", json=body, headers=h, timeout=20)
        assert proxy.cuts == 1
        assert r.status_code == 503, r.text
        mother_id = committed.scalar(
            sa.text("SELECT id FROM users WHERE openid = 'o_fault_mother'")
        )
        links = committed.scalar(
            sa.select(sa.func.count())
            .select_from(GuardianLink)
            .where(GuardianLink.user_id == mother_id)
        )
        assert links == 0
        r = requests.post(f"{server.base}/api/v1/me/children", json=body, headers=h, timeout=20)
        assert r.status_code == 201
    finally:
        server.stop()
        proxy.close()


@pytest.fixture(autouse=True)
def _needs_binaries():
    import shutil

    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
