"""Lottery terms over HTTP: preferences, the committed seed, the draw, published inputs
that scripts/verify_lottery.py recomputes, and the wrong callers."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from backend.common.clock import now
from backend.courses.models import Course, Selection
from tests import factories as f
from tests.courses.helpers import fcfs_world

ROOT = Path(__file__).resolve().parents[2]
SEED = "autumn-2026-lottery-seed-7f3a"
SEED_HASH = hashlib.sha256(SEED.encode()).hexdigest()


def _verifier():
    spec = importlib.util.spec_from_file_location(
        "verify_lottery", ROOT / "scripts" / "verify_lottery.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _world(db):
    x = fcfs_world(db, selection_mode="lottery")
    sid, tid = x.a["school"].id, x.term.id
    x.admin_url = f"/admin/api/v1/schools/{sid}/terms/{tid}/lottery"
    x.app_url = f"/api/v1/terms/{tid}"
    return x


def _prefs(client, x, headers, student, course_ids):
    return client.put(
        f"{x.app_url}/preferences/{student.id}", json={"course_ids": course_ids}, headers=headers
    )


def _close_window(db, x):
    x.term.selection_closes_at = now() - timedelta(minutes=1)
    db.flush()


def test_full_lottery_round_trip_is_verifiable(client, db, tmp_path):
    x = _world(db)
    chess = f.course(db, x.term, capacity=1, weekdays=[1], name="围棋")
    art = f.course(db, x.term, capacity=2, weekdays=[2], name="美术")
    clash = f.course(db, x.term, capacity=5, weekdays=[1], name="象棋")  # clashes with 围棋
    (c1, _, h1), (c2, _, h2), (c3, _, h3) = x.families
    x.kid.priority_flags = ["left_behind"]
    db.flush()

    r = client.get(x.app_url + "/lottery", headers=x.h)
    assert r.status_code == 200 and r.json["seed_hash"] is None and "algorithm" in r.json
    r = client.post(x.admin_url + "/commit", json={"seed_hash": SEED_HASH}, headers=x.office)
    assert r.status_code == 201 and r.json["seed_hash"] == SEED_HASH
    again = client.post(x.admin_url + "/commit", json={"seed_hash": "b" * 64}, headers=x.office)
    assert again.status_code == 409 and again.json["error"] == "lottery_already_committed"
    seen = client.get(x.app_url + "/lottery", headers=h1).json
    assert seen["seed_hash"] == SEED_HASH and "seed" not in seen

    for headers, kid in ((x.h, x.kid), (h1, c1), (h2, c2), (h3, c3)):
        r = _prefs(client, x, headers, kid, [chess.id, clash.id, art.id])
        assert r.status_code == 200, r.json
        assert r.json["course_ids"] == [chess.id, clash.id, art.id]
    assert client.get(f"{x.app_url}/preferences/{c1.id}", headers=h1).json["course_ids"][0] == (
        chess.id
    )
    r = client.post(x.admin_url + "/draw", json={"seed": SEED}, headers=x.office)
    assert r.status_code == 409 and r.json["error"] == "lottery_window_open"
    r = client.get(x.app_url + "/lottery/inputs", headers=x.h)
    assert r.status_code == 404 and r.json["error"] == "lottery_not_drawn"

    _close_window(db, x)
    r = _prefs(client, x, x.h, x.kid, [art.id])
    assert r.status_code == 409 and r.json["error"] == "selection_closed"
    r = client.post(x.admin_url + "/draw", json={"seed": "not-the-seed"}, headers=x.office)
    assert r.status_code == 422 and r.json["error"] == "seed_mismatch"
    assert db.scalar(sa.select(sa.func.count()).select_from(Selection)) == 0
    r = client.post(x.admin_url + "/draw", json={"seed": SEED}, headers=x.office)
    assert r.status_code == 200, r.json
    assert r.json["seed"] == SEED and r.json["placed"] > 0
    r = client.post(x.admin_url + "/draw", json={"seed": SEED}, headers=x.office)
    assert r.status_code == 409 and r.json["error"] == "lottery_already_drawn"

    # the priority pupil won the one-seat first choice
    won = db.scalar(
        sa.select(Selection.student_id).where(
            Selection.course_id == chess.id, Selection.status == "confirmed"
        )
    )
    assert won == x.kid.id
    for course in (chess, art, clash):
        db.refresh(course)
        confirmed = db.scalar(
            sa.select(sa.func.count())
            .select_from(Selection)
            .where(Selection.course_id == course.id, Selection.status == "confirmed")
        )
        assert course.seats_taken == confirmed <= course.capacity
    # nobody holds two clashing seats, nobody more than the limit
    mine = client.get("/api/v1/selections", query_string={"student_id": x.kid.id}, headers=x.h)
    statuses = {s["course_id"]: s["status"] for s in mine.json}
    assert statuses[chess.id] == "confirmed" and statuses[clash.id] == "waitlisted"
    assert statuses[art.id] == "confirmed"

    view = client.get(x.app_url + "/lottery", headers=x.h).json
    assert view["seed"] == SEED and view["drawn_at"]
    assert [p["student_id"] for p in view["my_pupils"]] == [x.kid.id]
    published = client.get(x.app_url + "/lottery/inputs", headers=h2).json
    assert published["seed_hash"] == SEED_HASH
    pids = {p["id"] for p in published["inputs"]["pupils"]}
    assert view["my_pupils"][0]["pseudonymous_id"] in pids
    assert str(x.kid.id) not in pids and len(pids) == 4
    path = tmp_path / "published.json"
    path.write_text(json.dumps(published, ensure_ascii=False))
    assert _verifier().main([str(path)]) == 0


def test_preference_refusals(client, db):
    x = _world(db)
    course = f.course(db, x.term)
    high = f.course(db, x.term, min_grade=7, max_grade=9)
    other_term = f.course(db, f.term(db, x.b["school"]))
    cases = [
        ([course.id, course.id], 422, "invalid_preferences"),
        ([other_term.id], 422, "invalid_preferences"),
        ([high.id], 422, "grade_not_eligible"),
    ]
    for ids, status, code in cases:
        r = _prefs(client, x, x.h, x.kid, ids)
        assert (r.status_code, r.json["error"]) == (status, code), r.json
    r = client.put(f"{x.app_url}/preferences/{x.kid.id}", json={"course_ids": ["1"]}, headers=x.h)
    assert r.status_code == 422 and r.json["error"] == "validation_error"
    r = client.put(
        f"{x.app_url}/preferences/{x.kid.id}", json={"course_ids": list(range(1, 12))}, headers=x.h
    )
    assert r.status_code == 422
    sibling = f.student(db, x.a["classes"][0])
    f.guardian_of(db, x.parent, sibling)
    r = _prefs(client, x, x.h, sibling, [course.id])
    assert r.status_code == 403 and r.json["error"] == "not_enrolled"
    assert client.get(f"{x.app_url}/preferences/{x.kid.id}", headers=x.h).json["course_ids"] == []
    assert _prefs(client, x, x.h, x.kid, []).status_code == 200
    x.term.selection_mode = "fcfs"
    db.flush()
    r = _prefs(client, x, x.h, x.kid, [course.id])
    assert r.status_code == 409 and r.json["error"] == "not_lottery_term"


def test_commit_and_draw_refusals(client, db):
    x = _world(db)
    r = client.post(x.admin_url + "/commit", json={"seed_hash": "xyz"}, headers=x.office)
    assert r.status_code == 422 and "seed_hash" in r.json["errors"]
    _close_window(db, x)
    r = client.post(x.admin_url + "/draw", json={"seed": SEED}, headers=x.office)
    assert r.status_code == 409 and r.json["error"] == "lottery_not_committed"
    r = client.post(x.admin_url + "/commit", json={"seed_hash": SEED_HASH}, headers=x.office)
    assert r.status_code == 409 and r.json["error"] == "lottery_commit_too_late"
    r = client.post(x.admin_url + "/draw", json={"seed": "short"}, headers=x.office)
    assert r.status_code == 422 and r.json["error"] == "validation_error"


def test_draw_with_nobody_and_admin_view(client, db):
    x = _world(db)
    f.course(db, x.term)
    client.post(x.admin_url + "/commit", json={"seed_hash": SEED_HASH.upper()}, headers=x.office)
    _close_window(db, x)
    r = client.post(x.admin_url + "/draw", json={"seed": SEED}, headers=x.office)
    assert r.status_code == 200 and r.json["placed"] == 0 and r.json["waitlisted"] == 0
    r = client.get(x.admin_url, headers=x.office)
    assert r.json["seed"] == SEED and r.json["seed_hash"] == SEED_HASH


def test_a_withdrawn_pupil_is_left_out_of_the_draw(client, db):
    x = _world(db)
    course = f.course(db, x.term, capacity=3)
    (c1, _, h1), _, _ = x.families
    client.post(x.admin_url + "/commit", json={"seed_hash": SEED_HASH}, headers=x.office)
    assert _prefs(client, x, h1, c1, [course.id]).status_code == 200
    assert _prefs(client, x, x.h, x.kid, [course.id]).status_code == 200
    from backend.signup.models import Application

    app_row = db.scalar(sa.select(Application).where(Application.student_id == c1.id))
    app_row.state = "withdrawn"
    _close_window(db, x)
    assert (
        client.post(x.admin_url + "/draw", json={"seed": SEED}, headers=x.office).json["placed"]
        == 1
    )
    holders = db.scalars(sa.select(Selection.student_id).where(Selection.course_id == course.id))
    assert list(holders) == [x.kid.id]
    db.refresh(course)
    assert course.seats_taken == 1
    assert db.get(Course, course.id).seats_taken == 1


def test_wrong_callers_of_lottery_endpoints(client, db):
    x = _world(db)
    course = f.course(db, x.term)
    client.post(x.admin_url + "/commit", json={"seed_hash": SEED_HASH}, headers=x.office)
    calls = [
        ("put", f"{x.app_url}/preferences/{x.kid.id}", {"course_ids": [course.id]}),
        ("get", f"{x.app_url}/preferences/{x.kid.id}", None),
        ("get", f"{x.app_url}/lottery", None),
        ("get", f"{x.app_url}/lottery/inputs", None),
    ]
    for method, url, body in calls:
        kw = {"json": body} if body is not None else {}
        assert getattr(client, method)(url, **kw).status_code == 401, url
        assert getattr(client, method)(url, headers=x.office, **kw).status_code == 401, url
        r = getattr(client, method)(url, headers=x.other_parent, **kw)
        assert r.status_code == 404, url
    # a teacher of the school may read the commitment but not a pupil's wishes
    assert client.get(f"{x.app_url}/lottery", headers=x.teacher).status_code == 200
    r = client.get(f"{x.app_url}/preferences/{x.kid.id}", headers=x.teacher)
    assert r.status_code == 404
    assert db.scalar(sa.select(sa.func.count()).select_from(Selection)) == 0
