"""The office's side: list and filter, accept, reply, export, summary; the filer is told
of every change through the outbox and the fake WeChat."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from backend.notifications import worker
from tests.complaints.conftest import URL, admin_url, file, past_due


def _sheet(r) -> list[list]:
    book = load_workbook(io.BytesIO(r.data), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def test_accept_then_reply_and_the_filer_follows(client, db, app, cw, fake_wechat):
    a = cw.a
    cid = file(client, a, student_id=a.kid.id).json["id"]
    r = client.post(admin_url(a, f"/{cid}/accept"), headers=a.h_office)
    assert r.status_code == 200 and r.json["status"] == "accepted"
    assert r.json["filer"] == {"role": "guardian", "name": "李秀兰"}
    assert r.json["student"]["name"] == a.kid.name
    again = client.post(admin_url(a, f"/{cid}/accept"), headers=a.h_office)
    assert again.status_code == 409 and again.json["error"] == "illegal_transition"
    r = client.post(
        admin_url(a, f"/{cid}/reply"),
        json={"text": "已核实，本学期收费标准已在公示栏公布", "resolution": "resolved"},
        headers=a.h_office,
    )
    assert r.status_code == 200 and r.json["status"] == "resolved"
    mine = client.get(f"{URL}/{cid}", headers=a.h_parent).json
    assert mine["reply_text"].startswith("已核实") and mine["replied_by"] == "school"
    assert [(e["kind"], e["status"], e["by"]) for e in mine["events"]] == [
        ("submitted", "submitted", "filer"),
        ("accepted", "accepted", "school"),
        ("replied", "resolved", "school"),
    ]
    assert mine["events"][2]["text"].startswith("已核实")
    assert mine["can_escalate"] is True  # within 7 days, not yet accepted by the filer
    with app.app_context():
        worker.run(burst=True)
    sent = [m for m in fake_wechat.sent_messages if m["touser"] == a.parent.openid]
    assert [m["template_id"] for m in sent] == ["tmpl-complaint_accepted", "tmpl-complaint_replied"]
    assert sent[1]["data"]["phrase2"] == {"value": "已办结"}
    assert sent[1]["data"]["thing3"]["value"].startswith("已核实")


def test_reply_needs_acceptance_and_valid_input(client, cw):
    a = cw.a
    cid = file(client, a).json["id"]
    body = {"text": "不予支持", "resolution": "rejected"}
    r = client.post(admin_url(a, f"/{cid}/reply"), json=body, headers=a.h_office)
    assert r.status_code == 409 and r.json["error"] == "illegal_transition"
    client.post(admin_url(a, f"/{cid}/accept"), headers=a.h_office)
    for bad in ({"text": "", "resolution": "resolved"}, {"text": "好", "resolution": "closed"}):
        assert (
            client.post(admin_url(a, f"/{cid}/reply"), json=bad, headers=a.h_office).status_code
            == 422
        )
    r = client.post(admin_url(a, f"/{cid}/reply"), json=body, headers=a.h_office)
    assert r.json["status"] == "rejected"
    r = client.post(admin_url(a, f"/{cid}/reply"), json=body, headers=a.h_office)
    assert r.status_code == 409


def test_another_school_sees_nothing(client, cw):
    a, b = cw.a, cw.b
    cid = file(client, a).json["id"]
    assert client.get(admin_url(a, f"/{cid}"), headers=b.h_office).status_code == 404
    assert client.get(admin_url(b, f"/{cid}"), headers=b.h_office).status_code == 404
    assert client.post(admin_url(b, f"/{cid}/accept"), headers=b.h_office).status_code == 404
    assert client.get(admin_url(a), headers=b.h_office).status_code == 404
    assert client.get(admin_url(b), headers=b.h_office).json == []
    assert client.get(admin_url(a), headers=a.h_parent).status_code == 401
    assert client.get(admin_url(a, f"/{cid}"), headers=cw.h_platform).status_code == 200


def test_filters_summary_and_export(client, db, cw):
    a = cw.a
    late = file(client, a, category="safety", text='=HYPERLINK("x")').json["id"]
    accepted = file(client, a, category="fees").json["id"]
    file(client, a, category="fees", anonymous=True)
    client.post(admin_url(a, f"/{accepted}/accept"), headers=a.h_office)
    past_due(db, late)

    def ids(**query):
        r = client.get(admin_url(a), query_string=query, headers=a.h_office)
        assert r.status_code == 200, r.json
        return [c["id"] for c in r.json]

    assert len(ids()) == 3
    assert ids(overdue="true") == [late]
    assert late not in ids(overdue="false")
    assert ids(status="accepted") == [accepted]
    assert len(ids(category="fees")) == 2
    assert (
        client.get(admin_url(a), query_string={"status": "x"}, headers=a.h_office).status_code
        == 422
    )
    summary = client.get(admin_url(a, "/summary"), headers=a.h_office).json
    assert summary == {
        "submitted": 2,
        "accepted": 1,
        "resolved": 0,
        "rejected": 0,
        "escalated": 0,
        "open": 3,
        "overdue": 1,
    }
    r = client.get(admin_url(a, "/export"), headers=a.h_office)
    assert r.status_code == 200 and "spreadsheetml" in r.mimetype
    rows = _sheet(r)
    assert rows[0][:3] == ["编号", "类别", "状态"] and len(rows) == 4
    assert rows[1][8] == '\'=HYPERLINK("x")'  # a formula is written as text
    assert rows[1][5] == "是" and rows[3][6] == "匿名"
    only = _sheet(
        client.get(admin_url(a, "/export"), query_string={"status": "accepted"}, headers=a.h_office)
    )
    assert len(only) == 2
    assert client.get(admin_url(a, "/export"), headers=cw.b.h_office).status_code == 404
