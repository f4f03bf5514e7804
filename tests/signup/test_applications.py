"""Applying, reading, withdrawing and resubmitting, as a guardian over HTTP."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.common.clock import now
from backend.signup.models import Application, ReviewStep
from tests import factories as f


def test_apply_creates_a_submitted_application_waiting_at_class_level(scene, db):
    r = scene.apply(priority_flags=["left_behind", "hardship"], exemption_category="dibao")
    assert r.status_code == 201, r.json
    body = r.json
    assert body["state"] == "submitted" and body["level"] == "class"
    assert body["student_id"] == scene.a["kids"][0].id and body["term_id"] == scene.term.id
    assert isinstance(body["id"], int)
    app = db.get(Application, body["id"])
    # R2: consent kept with the agreement version, time, guardian and client address.
    assert app.agreement_id == scene.agreement.id
    assert app.applicant_user_id == scene.a["parent"].id
    assert app.client_ip == "127.0.0.1" and app.agreed_at is not None
    assert app.priority_flags == ["hardship", "left_behind"]
    assert app.exemption_category == "dibao"
    audit = db.scalar(sa.select(AuditLog).where(AuditLog.action == "application.submit"))
    assert audit.object_id == str(app.id) and audit.after["agreement_version"] == 1


def test_any_agreement_version_of_the_term_counts_and_is_kept(scene, db):
    v2 = f.agreement(db, scene.term, version=2)
    r = scene.apply(agreement_id=scene.agreement.id)  # an earlier version is still valid
    assert r.status_code == 201
    assert r.json["agreement_version"] == 1
    r = scene.apply(scene.a["kids"][1], headers=None, agreement_id=v2.id)
    assert r.status_code == 404  # not the parent's child: scope first


def test_skip_grade_term_starts_at_its_first_level(make_scene):
    s = make_scene(review_levels=["school"])
    r = s.apply()
    assert r.status_code == 201 and r.json["level"] == "school"


def test_agreement_must_be_agreed_and_of_this_term(scene, db):
    for body in (
        {"agree": False},
        {"agree": None},
        {"agreement_id": scene.agreement_b.id},
        {"agreement_id": 999999},
    ):
        r = scene.apply(**body)
        assert r.status_code == 422 and r.json["error"] == "agreement_required", body
    r = scene.client.post(
        "/api/v1/applications",
        json={"term_id": scene.term.id, "student_id": scene.a["kids"][0].id},
        headers=scene.h("parent"),
    )
    assert r.status_code == 422 and r.json["error"] == "agreement_required"
    assert db.scalar(sa.select(sa.func.count()).select_from(Application)) == 0


def test_bad_input_is_422_and_writes_nothing(scene, db):
    for body in (
        {"priority_flags": ["vip"]},
        {"exemption_category": "rich"},
        {"note": "x" * 501},
        {"surprise": 1},
        {"term_id": "1"},
    ):
        r = scene.apply(**body)
        assert r.status_code == 422 and r.json["error"] == "validation_error", body
        assert r.json["errors"]
    assert db.scalar(sa.select(sa.func.count()).select_from(Application)) == 0


def test_outside_the_window_is_signup_closed(make_scene, db):
    moment = now()
    for opens, closes in (
        (moment + timedelta(hours=1), moment + timedelta(days=2)),
        (moment - timedelta(days=3), moment - timedelta(seconds=1)),
    ):
        s = make_scene(signup_opens_at=opens, signup_closes_at=closes)
        r = s.apply()
        assert r.status_code == 409 and r.json["error"] == "signup_closed"
        db.rollback()


def test_one_live_application_per_pupil_and_term(scene, db):
    first = scene.applied()
    r = scene.apply()
    assert r.status_code == 409 and r.json["error"] == "application_exists"
    # Another guardian of the same pupil is refused too.
    other = f.user(db)
    f.guardian_of(db, other, scene.a["kids"][0], relation="father")
    r = scene.apply(headers=scene.user_headers(other))
    assert r.status_code == 409 and r.json["error"] == "application_exists"
    # After withdrawing, a new application is possible (R1).
    assert (
        scene.client.post(
            f"/api/v1/applications/{first}/withdraw", json={}, headers=scene.h("parent")
        ).json["state"]
        == "withdrawn"
    )
    assert scene.apply().status_code == 201


def test_the_database_index_refuses_a_second_live_row(scene, db):
    import pytest
    from sqlalchemy.exc import IntegrityError

    scene.applied()
    twin = f.application(db, scene.term, scene.a["kids"][1], scene.a["parent"])
    db.flush()
    with pytest.raises(IntegrityError), db.begin_nested():
        db.execute(
            sa.update(Application)
            .where(Application.id == twin.id)
            .values(student_id=scene.a["kids"][0].id)
        )


def test_idempotency_key_replays_the_first_answer(scene, db):
    h = {**scene.h("parent"), "Idempotency-Key": "apply-1"}
    r1 = scene.client.post("/api/v1/applications", json=scene.body(), headers=h)
    r2 = scene.client.post("/api/v1/applications", json=scene.body(), headers=h)
    assert r1.status_code == r2.status_code == 201
    assert r2.json["id"] == r1.json["id"] and r2.headers.get("Idempotent-Replayed") == "true"
    assert db.scalar(sa.select(sa.func.count()).select_from(Application)) == 1


def test_list_and_detail_show_my_childrens_applications_only(scene, db):
    mine = scene.applied()
    other_parent = f.user(db)
    f.guardian_of(db, other_parent, scene.a["kids"][1])
    theirs = scene.applied(scene.a["kids"][1], headers=scene.user_headers(other_parent))
    r = scene.client.get(f"/api/v1/applications?term_id={scene.term.id}", headers=scene.h("parent"))
    assert [a["id"] for a in r.json] == [mine]
    assert r.json[0]["student_name"] == scene.a["kids"][0].name
    r = scene.client.get(f"/api/v1/applications/{mine}", headers=scene.h("parent"))
    assert r.status_code == 200 and r.json["steps"][0]["decision"] == "submit"
    # Another family's application, or a staff member, or another school: 404.
    for h in (scene.h("parent"), scene.h("teacher"), scene.h("parent", "b")):
        assert scene.client.get(f"/api/v1/applications/{theirs}", headers=h).status_code == 404
    assert scene.client.get(f"/api/v1/applications/{mine}").status_code == 401
    r = scene.client.get(f"/api/v1/applications/{mine}", headers=scene.h("office"))
    assert r.status_code == 401


def test_wrong_callers_cannot_apply(scene, db):
    kid = scene.a["kids"][0]
    # Not a guardian of the pupil: another family, a teacher, the other school's parent.
    for who, school in (("teacher", "a"), ("school", "a"), ("parent", "b"), ("gate", "a")):
        r = scene.apply(kid, headers=scene.h(who, school))
        assert r.status_code == 404, (who, school)
    assert scene.client.post("/api/v1/applications", json=scene.body()).status_code == 401
    r = scene.client.post("/api/v1/applications", json=scene.body(), headers=scene.h("office"))
    assert r.status_code == 401
    # My child, but a term of another school.
    r = scene.apply(term_id=scene.term_b.id, agreement_id=scene.agreement_b.id)
    assert r.status_code == 404
    assert db.scalar(sa.select(sa.func.count()).select_from(Application)) == 0


def test_a_pupil_who_left_cannot_be_signed_up(scene, db):
    scene.a["kids"][0].active = False
    db.flush()
    r = scene.apply()
    assert r.status_code == 409 and r.json["error"] == "student_left"


def test_withdraw_from_any_state_but_withdrawn(scene, db, fake_wechat):
    states = [
        "submitted",
        "class_approved",
        "grade_approved",
        "approved",
        "rejected",
        "in_publicity",
        "enrolled",
    ]
    parent = scene.a["parent"]
    second = f.user(db, openid="o_second_guardian")
    for state in states:
        kid = f.student(db, scene.a["classes"][0])
        f.guardian_of(db, parent, kid)
        f.guardian_of(db, second, kid)
        app = f.application(db, scene.term, kid, parent, state=state)
        r = scene.client.post(
            f"/api/v1/applications/{app.id}/withdraw",
            json={"reason": "孩子由老人接送"},
            headers=scene.h("parent"),
        )
        assert r.status_code == 200 and r.json["state"] == "withdrawn", state
        assert r.json["level"] is None
        assert r.json["steps"][-1]["decision"] == "withdraw"
        assert r.json["steps"][-1]["comment"] == "孩子由老人接送"
        r = scene.client.post(
            f"/api/v1/applications/{app.id}/withdraw", json={}, headers=scene.h("parent")
        )
        assert r.status_code == 409 and r.json["error"] == "application_state_conflict"
    from backend.notifications.models import OutboxMessage

    kinds = db.scalars(
        sa.select(OutboxMessage.user_id).where(OutboxMessage.kind == "application_withdrawn")
    ).all()
    assert kinds == [second.id] * len(states)  # the other guardian learns of it, not me


def test_resubmit_only_after_a_rejection(scene, db):
    app_id = scene.applied()
    url = f"/api/v1/applications/{app_id}/resubmit"
    r = scene.client.post(url, json={}, headers=scene.h("parent"))
    assert r.status_code == 409 and r.json["error"] == "application_state_conflict"
    r = scene.review(
        "teacher",
        "class",
        [{"application_id": app_id, "decision": "reject", "comment": "请补充家长签字"}],
    )
    assert r.status_code == 200
    detail = scene.client.get(f"/api/v1/applications/{app_id}", headers=scene.h("parent")).json
    assert detail["state"] == "rejected"
    reject = detail["steps"][-1]
    # The guardian sees which level rejected and why, not who.
    assert reject == {
        "level": "class",
        "decision": "reject",
        "comment": "请补充家长签字",
        "decided_at": reject["decided_at"],
        "state": "rejected",
    }
    r = scene.client.post(url, json={"note": "已补充"}, headers=scene.h("parent"))
    assert r.status_code == 200 and r.json["state"] == "submitted" and r.json["level"] == "class"
    assert r.json["note"] == "已补充"
    steps = db.scalars(sa.select(ReviewStep.decision).where(ReviewStep.application_id == app_id))
    assert list(steps) == ["submit", "reject", "resubmit"]
    # Another family cannot resubmit or withdraw it.
    other = f.user(db)
    f.guardian_of(db, other, scene.a["kids"][1])
    for path in ("resubmit", "withdraw"):
        r = scene.client.post(
            f"/api/v1/applications/{app_id}/{path}", json={}, headers=scene.user_headers(other)
        )
        assert r.status_code == 404


def test_no_resubmission_once_the_term_is_over(scene, db):
    from datetime import date

    app_id = scene.applied()
    scene.review(
        "teacher", "class", [{"application_id": app_id, "decision": "reject", "comment": "不符"}]
    )
    scene.term.starts_on, scene.term.ends_on = date(2020, 9, 1), date(2021, 1, 15)
    db.flush()
    r = scene.client.post(
        f"/api/v1/applications/{app_id}/resubmit", json={}, headers=scene.h("parent")
    )
    assert r.status_code == 409 and r.json["error"] == "term_over"
    assert db.get(Application, app_id).state == "rejected"
