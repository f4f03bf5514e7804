"""Handoff codes and the gate: verify, release, refuse, expiry, scope and the brute-force lock."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.common.clock import now
from backend.notifications.models import OutboxMessage
from backend.pickup import gate_guard
from backend.pickup.models import (
    GateAttempt,
    GateFailure,
    GateGuard,
    Handoff,
    HandoffCode,
    PickupNotice,
)
from backend.terms.models import CalendarOverride
from tests import factories as f
from tests.pickup.conftest import add_person, build, issue_code

VERIFY, HANDOFFS = "/api/v1/gate/verify", "/api/v1/gate/handoffs"


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def _attempts(db, **where):
    query = sa.select(GateAttempt.result).order_by(GateAttempt.id)
    for key, value in where.items():
        query = query.where(getattr(GateAttempt, key) == value)
    return db.scalars(query).all()


def test_issue_code_shape_and_rules(client, db, pk):
    a = pk.a
    person = add_person(client, a)
    code = issue_code(client, a, person["id"])
    assert len(code["code"]) == 6 and code["code"].isdigit()
    assert len(code["qr_token"]) > 40 and code["expires_at"].endswith("+08:00")
    row = db.get(HandoffCode, code["id"])
    # only digests are kept
    assert code["code"] not in (row.code_hash, row.token_hash)
    assert code["qr_token"] not in (row.code_hash, row.token_hash)
    # a person of another pupil, or a delegate for another day, cannot get a code
    other = add_person(client, pk.b)
    url = f"/api/v1/students/{a.kid.id}/handoff-codes"
    r = client.post(url, json={"pickup_person_id": other["id"]}, headers=a.h_parent)
    assert r.status_code == 422 and r.json["error"] == "invalid_pickup_person"
    later = add_person(client, a, valid_on=(pk.today + timedelta(days=1)).isoformat())
    r = client.post(url, json={"pickup_person_id": later["id"]}, headers=a.h_parent)
    assert r.status_code == 422
    for _ in range(4):
        issue_code(client, a, person["id"])
    r = client.post(url, json={"pickup_person_id": person["id"]}, headers=a.h_parent)
    assert r.status_code == 409 and r.json["error"] == "too_many_codes"
    assert (
        client.post(url, json={"pickup_person_id": person["id"]}, headers=pk.b.h_parent).status_code
        == 404
    )
    assert (
        client.post(url, json={"pickup_person_id": person["id"]}, headers=a.h_gate).status_code
        == 404
    )
    assert client.post(url, json={"pickup_person_id": "1"}, headers=a.h_parent).status_code == 422


def test_no_code_on_a_day_without_service(client, db, pk):
    a = pk.a
    person = add_person(client, a)
    db.execute(sa.delete(CalendarOverride).where(CalendarOverride.term_id == a.term.id))
    db.add(CalendarOverride(term_id=a.term.id, day=pk.today, is_service_day=False))
    db.flush()
    r = client.post(
        f"/api/v1/students/{a.kid.id}/handoff-codes",
        json={"pickup_person_id": person["id"]},
        headers=a.h_parent,
    )
    assert r.status_code == 422 and r.json["error"] == "not_a_service_day"


def test_verify_by_code_and_by_qr(client, db, pk):
    a = pk.a
    person = add_person(client, a, name="王奶奶", phone="13512345678")
    code = issue_code(client, a, person["id"])
    r = client.post(VERIFY, json={"code": code["code"]}, headers=a.h_gate)
    assert r.status_code == 200, r.json
    assert r.json["student"]["id"] == a.kid.id
    assert r.json["student"]["class_name"] == a.classes[0].name
    assert (
        r.json["person"]["name"] == "王奶奶" and r.json["person"]["phone_masked"] == "135****5678"
    )
    assert r.json["notice"] is None
    by_qr = client.post(VERIFY, json={"qr_token": code["qr_token"]}, headers=a.h_gate).json
    assert by_qr["person"] == r.json["person"]
    # verifying does not use the code up
    assert db.get(HandoffCode, code["id"]).status == "active"
    assert _attempts(db, gate_user_id=a.gate.id) == ["ok", "ok"]


def test_another_schools_gate_gets_404_and_the_attempt_is_logged(client, db, pk):
    a, b = pk.a, pk.b
    code = issue_code(client, a, add_person(client, a)["id"])
    for body in ({"code": code["code"]}, {"qr_token": code["qr_token"]}):
        for url in (VERIFY, HANDOFFS):
            payload = {**body, "outcome": "released"} if url == HANDOFFS else body
            r = client.post(url, json=payload, headers=b.h_gate)
            assert r.status_code == 404 and r.json["error"] == "code_not_found"
    assert db.get(HandoffCode, code["id"]).status == "active"
    assert _attempts(db, gate_user_id=b.gate.id) == ["not_found"] * 2 + ["other_school"] * 2
    # a tampered token is just not found
    r = client.post(VERIFY, json={"qr_token": code["qr_token"][:-2] + "xx"}, headers=a.h_gate)
    assert r.status_code == 404


def test_only_gate_staff(client, db, pk):
    a = pk.a
    code = issue_code(client, a, add_person(client, a)["id"])
    for headers in (a.h_parent, a.h_teacher, a.h_committee):
        r = client.post(VERIFY, json={"code": code["code"]}, headers=headers)
        assert r.status_code == 403
        r = client.post(
            HANDOFFS, json={"code": code["code"], "outcome": "released"}, headers=headers
        )
        assert r.status_code == 403
    assert client.post(VERIFY, json={"code": code["code"]}).status_code == 401
    assert client.post(VERIFY, json={"code": code["code"]}, headers=a.h_office).status_code == 401
    assert db.scalar(sa.select(sa.func.count()).select_from(GateAttempt)) == 0


def test_release_closes_the_day(client, db, pk, app, fake_wechat):
    a = pk.a
    person = add_person(client, a)
    client.post(
        "/api/v1/pickup-notices",
        json={
            "student_id": a.kid.id,
            "date": pk.today.isoformat(),
            "kind": "regular",
            "pickup_person_id": person["id"],
        },
        headers=a.h_parent,
    )
    code = issue_code(client, a, person["id"])
    spare = issue_code(client, a, person["id"])
    r = client.post(
        HANDOFFS, json={"qr_token": code["qr_token"], "outcome": "released"}, headers=a.h_gate
    )
    assert r.status_code == 201, r.json
    assert r.json["student_id"] == a.kid.id and r.json["outcome"] == "released"
    assert r.json["at"].endswith("+08:00")
    handoff = db.get(Handoff, r.json["id"])
    assert (handoff.gate_user_id, handoff.person_id) == (a.gate.id, person["id"])
    assert db.get(HandoffCode, code["id"]).status == "used"
    assert db.get(HandoffCode, spare["id"]).status == "void"
    notice = db.scalar(sa.select(PickupNotice).where(PickupNotice.student_id == a.kid.id))
    assert notice.status == "handed_over"
    again = client.post(
        HANDOFFS, json={"code": code["code"], "outcome": "released"}, headers=a.h_gate
    )
    assert again.status_code == 409 and again.json["error"] == "code_used"
    assert (
        client.post(VERIFY, json={"qr_token": code["qr_token"]}, headers=a.h_gate).status_code
        == 409
    )
    r = client.post(
        f"/api/v1/students/{a.kid.id}/handoff-codes",
        json={"pickup_person_id": person["id"]},
        headers=a.h_parent,
    )
    assert r.status_code == 409 and r.json["error"] == "already_handed_over"
    r = client.post(
        "/api/v1/pickup-notices",
        json={"student_id": a.kid.id, "date": pk.today.isoformat(), "kind": "absent"},
        headers=a.h_parent,
    )
    assert r.status_code == 409
    recipients = db.scalars(
        sa.select(OutboxMessage.user_id).where(OutboxMessage.kind == "handoff_released")
    ).all()
    assert sorted(recipients) == sorted([a.parent.id, a.other_parent.id])
    assert db.scalar(sa.select(AuditLog.action).where(AuditLog.object_type == "handoff")) == (
        "handoff.released"
    )


def test_refusal_voids_the_code_alerts_and_a_delegate_can_follow(client, db, pk):
    a = pk.a
    person = add_person(client, a)
    code = issue_code(client, a, person["id"])
    r = client.post(
        HANDOFFS,
        json={"code": code["code"], "outcome": "refused", "reason": "与照片不符"},
        headers=a.h_gate,
    )
    assert r.status_code == 201 and r.json["outcome"] == "refused"
    assert r.json["reason"] == "与照片不符"
    r = client.post(VERIFY, json={"code": code["code"]}, headers=a.h_gate)
    # the digits no longer name an active code; the refused one is reported void
    assert r.status_code == 410 and r.json["error"] == "code_void"
    alerts = db.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "handoff_refused")
    ).all()
    assert sorted(m.user_id for m in alerts) == sorted([a.parent.id, a.other_parent.id])
    assert "临时接送人" in alerts[0].payload["fields"]["thing4"]
    delegate = add_person(client, a, name="李叔叔", relation="other", valid_on=pk.today.isoformat())
    fresh = issue_code(client, a, delegate["id"])
    r = client.post(HANDOFFS, json={"code": fresh["code"], "outcome": "released"}, headers=a.h_gate)
    assert r.status_code == 201
    board = client.get(f"/api/v1/classes/{a.classes[0].id}/dismissal", headers=a.h_teacher).json
    row = next(x for x in board if x["student_id"] == a.kid.id)
    assert row["status"] == "handed_over" and row["person"]["name"] == "李叔叔"


def test_expired_codes(client, db, pk):
    a = pk.a
    person = add_person(client, a)
    code = issue_code(client, a, person["id"])
    row = db.get(HandoffCode, code["id"])
    row.expires_at = now() - timedelta(seconds=1)
    db.flush()
    r = client.post(VERIFY, json={"code": code["code"]}, headers=a.h_gate)
    assert r.status_code == 410 and r.json["error"] == "code_expired"
    r = client.post(HANDOFFS, json={"code": code["code"], "outcome": "released"}, headers=a.h_gate)
    assert r.status_code == 410
    # yesterday's QR code
    old = issue_code(client, a, person["id"])
    row = db.get(HandoffCode, old["id"])
    row.service_date = pk.today - timedelta(days=1)
    db.flush()
    r = client.post(VERIFY, json={"qr_token": old["qr_token"]}, headers=a.h_gate)
    assert r.status_code == 410
    assert db.scalar(sa.select(sa.func.count()).select_from(Handoff)) == 0


def test_five_wrong_codes_lock_code_entry(client, db, pk):
    a = pk.a
    code = issue_code(client, a, add_person(client, a)["id"])
    wrong = _wrong(code["code"])
    for _ in range(5):
        r = client.post(VERIFY, json={"code": wrong}, headers=a.h_gate)
        assert r.status_code == 404
    r = client.post(VERIFY, json={"code": code["code"]}, headers=a.h_gate)
    assert r.status_code == 423 and r.json["error"] == "verification_locked"
    assert 800 < int(r.headers["Retry-After"]) <= 900
    r = client.post(HANDOFFS, json={"code": code["code"], "outcome": "released"}, headers=a.h_gate)
    assert r.status_code == 423
    assert db.get(HandoffCode, code["id"]).status == "active"
    # the scanned QR code is not guessable and still works; another gate account is not locked
    assert (
        client.post(VERIFY, json={"qr_token": code["qr_token"]}, headers=a.h_gate).status_code
        == 200
    )
    colleague = f.user(db)
    f.grant(db, colleague, a.school, "gate_staff")
    h2 = f.auth(db, user_row=colleague)
    assert client.post(VERIFY, json={"code": code["code"]}, headers=h2).status_code == 200
    assert _attempts(db, gate_user_id=a.gate.id) == ["not_found"] * 5 + ["locked"] * 2 + ["ok"]
    # after the lock time the right code works again
    guard = db.scalar(sa.select(GateGuard).where(GateGuard.gate_user_id == a.gate.id))
    guard.locked_until = now() - timedelta(seconds=1)
    db.flush()
    assert client.post(VERIFY, json={"code": code["code"]}, headers=a.h_gate).status_code == 200


def test_a_right_code_clears_no_wrong_try_and_the_lock_holds_without_redis(client, db, pk, app):
    import redis

    a = pk.a
    code = issue_code(client, a, add_person(client, a)["id"])
    wrong = _wrong(code["code"])
    for _ in range(4):
        client.post(VERIFY, json={"code": wrong}, headers=a.h_gate)
    assert client.post(VERIFY, json={"code": code["code"]}, headers=a.h_gate).status_code == 200
    ext = app.extensions["kehou"]
    original = ext["redis"]
    ext["redis"] = redis.Redis(port=1, socket_connect_timeout=0.2)  # Redis is down
    try:
        # The fifth wrong try in the window locks, the right code in between notwithstanding.
        assert client.post(VERIFY, json={"code": wrong}, headers=a.h_gate).status_code == 404
        r = client.post(VERIFY, json={"code": code["code"]}, headers=a.h_gate)
        assert r.status_code == 423
    finally:
        ext["redis"] = original


def test_wrong_codes_interleaved_with_a_known_good_one_still_lock(client, db, pk):
    a = pk.a
    code = issue_code(client, a, add_person(client, a)["id"])
    guesses = [f"{n:06d}" for n in range(100000, 100020) if f"{n:06d}" != code["code"]][:20]
    statuses = []
    for guess in guesses:
        good = client.post(VERIFY, json={"code": code["code"]}, headers=a.h_gate)
        statuses.append(good.status_code)
        statuses.append(client.post(VERIFY, json={"code": guess}, headers=a.h_gate).status_code)
        if statuses[-1] == 423:
            break
    assert statuses[-1] == 423 and len(statuses) <= 12, statuses
    assert statuses.count(404) == 5


def test_wrong_tries_slide_out_of_the_window(client, db, pk):
    a = pk.a
    code = issue_code(client, a, add_person(client, a)["id"])
    wrong = _wrong(code["code"])
    for _ in range(4):
        client.post(VERIFY, json={"code": wrong}, headers=a.h_gate)
    db.execute(
        sa.update(GateFailure).values(at=now() - gate_guard.FAILURE_WINDOW - timedelta(seconds=1))
    )
    db.flush()
    for _ in range(4):
        assert client.post(VERIFY, json={"code": wrong}, headers=a.h_gate).status_code == 404
    assert client.post(VERIFY, json={"code": code["code"]}, headers=a.h_gate).status_code == 200


def test_a_schools_gates_together_are_throttled(client, db, pk):
    a = pk.a
    code = issue_code(client, a, add_person(client, a)["id"])
    wrong = _wrong(code["code"])
    per_account = gate_guard.LOCK_AFTER - 1  # each account stays under its own lock
    accounts = -(-gate_guard.SCHOOL_LOCK_AFTER // per_account)
    for _ in range(accounts):
        colleague = f.user(db)
        f.grant(db, colleague, a.school, "gate_staff")
        h = f.auth(db, user_row=colleague)
        for _ in range(per_account):
            client.post(VERIFY, json={"code": wrong}, headers=h)
    # Every gate account of the school now waits; QR tokens and other schools do not.
    r = client.post(VERIFY, json={"code": code["code"]}, headers=a.h_gate)
    assert r.status_code == 423 and r.json["error"] == "verification_locked"
    assert 0 < int(r.headers["Retry-After"]) <= 900
    qr = client.post(VERIFY, json={"qr_token": code["qr_token"]}, headers=a.h_gate)
    assert qr.status_code == 200
    b = pk.b
    other = issue_code(client, b, add_person(client, b)["id"])
    assert client.post(VERIFY, json={"code": other["code"]}, headers=b.h_gate).status_code == 200


def test_gate_input_validation(client, db, pk):
    a = pk.a
    code = issue_code(client, a, add_person(client, a)["id"])
    for body in (
        {},
        {"code": code["code"], "qr_token": code["qr_token"]},
        {"code": "12345"},
        {"code": 123456},
        {"code": "abcdef"},
        {"code": code["code"], "extra": True},
    ):
        assert client.post(VERIFY, json=body, headers=a.h_gate).status_code == 422, body
    for body in (
        {"code": code["code"]},
        {"code": code["code"], "outcome": "maybe"},
        {"code": code["code"], "outcome": "refused", "reason": "x" * 201},
    ):
        assert client.post(HANDOFFS, json=body, headers=a.h_gate).status_code == 422, body
    assert db.scalar(sa.select(sa.func.count()).select_from(GateAttempt)) == 0


def test_verification_is_rate_limited_per_gate_account(client, db, pk):
    a = pk.a
    code = issue_code(client, a, add_person(client, a)["id"])
    statuses = [
        client.post(VERIFY, json={"qr_token": code["qr_token"]}, headers=a.h_gate).status_code
        for _ in range(61)
    ]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429
    colleague = f.user(db)
    f.grant(db, colleague, a.school, "gate_staff")
    r = client.post(
        VERIFY, json={"qr_token": code["qr_token"]}, headers=f.auth(db, user_row=colleague)
    )
    assert r.status_code == 200


def _race(app, headers, bodies) -> list[tuple[int, str | None]]:
    """Send the bodies at the same moment from separate gate devices (threads)."""
    barrier = threading.Barrier(len(bodies))
    outcome = []

    def go(h, body):
        with app.test_client() as c:
            barrier.wait()
            r = c.post(HANDOFFS, json=body, headers=h)
            outcome.append((r.status_code, r.json.get("error")))

    threads = [
        threading.Thread(target=go, args=(h, b)) for h, b in zip(headers, bodies, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcome


def _two_gates(db, a):
    second_gate = f.user(db)
    f.grant(db, second_gate, a.school, "gate_staff")
    return [a.h_gate, f.auth(db, user_row=second_gate)]


def test_one_code_confirmed_from_two_gates_at_once(app, committed, requires_pg):
    """Two gate devices confirm the same code at the same moment: exactly one handoff."""
    db = committed
    a = build(db).a
    headers = _two_gates(db, a)
    for kid in (a.classmate, a.other_class_kid):
        f.guardian_of(db, a.parent, kid)
    db.commit()
    results = []
    for kid in (a.kid, a.classmate, a.other_class_kid):
        with app.test_client() as c:
            r = c.post(
                f"/api/v1/students/{kid.id}/pickup-persons",
                json={"name": "赵爷爷", "relation": "grandfather", "phone": f"133{f.n():08d}"},
                headers=a.h_parent,
            )
            code = issue_code(c, a, r.json["id"], student=kid)
        bodies = [
            {"code": code["code"], "outcome": "released"},
            {"qr_token": code["qr_token"], "outcome": "released"},
        ]
        results.append(sorted(_race(app, headers, bodies)))
    assert results == [[(201, None), (409, "code_used")]] * 3
    db.rollback()
    assert db.scalar(sa.select(sa.func.count()).select_from(Handoff)) == 3
    used = sa.select(sa.func.count()).select_from(HandoffCode).where(HandoffCode.status == "used")
    assert db.scalar(used) == 3


def test_two_codes_of_one_pupil_released_at_once(app, committed, requires_pg):
    """Two different codes of the same pupil at two gates: the pupil leaves once."""
    db = committed
    a = build(db).a
    headers = _two_gates(db, a)
    db.commit()
    with app.test_client() as c:
        codes = [issue_code(c, a, add_person(c, a)["id"]) for _ in range(2)]
    bodies = [{"code": code["code"], "outcome": "released"} for code in codes]
    outcome = sorted(_race(app, headers, bodies))
    db.rollback()
    assert db.scalar(sa.select(sa.func.count()).select_from(Handoff)) == 1
    assert outcome[0] == (201, None)
    assert outcome[1] in ((409, "already_handed_over"), (410, "code_void"))


def test_six_digit_codes_are_unique_among_the_schools_active_codes(client, db, pk, monkeypatch):
    """A drawn code that another active code of the school has today is drawn again."""
    import backend.pickup.codes as codes_module

    a = pk.a
    first = issue_code(client, a, add_person(client, a)["id"])
    draws = iter([int(first["code"]), int(first["code"]), 424242])
    monkeypatch.setattr(codes_module.secrets, "randbelow", lambda _n: next(draws))
    second = issue_code(client, a, add_person(client, a)["id"])
    assert second["code"] == "424242"
    # once the first code is used, its digits may be given out again
    client.post(HANDOFFS, json={"code": first["code"], "outcome": "refused"}, headers=a.h_gate)
    draws = iter([int(first["code"])])
    third = issue_code(client, a, add_person(client, a)["id"])
    assert third["code"] == first["code"]
    r = client.post(VERIFY, json={"code": first["code"]}, headers=a.h_gate)
    assert r.status_code == 200 and r.json["code"]["id"] == third["id"]


def test_verify_shows_the_notices_pickup_person_as_the_guardian_sees_it(client, db, pk):
    a = pk.a
    person = add_person(client, a)
    other = add_person(client, a, name="李叔叔", relation="other")
    for named in (person, other):
        client.post(
            "/api/v1/pickup-notices",
            json={
                "student_id": a.kid.id,
                "date": pk.today.isoformat(),
                "kind": "regular",
                "pickup_person_id": named["id"],
            },
            headers=a.h_parent,
        )
        guardian = client.get("/api/v1/pickup-notices", headers=a.h_parent).json[0]
        code = issue_code(client, a, person["id"])
        r = client.post(VERIFY, json={"code": code["code"]}, headers=a.h_gate)
        assert r.status_code == 200, r.json
        assert r.json["notice"]["pickup_person"] == guardian["pickup_person"]
        assert r.json["notice"]["pickup_person"]["id"] == named["id"]
    assert r.json["warnings"] == ["person_differs_from_notice"]
