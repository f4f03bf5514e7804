"""One sign-up over HTTP from the office's term to an enrolled pupil, messages delivered."""

from __future__ import annotations

from datetime import timedelta

from backend.common.clock import SCHOOL_TZ, now, today
from backend.notifications import worker
from tests import factories as f


def _iso(dt) -> str:
    return dt.astimezone(SCHOOL_TZ).isoformat(timespec="seconds")


def test_sign_up_to_enrolled_over_http(app, db, client, fake_wechat):
    w = f.World(db)
    a = w.schools[0]
    sid = a["school"].id
    parent = f.user(db, openid="o_flow_parent")
    kid = f.student(db, a["classes"][0], name="王小明")
    f.guardian_of(db, parent, kid)
    office = f.auth(db, admin_row=a["office"])
    h = {
        "parent": f.auth(db, user_row=parent),
        "teacher": f.auth(db, user_row=a["teacher"]),
        "grade": f.auth(db, user_row=a["committee"]["grade"]),
        "school": f.auth(db, user_row=a["committee"]["school"]),
    }
    moment = now()

    # The office opens a term (posting of 0 days, so it can be finalized at once).
    r = client.post(
        f"/admin/api/v1/schools/{sid}/terms",
        headers=office,
        json={
            "name": "2026年秋季学期",
            "starts_on": str(today() - timedelta(days=1)),
            "ends_on": str(today() + timedelta(days=120)),
            "signup_opens_at": _iso(moment - timedelta(hours=1)),
            "signup_closes_at": _iso(moment + timedelta(days=7)),
            "selection_mode": "fcfs",
            "selection_opens_at": _iso(moment + timedelta(days=8)),
            "selection_closes_at": _iso(moment + timedelta(days=9)),
            "publicity_days": 0,
            "max_courses_per_student": 2,
            "billing_mode": "monthly",
            "base_fee_fen": 6000,
            "service_end_time": "17:30",
            "pickup_cutoff_time": "15:00",
        },
    )
    assert r.status_code == 201, r.json
    term_id = r.json["id"]
    r = client.post(
        f"/admin/api/v1/schools/{sid}/terms/{term_id}/agreements",
        headers=office,
        json={"title": "课后服务协议", "body": "家长自愿申请……"},
    )
    agreement_id = r.json["id"]

    # The guardian reads the term and applies.
    term = client.get(f"/api/v1/terms/{term_id}", headers=h["parent"]).json
    assert term["agreement"]["id"] == agreement_id
    r = client.post(
        "/api/v1/applications",
        headers={**h["parent"], "Idempotency-Key": "flow-1"},
        json={
            "term_id": term_id,
            "student_id": kid.id,
            "agreement_id": agreement_id,
            "agree": True,
            "priority_flags": ["left_behind"],
        },
    )
    assert r.status_code == 201 and r.json["state"] == "submitted" and r.json["level"] == "class"
    app_id = r.json["id"]

    # Class, grade, school.
    for who, level, state in (
        ("teacher", "class", "class_approved"),
        ("grade", "grade", "grade_approved"),
        ("school", "school", "approved"),
    ):
        waiting = client.get(f"/api/v1/reviews?term_id={term_id}&level={level}", headers=h[who])
        assert [row["id"] for row in waiting.json] == [app_id], level
        r = client.post(
            "/api/v1/reviews",
            headers=h[who],
            json={
                "level": level,
                "decisions": [{"application_id": app_id, "decision": "approve", "comment": "同意"}],
            },
        )
        assert r.status_code == 200 and r.json["results"][0]["state"] == state

    # The school committee publishes; the guardian sees the masked entry.
    r = client.post(f"/api/v1/terms/{term_id}/publication", headers=h["school"])
    assert r.status_code == 201 and r.json["entry_count"] == 1
    posting = client.get(f"/api/v1/terms/{term_id}/publication", headers=h["parent"]).json
    assert posting["entries"][0]["student_name_masked"] == "王*明"

    # The office finalizes after the (zero-day) posting.
    r = client.post(
        f"/admin/api/v1/schools/{sid}/terms/{term_id}/publication/finalize", headers=office
    )
    assert r.status_code == 200 and r.json["enrolled"] == 1
    detail = client.get(f"/api/v1/applications/{app_id}", headers=h["parent"]).json
    assert detail["state"] == "enrolled" and detail["level"] is None
    assert [s["decision"] for s in detail["steps"]] == [
        "submit",
        "approve",
        "approve",
        "approve",
        "publish",
        "finalize",
    ]
    assert [s["level"] for s in detail["steps"][1:4]] == ["class", "grade", "school"]

    # The worker delivers the posting and enrollment messages to the fake WeChat.
    with app.app_context():
        worker.run(burst=True)
    to_parent = [m for m in fake_wechat.sent_messages if m["touser"] == "o_flow_parent"]
    assert [m["template_id"] for m in to_parent] == [
        "tmpl-application_in_publicity",
        "tmpl-application_enrolled",
    ]
    assert to_parent[1]["data"]["thing1"] == {"value": "王小明"}
