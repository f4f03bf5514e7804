"""A whole afternoon over HTTP: notice, code, verify, confirm, the board, the WeChat message."""

from __future__ import annotations

import io
from datetime import time

from backend.notifications import worker
from tests.images import JPEG
from tests.pickup.conftest import build


def test_a_whole_afternoon(client, db, app, fake_wechat):
    w = build(db, end=time(23, 59))
    a = w.a
    kid, today = a.kid, w.today.isoformat()
    klass = a.classes[0].id

    # 1. the mother authorises grandma, with a photo
    grandma = client.post(
        f"/api/v1/students/{kid.id}/pickup-persons",
        json={"name": "王奶奶", "relation": "grandmother", "phone": "13512345678"},
        headers=a.h_parent,
    ).json
    photo = client.post(
        f"/api/v1/students/{kid.id}/pickup-persons/{grandma['id']}/photo",
        data={"file": (io.BytesIO(JPEG), "nainai.jpg")},
        headers=a.h_parent,
        content_type="multipart/form-data",
    )
    assert photo.status_code == 200

    # 2. she tells the school grandma comes early today
    notice = client.post(
        "/api/v1/pickup-notices",
        json={
            "student_id": kid.id,
            "date": today,
            "kind": "early",
            "pickup_time": "16:00",
            "pickup_person_id": grandma["id"],
            "note": "去医院复查",
        },
        headers={**a.h_parent, "Idempotency-Key": "notice-1"},
    )
    assert notice.status_code == 201 and notice.json["late"] is False
    replay = client.post(
        "/api/v1/pickup-notices",
        json={
            "student_id": kid.id,
            "date": today,
            "kind": "early",
            "pickup_time": "16:00",
            "pickup_person_id": grandma["id"],
            "note": "去医院复查",
        },
        headers={**a.h_parent, "Idempotency-Key": "notice-1"},
    )
    assert replay.json["id"] == notice.json["id"]

    # 3. and sends grandma today's code
    code = client.post(
        f"/api/v1/students/{kid.id}/handoff-codes",
        json={"pickup_person_id": grandma["id"]},
        headers=a.h_parent,
    ).json

    # 4. the head teacher's board puts the pupil first, early at 16:00 with grandma
    board = client.get(f"/api/v1/classes/{klass}/dismissal", headers=a.h_teacher).json
    assert board[0]["student_id"] == kid.id
    assert (board[0]["plan"], board[0]["pickup_time"], board[0]["status"]) == (
        "early",
        "16:00",
        "in_school",
    )
    assert board[0]["person"]["name"] == "王奶奶"
    r = client.post(
        f"/api/v1/classes/{klass}/dismissal/{kid.id}/release", json={}, headers=a.h_teacher
    )
    assert r.json["at_gate"] is True

    # 5. at the gate: scan, look at the photos, confirm
    seen = client.post("/api/v1/gate/verify", json={"qr_token": code["qr_token"]}, headers=a.h_gate)
    assert seen.status_code == 200
    assert seen.json["student"]["name"] == kid.name
    assert seen.json["notice"]["kind"] == "early" and seen.json["warnings"] == []
    face = client.get(seen.json["person"]["photo_url"], headers=a.h_gate)
    assert face.status_code == 200 and face.data.startswith(b"\xff\xd8\xff")
    done = client.post(
        "/api/v1/gate/handoffs",
        json={"qr_token": code["qr_token"], "outcome": "released"},
        headers=a.h_gate,
    )
    assert done.status_code == 201

    # 6. the board shows the handover, and nothing is overdue for this pupil
    board = client.get(f"/api/v1/classes/{klass}/dismissal", headers=a.h_teacher).json
    row = next(r for r in board if r["student_id"] == kid.id)
    assert row["status"] == "handed_over" and row["handed_over_at"]
    history = client.get(
        "/api/v1/pickup-notices", query_string={"student_id": kid.id}, headers=a.h_parent
    ).json
    assert history[0]["status"] == "handed_over"

    # 7. both guardians' phones get the WeChat message
    with app.app_context():
        worker.run(burst=True)
    released = [m for m in fake_wechat.sent_messages if m["template_id"] == "tmpl-handoff_released"]
    assert sorted(m["touser"] for m in released) == sorted([a.parent.openid, a.other_parent.openid])
    assert released[0]["data"]["thing1"] == {"value": kid.name}
    assert "王奶奶" in released[0]["data"]["thing2"]["value"]
