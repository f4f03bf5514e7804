"""The posting (公示): publish, masked entries, objections and answers, finalize."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from backend.common.clock import now
from backend.notifications.models import OutboxMessage
from backend.signup.models import Application, Objection, Publication, ReviewStep
from tests import factories as f


def _through(scene, db, names=("欧阳小明", "李雷")):
    """Applications of pupils in class 1, approved at every level."""
    ids = []
    for name in names:
        kid = f.student(db, scene.a["classes"][0], name=name)
        f.guardian_of(db, scene.a["parent"], kid)
        ids.append(scene.applied(kid))
    scene.through_all_levels(*ids)
    return ids


def _publish_app(scene, who="school", school="a"):
    return scene.client.post(
        f"/api/v1/terms/{scene.term.id}/publication", headers=scene.h(who, school)
    )


def test_committee_publishes_and_guardians_see_masked_names(scene, db):
    ids = _through(scene, db)
    pending = scene.applied()  # still waiting at class level: not published
    r = _publish_app(scene)
    assert r.status_code == 201, r.json
    assert r.json["entry_count"] == 2
    pub = db.get(Publication, r.json["id"])
    assert pub.ends_at - pub.starts_at == timedelta(days=3)
    for app_id in ids:
        assert db.get(Application, app_id).state == "in_publicity"
    assert db.get(Application, pending).state == "submitted"
    posting = scene.client.get(
        f"/api/v1/terms/{scene.term.id}/publication", headers=scene.h("parent")
    )
    assert posting.status_code == 200
    assert sorted(e["student_name_masked"] for e in posting.json["entries"]) == ["李*", "欧**明"]
    assert set(posting.json["entries"][0]) == {
        "application_id",
        "class_name",
        "student_name_masked",
    }
    assert posting.json["open"] is True
    # Staff of the school may read it; another school's guardian may not.
    assert (
        scene.client.get(
            f"/api/v1/terms/{scene.term.id}/publication", headers=scene.h("gate")
        ).status_code
        == 200
    )
    assert (
        scene.client.get(
            f"/api/v1/terms/{scene.term.id}/publication", headers=scene.h("parent", "b")
        ).status_code
        == 404
    )
    assert (
        scene.client.get(
            f"/api/v1/terms/{scene.term.id}/publication", headers=scene.h("office")
        ).status_code
        == 401
    )
    assert scene.client.get(f"/api/v1/terms/{scene.term.id}/publication").status_code == 401
    kinds = db.scalars(sa.select(OutboxMessage.kind)).all()
    assert kinds.count("application_in_publicity") == 2


def test_publish_wrong_callers_and_nothing_to_publish(scene, db):
    r = _publish_app(scene)
    assert r.status_code == 409 and r.json["error"] == "nothing_to_publish"
    _through(scene, db)
    for who in ("grade", "class", "teacher", "parent"):
        assert _publish_app(scene, who).status_code == 403, who
    assert _publish_app(scene, "school", "b").status_code == 404
    assert scene.client.post(f"/api/v1/terms/{scene.term.id}/publication").status_code == 401
    assert (
        scene.client.post(scene.admin("/publication"), headers=scene.h("office", "b")).status_code
        == 404
    )
    assert (
        scene.client.post(scene.admin("/publication"), headers=scene.h("school")).status_code == 401
    )
    assert db.scalar(sa.select(sa.func.count()).select_from(Publication)) == 0
    r = scene.client.post(scene.admin("/publication"), headers=scene.h("office"))
    assert r.status_code == 201 and r.json["entry_count"] == 2
    assert _publish_app(scene).json["error"] == "nothing_to_publish"


def test_finalize_only_after_the_posting(scene, db, app, fake_wechat):
    ids = _through(scene, db)
    r = scene.client.post(scene.admin("/publication/finalize"), headers=scene.h("office"))
    assert r.status_code == 404 and r.json["error"] == "no_publication"
    pub_id = scene.client.post(scene.admin("/publication"), headers=scene.h("office")).json["id"]
    r = scene.client.post(scene.admin("/publication/finalize"), headers=scene.h("office"))
    assert r.status_code == 409 and r.json["error"] == "publicity_not_over"
    # +08:00 to the second, as every other instant of the API
    ends_at = r.json["errors"]["ends_at"][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", ends_at), ends_at
    assert {db.get(Application, i).state for i in ids} == {"in_publicity"}
    pub = db.get(Publication, pub_id)
    pub.starts_at, pub.ends_at = now() - timedelta(days=4), now() - timedelta(days=1)
    db.flush()
    assert (
        scene.client.post(
            scene.admin("/publication/finalize"), headers=scene.h("office", "b")
        ).status_code
        == 404
    )
    r = scene.client.post(scene.admin("/publication/finalize"), headers=scene.h("office"))
    assert r.status_code == 200 and r.json["enrolled"] == 2
    assert {db.get(Application, i).state for i in ids} == {"enrolled"}
    db.refresh(pub)
    assert pub.finalized_at is not None
    # A second finalize enrolls nobody twice.
    r = scene.client.post(scene.admin("/publication/finalize"), headers=scene.h("office"))
    assert r.status_code == 200 and r.json["enrolled"] == 0
    posting = scene.client.get(
        f"/api/v1/terms/{scene.term.id}/publication", headers=scene.h("parent")
    ).json
    assert len(posting["entries"]) == 2 and posting["open"] is False


def test_zero_publicity_days_ends_at_once(make_scene, db):
    s = make_scene(publicity_days=0)
    _through(s, db)
    assert s.client.post(s.admin("/publication"), headers=s.h("office")).status_code == 201
    r = s.client.post(s.admin("/publication/finalize"), headers=s.h("office"))
    assert r.status_code == 200 and r.json["enrolled"] == 2
    r = s.client.post(
        f"/api/v1/terms/{s.term.id}/publication/objections",
        json={"text": "有异议"},
        headers=s.h("parent"),
    )
    assert r.status_code == 409 and r.json["error"] == "publicity_closed"


def _object(scene, text="该生家庭条件不符", application_id=None, who="parent", school="a"):
    body = {"text": text}
    if application_id is not None:
        body["application_id"] = application_id
    return scene.client.post(
        f"/api/v1/terms/{scene.term.id}/publication/objections",
        json=body,
        headers=scene.h(who, school),
    )


def test_objections_are_taken_during_the_posting_from_guardians_only(scene, db):
    r = _object(scene)
    assert r.status_code == 409 and r.json["error"] == "publicity_closed"
    ids = _through(scene, db)
    _publish_app(scene)
    r = _object(scene, application_id=ids[0])
    assert r.status_code == 201 and r.json["state"] == "open"
    assert _object(scene, application_id=999999).status_code == 422
    assert _object(scene, text="").status_code == 422
    assert _object(scene, who="teacher").status_code == 403  # staff, not a guardian
    assert _object(scene, who="parent", school="b").status_code == 404
    assert (
        scene.client.post(
            f"/api/v1/terms/{scene.term.id}/publication/objections", json={"text": "x"}
        ).status_code
        == 401
    )


def test_uphold_sends_the_application_back_with_the_objection(scene, db):
    ids = _through(scene, db)
    _publish_app(scene)
    oid = _object(scene, application_id=ids[0]).json["id"]
    url = f"/admin/api/v1/schools/{scene.a['school'].id}/objections"
    listed = scene.client.get(url + "?state=open", headers=scene.h("office"))
    assert [o["id"] for o in listed.json] == [oid] and listed.json[0]["student_name"] == "欧阳小明"
    assert scene.client.get(url, headers=scene.h("office", "b")).status_code == 404
    assert (
        scene.client.post(
            f"{url}/{oid}/uphold", json={"response": "复核"}, headers=scene.h("office", "b")
        ).status_code
        == 404
    )
    r = scene.client.post(
        f"{url}/{oid}/uphold", json={"response": "经核实，退回重审"}, headers=scene.h("office")
    )
    assert r.status_code == 200 and r.json["state"] == "upheld"
    app = db.get(Application, ids[0])
    assert (app.state, app.level) == ("submitted", "class")
    step = db.scalar(
        sa.select(ReviewStep)
        .where(ReviewStep.application_id == ids[0])
        .order_by(ReviewStep.id.desc())
    )
    assert step.decision == "uphold_objection" and step.objection_id == oid
    assert "该生家庭条件不符" in step.comment
    assert db.get(Application, ids[1]).state == "in_publicity"
    # The posting no longer lists it; the objector was told.
    posting = scene.client.get(
        f"/api/v1/terms/{scene.term.id}/publication", headers=scene.h("parent")
    ).json
    assert [e["application_id"] for e in posting["entries"]] == [ids[1]]
    msg = db.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == "objection_answered"))
    assert msg.user_id == scene.a["parent"].id
    r = scene.client.post(
        f"{url}/{oid}/dismiss", json={"response": "again"}, headers=scene.h("office")
    )
    assert r.status_code == 409 and r.json["error"] == "objection_answered"


def test_dismiss_changes_nothing_and_uphold_without_application_needs_one(scene, db):
    ids = _through(scene, db)
    _publish_app(scene)
    url = f"/admin/api/v1/schools/{scene.a['school'].id}/objections"
    general = _object(scene, text="名单不完整").json["id"]
    r = scene.client.post(
        f"{url}/{general}/uphold", json={"response": "?"}, headers=scene.h("office")
    )
    assert r.status_code == 422 and r.json["error"] == "objection_needs_application"
    r = scene.client.post(
        f"{url}/{general}/dismiss", json={"response": "名单完整"}, headers=scene.h("office")
    )
    assert r.status_code == 200 and r.json["state"] == "dismissed"
    assert {db.get(Application, i).state for i in ids} == {"in_publicity"}
    assert db.get(Objection, general).response == "名单完整"
    assert (
        scene.client.post(
            f"{url}/{general}/dismiss", json={"response": "x"}, headers=scene.h("school")
        ).status_code
        == 401
    )


def test_an_upheld_application_can_pass_again_and_be_posted_anew(scene, db):
    ids = _through(scene, db)
    first = _publish_app(scene).json["id"]
    oid = _object(scene, application_id=ids[0]).json["id"]
    url = f"/admin/api/v1/schools/{scene.a['school'].id}/objections/{oid}/uphold"
    r = scene.client.post(url, json={"response": "复核"}, headers=scene.h("office"))
    assert r.status_code == 200
    scene.through_all_levels(ids[0])
    r = _publish_app(scene)
    assert r.status_code == 201 and r.json["entry_count"] == 1 and r.json["id"] != first
    posting = scene.client.get(
        f"/api/v1/terms/{scene.term.id}/publication", headers=scene.h("parent")
    ).json
    assert [e["application_id"] for e in posting["entries"]] == [ids[0]]
    # Finalize waits for the latest posting; then both postings' pupils are enrolled.
    r = scene.client.post(scene.admin("/publication/finalize"), headers=scene.h("office"))
    assert r.status_code == 409
    for pub in db.scalars(sa.select(Publication)):
        pub.starts_at, pub.ends_at = now() - timedelta(days=5), now() - timedelta(days=2)
    db.flush()
    r = scene.client.post(scene.admin("/publication/finalize"), headers=scene.h("office"))
    assert r.json["enrolled"] == 2
    assert {db.get(Application, i).state for i in ids} == {"enrolled"}
