"""Handoff codes with an Idempotency-Key: no secret at rest, no replay after the window."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from backend.common import idempotency
from backend.common.clock import now
from backend.common.models import IdempotencyKey
from backend.pickup.models import GateAttempt
from tests.pickup.conftest import add_person, issue_code


def _issue(client, ns, person_id, key):
    return client.post(
        f"/api/v1/students/{ns.kid.id}/handoff-codes",
        json={"pickup_person_id": person_id},
        headers={**ns.h_parent, "Idempotency-Key": key},
    )


def _rows(db):
    db.expire_all()
    return db.scalars(sa.select(IdempotencyKey).order_by(IdempotencyKey.id)).all()


def test_the_stored_replay_holds_no_code_and_still_replays(client, db, pk):
    a = pk.a
    person = add_person(client, a)
    first = _issue(client, a, person["id"], "code-key-1")
    assert first.status_code == 201, first.json
    (row,) = [r for r in _rows(db) if r.principal == f"user:{a.parent.id}"]
    at_rest = f"{row.key} {row.response_body}"
    for secret in (first.json["code"], first.json["qr_token"], "code-key-1"):
        assert secret not in at_rest
    again = _issue(client, a, person["id"], "code-key-1")
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json == first.json


def test_after_the_window_the_store_serves_nothing_and_is_purged(app, client, db, pk):
    a = pk.a
    person = add_person(client, a)
    first = _issue(client, a, person["id"], "code-key-2")
    assert first.status_code == 201
    old = now() - idempotency.REPLAY_WINDOW - timedelta(minutes=1)
    db.execute(sa.update(IdempotencyKey).values(created_at=old))
    db.flush()
    later = _issue(client, a, person["id"], "code-key-2")
    assert later.status_code == 201 and "Idempotent-Replayed" not in later.headers
    assert later.json["id"] != first.json["id"]
    # The sweep deletes what is past the window and keeps what is not.
    other = _issue(client, a, person["id"], "code-key-3")
    assert other.status_code == 201
    db.execute(
        sa.update(IdempotencyKey).where(IdempotencyKey.id == _rows(db)[0].id).values(created_at=old)
    )
    db.flush()
    with app.app_context():
        assert idempotency.purge() == 1
    assert len(_rows(db)) == 1


def test_a_refused_keyed_confirm_keeps_the_attempt_log_and_releases_the_key(client, db, pk):
    """The gate commits its attempt log, then refuses: that work stays, the key does not."""
    a = pk.a
    code = issue_code(client, a, add_person(client, a)["id"])
    body = {"code": f"{(int(code['code']) + 1) % 10**6:06d}", "outcome": "released"}
    keyed = {**a.h_gate, "Idempotency-Key": "gate-key-1"}
    for _ in range(2):  # the key was released: the retry is tried afresh, not replayed
        r = client.post("/api/v1/gate/handoffs", json=body, headers=keyed)
        assert r.status_code == 404 and "Idempotent-Replayed" not in r.headers
    results = db.scalars(
        sa.select(GateAttempt.result).where(GateAttempt.gate_user_id == a.gate.id)
    ).all()
    assert results == ["not_found", "not_found"]
    assert db.scalar(sa.select(sa.func.count()).select_from(IdempotencyKey)) == 0
