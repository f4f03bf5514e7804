"""An anonymous complaint never shows its filer to the school or the district: not in
the API, not in the export, not in the audit log's views; the filer still sees it."""

from __future__ import annotations

import io
import json

import sqlalchemy as sa
from openpyxl import load_workbook

from backend.audit.models import AuditLog
from backend.complaints import queries
from backend.complaints.models import Complaint
from backend.database import get_session
from tests.complaints.conftest import URL, admin_url, file, past_due


def _text(r) -> str:
    if "spreadsheetml" in (r.mimetype or ""):
        book = load_workbook(io.BytesIO(r.data), read_only=True)
        return " ".join(
            str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row
        )
    return json.dumps(r.get_json(), ensure_ascii=False)


def test_the_office_and_the_district_cannot_name_an_anonymous_filer(app, client, db, cw):
    a = cw.a
    cid = file(client, a, anonymous=True, text="托管老师态度粗暴", category="staff").json["id"]
    client.post(admin_url(a, f"/{cid}/accept"), headers=a.h_office)
    client.post(
        admin_url(a, f"/{cid}/reply"),
        json={"text": "已约谈相关老师", "resolution": "resolved"},
        headers=a.h_office,
    )
    client.post(f"{URL}/{cid}/feedback", json={"satisfied": False}, headers=a.h_parent)
    client.post(f"{URL}/{cid}/escalate", headers=a.h_parent)
    parent = a.parent
    # what could name the family: the user id, the roster name, the phone, the pupils
    markers = ["李秀兰", parent.phone, parent.openid, a.kid.name, a.kid.student_no]
    views = [
        client.get(admin_url(a), headers=a.h_office),
        client.get(admin_url(a, f"/{cid}"), headers=a.h_office),
        client.get(admin_url(a, "/export"), headers=a.h_office),
        client.get(f"/admin/api/v1/schools/{a.sid}/audit-logs", headers=a.h_office),
        client.get(f"/admin/api/v1/schools/{a.sid}/audit-logs/export", headers=a.h_office),
    ]
    for r in views:
        assert r.status_code == 200, r.get_json()
        text = _text(r)
        assert "托管老师态度粗暴" in text or "complaint." in text
        for marker in markers:
            assert marker not in text, (r.request.path, marker)
    detail = views[1].get_json()
    assert detail["filer"] is None and detail["student"] is None
    rows = views[3].get_json()
    mine = [row for row in rows if row["object_type"] == "complaint"]
    by_filer = [
        row
        for row in mine
        if row["action"] in ("complaint.file", "complaint.feedback", "complaint.escalate")
    ]
    assert len(by_filer) == 3
    assert all(row["actor_kind"] == "anonymous" and row["actor_id"] is None for row in by_filer)
    assert all(row["client_ip"] is None for row in by_filer)
    assert {row["actor_kind"] for row in mine} == {"anonymous", "admin"}
    # the district's reads carry no filer or pupil at all
    with app.test_request_context():
        listed, _ = queries.escalated_or_overdue(get_session(), [a.sid], None, 1, 20)
    assert [c["id"] for c in listed] == [cid]
    assert "filer" not in listed[0] and "student" not in listed[0]
    # the filer still sees their own
    own = client.get(f"{URL}/{cid}", headers=a.h_parent).json
    assert own["anonymous"] is True and own["text"] == "托管老师态度粗暴"


def test_nothing_about_the_filer_is_stored_but_the_link_to_their_own(client, db, cw):
    a = cw.a
    cid = file(client, a, anonymous=True).json["id"]
    row = db.get(Complaint, cid)
    assert (row.filer_role, row.filer_name, row.student_id) == (None, None, None)
    audit = db.scalar(sa.select(AuditLog).where(AuditLog.action == "complaint.file"))
    assert "student_id" not in audit.after and "filer_role" not in audit.after


def test_a_named_complaint_shows_its_filer_to_the_office_only(app, client, db, cw):
    a = cw.a
    cid = file(client, a, student_id=a.kid.id).json["id"]
    past_due(db, cid)
    office = client.get(admin_url(a, f"/{cid}"), headers=a.h_office).json
    assert office["filer"]["name"] == "李秀兰" and office["student"]["name"] == a.kid.name
    with app.test_request_context():
        one = queries.district_complaint(get_session(), [a.sid], cid)
        assert queries.district_complaint(get_session(), [cw.b.sid], cid) is None
    assert "李秀兰" not in json.dumps(one, ensure_ascii=False, default=str)
    assert a.kid.name not in json.dumps(one, ensure_ascii=False, default=str)


def test_a_pupils_anonymisation_keeps_the_complaint_without_names(app, client, db, cw):
    from backend.privacy.anonymise import anonymise_student

    a = cw.a
    named = file(client, a, student_id=a.kid.id).json["id"]
    export = client.get("/api/v1/me/data-export", headers=a.h_parent).json
    records = next(c for c in export["children"] if c["student"]["id"] == a.kid.id)["records"]
    assert [r["id"] for r in records["complaints"]] == [named]
    anonymise_student(db, a.kid)
    db.flush()
    row = db.get(Complaint, named)
    db.refresh(row)
    assert (row.student_id, row.filer_name, row.status) == (None, None, "submitted")
