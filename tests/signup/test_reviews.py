"""The three-level review: lists by scope, batch decisions, conflicts, counts, exports."""

from __future__ import annotations

import io
from datetime import timedelta

import sqlalchemy as sa
from openpyxl import load_workbook

from backend.audit.models import AuditLog
from backend.common.clock import now
from backend.notifications.models import OutboxMessage
from backend.signup.models import Application, ReviewStep
from tests import factories as f


def _waiting(scene, who, level, school="a", **params):
    query = "&".join(
        f"{k}={v}" for k, v in {"term_id": scene.term.id, "level": level, **params}.items()
    )
    return scene.client.get(f"/api/v1/reviews?{query}", headers=scene.h(who, school))


def test_class_level_list_shows_my_class_with_flags_and_history(scene, db):
    kid_c2 = scene.a["kids"][2]
    f.guardian_of(db, scene.a["parent"], kid_c2)
    mine = scene.applied(priority_flags=["disabled"])
    other_class = scene.applied(kid_c2)
    for who in ("teacher", "class"):
        r = _waiting(scene, who, "class")
        assert r.status_code == 200, r.json
        assert [row["id"] for row in r.json] == [mine]
        row = r.json[0]
        assert row["class_name"] == scene.a["classes"][0].name
        assert row["student_name"] == scene.a["kids"][0].name
        assert row["priority_flags"] == ["disabled"] and row["overdue"] is False
        assert row["history"][0]["decision"] == "submit" and row["waiting_since"]
    # The grade committee sees nothing yet: nothing waits at grade level.
    assert _waiting(scene, "grade", "grade").json == []
    assert other_class != mine


def test_priority_pupils_come_first(scene, db):
    kid = scene.a["kids"][1]
    f.guardian_of(db, scene.a["parent"], kid)
    plain = scene.applied()
    flagged = scene.applied(kid, priority_flags=["migrant_worker"])
    assert [r["id"] for r in _waiting(scene, "teacher", "class").json] == [flagged, plain]


def test_the_three_levels_in_order_with_steps_and_audit(scene, db):
    app_id = scene.applied()
    assert scene.approve("teacher", "class", app_id)["results"] == [
        {"application_id": app_id, "state": "class_approved", "level": "grade"}
    ]
    assert [r["id"] for r in _waiting(scene, "grade", "grade").json] == [app_id]
    assert scene.approve("grade", "grade", app_id)["results"][0]["state"] == "grade_approved"
    r = scene.approve("school", "school", app_id)["results"][0]
    assert r == {"application_id": app_id, "state": "approved", "level": None}
    steps = db.scalars(
        sa.select(ReviewStep)
        .where(ReviewStep.application_id == app_id, ReviewStep.decision == "approve")
        .order_by(ReviewStep.id)
    ).all()
    assert [(s.level, s.actor_role, s.actor_id) for s in steps] == [
        ("class", "head_teacher", scene.a["teacher"].id),
        ("grade", "committee_member:grade", scene.a["committee"]["grade"].id),
        ("school", "committee_member:school", scene.a["committee"]["school"].id),
    ]
    audits = db.scalars(
        sa.select(AuditLog.action).where(AuditLog.object_type == "application")
    ).all()
    assert audits.count("application.approve") == 3


def test_a_term_without_grade_level_skips_it(make_scene):
    s = make_scene(review_levels=["class", "school"])
    app_id = s.applied()
    assert s.approve("class", "class", app_id)["results"][0]["level"] == "school"
    r = s.review("grade", "grade", [{"application_id": app_id, "decision": "approve"}])
    assert r.status_code == 409 and r.json["error"] == "review_conflict"
    assert s.approve("school", "school", app_id)["results"][0]["state"] == "approved"


def test_reject_needs_a_comment_and_notifies_guardians(scene, db, app, fake_wechat):
    app_id = scene.applied()
    for comment in (None, "", "   "):
        r = scene.review(
            "teacher",
            "class",
            [{"application_id": app_id, "decision": "reject", "comment": comment}],
        )
        assert r.status_code == 422 and r.json["error"] == "comment_required"
    assert db.get(Application, app_id).state == "submitted"
    r = scene.review(
        "teacher",
        "class",
        [{"application_id": app_id, "decision": "reject", "comment": "名额已满"}],
    )
    assert r.status_code == 200 and r.json["results"][0]["state"] == "rejected"
    msg = db.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == "application_rejected"))
    assert msg.user_id == scene.a["parent"].id
    assert msg.payload["fields"]["thing3"] == "名额已满"
    assert "班级" in msg.payload["fields"]["phrase2"]


def test_batch_is_all_or_nothing(scene, db):
    kids = [scene.a["kids"][0], scene.a["kids"][1]]
    f.guardian_of(db, scene.a["parent"], kids[1])
    ok, done = scene.applied(kids[0]), scene.applied(kids[1])
    scene.approve("teacher", "class", done)
    r = scene.review(
        "class",
        "class",
        [
            {"application_id": ok, "decision": "approve"},
            {"application_id": done, "decision": "approve"},  # already decided at class level
            {"application_id": 987654, "decision": "approve"},  # does not exist
        ],
    )
    assert r.status_code == 409 and r.json["error"] == "review_conflict"
    assert r.json["errors"]["application_ids"] == [done, 987654]
    assert db.get(Application, ok).state == "submitted"  # nothing applied
    assert (
        db.scalar(
            sa.select(sa.func.count())
            .select_from(ReviewStep)
            .where(ReviewStep.application_id == ok, ReviewStep.decision == "approve")
        )
        == 0
    )


def test_duplicate_ids_and_bad_bodies_are_422(scene):
    app_id = scene.applied()
    for body in (
        {"level": "class", "decisions": [{"application_id": app_id, "decision": "approve"}] * 2},
        {"level": "class", "decisions": []},
        {"level": "county", "decisions": [{"application_id": app_id, "decision": "approve"}]},
        {"level": "class", "decisions": [{"application_id": app_id, "decision": "maybe"}]},
        {"level": "class", "decisions": [{"application_id": str(app_id), "decision": "approve"}]},
    ):
        r = scene.client.post("/api/v1/reviews", json=body, headers=scene.h("teacher"))
        assert r.status_code == 422 and r.json["error"] == "validation_error", body


def test_wrong_reviewers(scene, db):
    kid_c2 = scene.a["kids"][2]
    f.guardian_of(db, scene.a["parent"], kid_c2)
    mine, other_class = scene.applied(), scene.applied(kid_c2)
    # The head teacher of class 1 cannot decide class 2's application: conflict, nothing done.
    r = scene.review("teacher", "class", [{"application_id": other_class, "decision": "approve"}])
    assert r.status_code == 409 and r.json["errors"]["application_ids"] == [other_class]
    # A class committee member deciding at grade level: no role there (403).
    r = scene.review("class", "grade", [{"application_id": mine, "decision": "approve"}])
    assert r.status_code == 403
    assert _waiting(scene, "class", "grade").status_code == 403
    # A guardian, gate staff: no review role at all.
    for who in ("parent", "gate"):
        assert (
            scene.review(
                who, "class", [{"application_id": mine, "decision": "approve"}]
            ).status_code
            == 403
        )
        assert _waiting(scene, who, "class").status_code == 403
    # The other school's reviewers: their term list is 404, our applications a conflict.
    assert _waiting(scene, "teacher", "class", school="b").status_code == 404
    r = scene.review(
        "teacher", "class", [{"application_id": mine, "decision": "approve"}], school="b"
    )
    assert r.status_code == 409
    scene.approve("teacher", "class", mine)
    r = scene.review(
        "grade", "grade", [{"application_id": mine, "decision": "approve"}], school="b"
    )
    assert r.status_code == 409
    # No token, an admin token on the app API.
    assert (
        scene.client.get(f"/api/v1/reviews?term_id={scene.term.id}&level=class").status_code == 401
    )
    assert _waiting(scene, "office", "class").status_code == 401
    assert db.get(Application, mine).state == "class_approved"


def test_overdue_reviews_are_flagged_and_filtered(scene, db):
    kid = scene.a["kids"][1]
    f.guardian_of(db, scene.a["parent"], kid)
    old, fresh = scene.applied(), scene.applied(kid)
    db.get(Application, old).waiting_since = now() - timedelta(days=4)
    db.flush()
    rows = {r["id"]: r["overdue"] for r in _waiting(scene, "teacher", "class").json}
    assert rows == {old: True, fresh: False}
    assert [r["id"] for r in _waiting(scene, "teacher", "class", overdue="true").json] == [old]
    r = scene.client.get(scene.admin("/applications?overdue=true"), headers=scene.h("office"))
    assert [row["id"] for row in r.json] == [old]
    summary = scene.client.get(scene.admin("/applications/summary"), headers=scene.h("office"))
    assert summary.json["totals"]["overdue"] == 1
    assert summary.json["by_level"][0] == {
        "level": "class",
        "waiting": 2,
        "overdue": 1,
        "approved": 0,
        "rejected": 0,
    }


def _spread(scene, db):
    """Five applications in various states across two classes."""
    kids = [scene.a["kids"][0], scene.a["kids"][1], scene.a["kids"][2]]
    extra = f.student(db, scene.a["classes"][1])
    for kid in kids[1:] + [extra]:
        f.guardian_of(db, scene.a["parent"], kid)
    a0, a1, a2, a3 = (scene.applied(k) for k in kids + [extra])
    scene.approve("teacher", "class", a0)
    scene.review(
        "teacher", "class", [{"application_id": a1, "decision": "reject", "comment": "不符合条件"}]
    )
    scene.client.post(f"/api/v1/applications/{a3}/withdraw", json={}, headers=scene.h("parent"))
    return a0, a1, a2, a3


def test_summary_counts_for_office_and_scoped_committees(scene, db):
    a0, a1, a2, a3 = _spread(scene, db)
    r = scene.client.get(scene.admin("/applications/summary"), headers=scene.h("office"))
    assert r.status_code == 200
    t = r.json["totals"]
    assert (t["submitted"], t["waiting"], t["rejected"], t["withdrawn"]) == (4, 2, 1, 1)
    c1, c2 = scene.a["classes"]
    by_class = {row["class_id"]: row for row in r.json["by_class"]}
    assert by_class[c1.id]["waiting"] == 1 and by_class[c1.id]["rejected"] == 1
    assert by_class[c2.id]["waiting"] == 1 and by_class[c2.id]["withdrawn"] == 1
    assert r.json["by_grade"][0]["submitted"] == 4
    levels = {row["level"]: row for row in r.json["by_level"]}
    assert levels["class"]["approved"] == 1 and levels["class"]["rejected"] == 1
    assert levels["grade"]["waiting"] == 1
    # The class-1 teacher counts class 1 only; the school committee counts everything.
    mine = scene.client.get(
        f"/api/v1/reviews/summary?term_id={scene.term.id}", headers=scene.h("teacher")
    ).json
    assert mine["totals"]["submitted"] == 2 and [c["class_id"] for c in mine["by_class"]] == [c1.id]
    school = scene.client.get(
        f"/api/v1/reviews/summary?term_id={scene.term.id}", headers=scene.h("school")
    ).json
    assert school["totals"] == t
    # Wrong callers.
    assert (
        scene.client.get(
            f"/api/v1/reviews/summary?term_id={scene.term.id}", headers=scene.h("parent")
        ).status_code
        == 403
    )
    assert (
        scene.client.get(
            f"/api/v1/reviews/summary?term_id={scene.term.id}", headers=scene.h("school", "b")
        ).status_code
        == 404
    )
    assert (
        scene.client.get(
            scene.admin("/applications/summary"), headers=scene.h("office", "b")
        ).status_code
        == 404
    )
    assert (
        scene.client.get(
            scene.admin("/applications/summary"), headers=scene.h("teacher")
        ).status_code
        == 401
    )


def test_office_list_filters_and_paginates(scene, db):
    a0, a1, a2, a3 = _spread(scene, db)
    h = scene.h("office")
    r = scene.client.get(scene.admin("/applications?page_size=2"), headers=h)
    assert r.status_code == 200 and len(r.json) == 2
    assert '"total": 4' in r.headers["X-Pagination"]
    assert [
        x["id"]
        for x in scene.client.get(scene.admin("/applications?state=rejected"), headers=h).json
    ] == [a1]
    assert [
        x["id"] for x in scene.client.get(scene.admin("/applications?level=grade"), headers=h).json
    ] == [a0]
    c2 = scene.a["classes"][1].id
    assert [
        x["id"]
        for x in scene.client.get(scene.admin(f"/applications?class_id={c2}"), headers=h).json
    ] == [a2, a3]
    detail = scene.client.get(scene.admin(f"/applications/{a0}"), headers=h).json
    assert detail["history"][-1]["actor_id"] == scene.a["teacher"].id
    assert detail["client_ip"] == "127.0.0.1"
    assert scene.client.get(scene.admin("/applications?state=lost"), headers=h).status_code == 422
    assert (
        scene.client.get(scene.admin("/applications"), headers=scene.h("office", "b")).status_code
        == 404
    )
    assert (
        scene.client.get(
            scene.admin(f"/applications/{a0}"), headers=scene.h("office", "b")
        ).status_code
        == 404
    )


def test_xlsx_exports_for_office_and_committee(scene, db):
    _spread(scene, db)
    r = scene.client.get(scene.admin("/applications/export"), headers=scene.h("office"))
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    rows = list(load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("申请编号", "班级", "学生", "状态") and len(rows) == 5
    assert {row[3] for row in rows[1:]} == {"班级审核通过", "未通过", "已提交", "已撤回"}
    r = scene.client.get(scene.admin("/applications/export?level=grade"), headers=scene.h("office"))
    assert len(list(load_workbook(io.BytesIO(r.data)).active.iter_rows())) == 2
    url = f"/api/v1/reviews/export?term_id={scene.term.id}&level="
    r = scene.client.get(url + "class", headers=scene.h("class"))
    rows = list(load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True))
    assert {row[1] for row in rows[1:]} == {scene.a["classes"][0].name}  # class 1 only
    assert len(rows) == 3
    r = scene.client.get(url + "grade", headers=scene.h("grade"))
    assert len(list(load_workbook(io.BytesIO(r.data)).active.iter_rows())) == 5
    assert scene.client.get(url + "grade", headers=scene.h("class")).status_code == 403
    assert scene.client.get(url + "school", headers=scene.h("school", "b")).status_code == 404
    assert scene.client.get(url + "class", headers=scene.h("parent")).status_code == 403


def test_export_cells_never_run_as_formulas(scene, db):
    app_id = scene.applied()
    scene.review(
        "teacher",
        "class",
        [{"application_id": app_id, "decision": "reject", "comment": '=HYPERLINK("http://x")'}],
    )
    r = scene.client.get(scene.admin("/applications/export"), headers=scene.h("office"))
    row = list(load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True))[1]
    assert row[-1].startswith("'=")
