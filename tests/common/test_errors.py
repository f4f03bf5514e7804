"""The error body, languages, size limit and idempotency keys."""

from __future__ import annotations

import sqlalchemy as sa

from backend.schools.models import GuardianLink
from tests import factories as f


def test_error_body_shape_and_languages(client):
    r = client.get("/api/v1/me")
    assert r.status_code == 401
    assert r.json == {
        "code": 401,
        "status": "Unauthorized",
        "error": "unauthorized",
        "message": "请先登录",
    }
    r = client.get("/api/v1/me", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert r.json["message"] == "Authentication required"


def test_unknown_route_and_method(client, db):
    assert client.get("/api/v1/no-such-thing").json["error"] == "not_found"
    r = client.put("/api/v1/me", headers=f.auth(db, user_row=f.user(db)))
    assert r.status_code == 405 and r.json["error"] == "method_not_allowed"
    assert "GET" in r.headers["Allow"]


def test_oversized_body_is_413(client, db):
    h = f.auth(db, user_row=f.user(db))
    r = client.post(
        "/api/v1/me/children",
        data="x" * (2 * 1024 * 1024),
        headers=h,
        content_type="application/json",
    )
    assert r.status_code == 413 and r.json["error"] == "payload_too_large"


def test_bad_token_is_401(client):
    for header in ("Bearer nonsense", "Bearer ", "Basic abc"):
        r = client.get("/api/v1/me", headers={"Authorization": header})
        assert r.status_code == 401, header


def test_idempotency_key_replays_first_response(client, db):
    s = f.school(db)
    kid = f.student(
        db,
        f.klass(db, f.grade(db, s)),
        name="钱多",
        student_no="I1",
        guardians=[("钱父", "13900000021", "father")],
    )
    h = {**f.auth(db, user_row=f.user(db, phone="13900000021")), "Idempotency-Key": "k-1"}
    body = {"student_no": "I1", "name": "钱多"}
    first = client.post("/api/v1/me/children", json=body, headers=h)
    second = client.post("/api/v1/me/children", json=body, headers=h)
    assert first.status_code == second.status_code == 201
    assert first.json == second.json
    assert second.headers["Idempotent-Replayed"] == "true"
    assert (
        db.scalar(
            sa.select(sa.func.count())
            .select_from(GuardianLink)
            .where(GuardianLink.student_id == kid.id)
        )
        == 1
    )
    other = client.post(
        "/api/v1/me/children", json={"student_no": "I1", "name": "钱多多"}, headers=h
    )
    assert other.status_code == 422 and other.json["error"] == "idempotency_key_reused"


def test_failed_request_releases_its_idempotency_key(client, db):
    h = {**f.auth(db, user_row=f.user(db)), "Idempotency-Key": "k-2"}
    body = {"student_no": "none", "name": "无名"}
    assert client.post("/api/v1/me/children", json=body, headers=h).status_code == 403
    assert client.post("/api/v1/me/children", json=body, headers=h).status_code == 403


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json["checks"] == {"database": "ok", "redis": "ok"}


def test_idempotency_key_with_real_connections(app, committed):
    """With real commits: the key is claimed in the request's own transaction (which the
    auth read began), so nothing waits on a lock of its own request (SQLite's write lock
    is taken by any open transaction), and the repeat is replayed."""
    import time

    s = f.school(committed)
    f.student(
        committed,
        f.klass(committed, f.grade(committed, s)),
        name="吴用",
        student_no="R1",
        guardians=[("吴父", "13900000031", "father")],
    )
    parent = f.user(committed, phone="13900000031")
    headers = {**f.auth(committed, user_row=parent), "Idempotency-Key": "real-1"}
    committed.commit()
    body = {"student_no": "R1", "name": "吴用"}
    with app.test_client() as c:
        started = time.monotonic()
        first = c.post("/api/v1/me/children", json=body, headers=headers)
        second = c.post("/api/v1/me/children", json=body, headers=headers)
        elapsed = time.monotonic() - started
    assert first.status_code == 201, first.json
    assert second.status_code == 201 and second.headers["Idempotent-Replayed"] == "true"
    assert elapsed < 5
