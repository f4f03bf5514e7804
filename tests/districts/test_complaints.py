"""The district reads escalated and overdue complaints of its schools and answers them."""

from __future__ import annotations

from backend.districts.models import District
from tests import factories as f
from tests.complaints.conftest import build, file, past_due
from tests.districts.helpers import ADMIN, district_admin


def _district(db, cw):
    d = District(name="督办区", code=f"K{f.n()}")
    other = District(name="别区", code=f"O{f.n()}")
    db.add_all([d, other])
    db.flush()
    cw.a.school.district_id = d.id
    cw.b.school.district_id = other.id
    db.flush()
    return d, district_admin(db, d), district_admin(db, other)


def test_district_sees_escalated_and_overdue_and_replies(client, db):
    cw = build(db)
    d, da, de = _district(db, cw)
    late = file(client, cw.a, text="接送时间太晚").json["id"]
    fresh = file(client, cw.a, text="新投诉").json["id"]
    anonymous = file(client, cw.a, text="匿名反映", anonymous=True).json["id"]
    past_due(db, late)
    past_due(db, anonymous)
    escalated = client.post(f"/api/v1/complaints/{late}/escalate", headers=cw.a.h_parent)
    assert escalated.json["status"] == "escalated"
    listed = client.get(f"{ADMIN}/districts/{d.id}/complaints", headers=da)
    assert listed.status_code == 200 and "X-Pagination" in listed.headers
    ids = {c["id"] for c in listed.json}
    assert ids == {late, anonymous} and fresh not in ids
    assert cw.a.parent.phone not in listed.get_data(as_text=True)
    only = client.get(f"{ADMIN}/districts/{d.id}/complaints?status=escalated", headers=da)
    assert [c["id"] for c in only.json] == [late]
    overview = client.get(f"{ADMIN}/districts/{d.id}/overview", headers=da).json
    row = next(r for r in overview if r["school_id"] == cw.a.sid)
    summary = client.get(
        f"/admin/api/v1/schools/{cw.a.sid}/complaints/summary", headers=cw.a.h_office
    ).json
    assert row["complaints_open"] == summary["open"] == 3
    assert row["complaints_overdue"] == summary["overdue"]
    url = f"{ADMIN}/districts/{d.id}/complaints/{late}/reply"
    body = {"text": "已督促学校调整接送安排", "resolution": "resolved"}
    assert client.post(url, json=body, headers=cw.a.h_office).status_code == 403
    assert client.post(url, json=body, headers=cw.h_platform).status_code == 403
    assert (
        client.post(
            f"{ADMIN}/districts/{d.id}/complaints/{fresh}/reply", json=body, headers=da
        ).json["error"]
        == "illegal_transition"
    )
    done = client.post(url, json=body, headers=da)
    assert (done.status_code, done.json["status"]) == (200, "resolved")
    mine = client.get(f"/api/v1/complaints/{late}", headers=cw.a.h_parent).json
    assert mine["status"] == "resolved"
    assert client.get(f"{ADMIN}/districts/{d.id}/complaints/{late}", headers=de).status_code == 404
    assert (
        client.post(
            f"{ADMIN}/districts/{d.id}/complaints/{late}/reply", json=body, headers=de
        ).status_code
        == 404
    )
    b_complaint = file(client, cw.b).json["id"]
    assert (
        client.get(f"{ADMIN}/districts/{d.id}/complaints/{b_complaint}", headers=da).status_code
        == 404
    )
