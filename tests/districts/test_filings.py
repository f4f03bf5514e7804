"""Filings (备案): submitted by the school, decided by its district, with a history."""

from __future__ import annotations

import io

import sqlalchemy as sa

from backend.audit.models import AuditLog
from tests import factories as f
from tests.districts.helpers import ADMIN, world

SCHOOL = "/admin/api/v1/schools"


def _plan(client, w, **kw):
    body = {"kind": "service_plan", "title": "课后服务方案", "body": "方案正文", "term_id": w.s.tid}
    body.update(kw)
    return client.post(f"{SCHOOL}/{w.a_id}/filings", json=body, headers=w.s.office)


def _apply(client, db, w):
    s = w.s
    kid = f.student(db, s.a["classes"][0])
    f.guardian_of(db, s.a["parent"], kid)
    agreement = f.agreement(db, s.term, version=f.n() + 5000)
    return client.post(
        "/api/v1/applications",
        json={"term_id": s.tid, "student_id": kid.id, "agreement_id": agreement.id, "agree": True},
        headers=s.parent,
    )


def test_sign_up_waits_for_the_approved_service_plan(client, db):
    w = world(db, requires_plan_approval=True)
    refused = _apply(client, db, w)
    assert (refused.status_code, refused.json["error"]) == (409, "plan_not_approved")
    term = client.get(f"{SCHOOL}/{w.a_id}/terms/{w.s.tid}", headers=w.s.office).json
    assert term["signup_blocked_reason"] == "plan_not_approved"
    filed = _plan(client, w)
    assert (filed.status_code, filed.json["status"]) == (201, "submitted")
    assert _apply(client, db, w).json["error"] == "plan_not_approved"  # submitted is not enough
    inbox = client.get(f"{ADMIN}/districts/{w.d.id}/filings?status=submitted", headers=w.da)
    assert [x["id"] for x in inbox.json] == [filed.json["id"]]
    decided = client.post(
        f"{ADMIN}/districts/{w.d.id}/filings/{filed.json['id']}/decision",
        json={"decision": "approve", "comment": "同意备案"},
        headers=w.da,
    )
    assert (decided.status_code, decided.json["status"]) == (200, "approved")
    ok = _apply(client, db, w)
    assert ok.status_code == 201, ok.json
    term = client.get(f"{SCHOOL}/{w.a_id}/terms/{w.s.tid}", headers=w.s.office).json
    assert term["signup_blocked_reason"] is None


def test_a_district_without_the_requirement_lets_sign_up_open(client, db):
    w = world(db)
    assert _apply(client, db, w).status_code == 201


def test_return_needs_a_comment_then_resubmit_and_approve_with_history(client, db):
    w = world(db)
    fid = _plan(client, w).json["id"]
    url = f"{ADMIN}/districts/{w.d.id}/filings/{fid}/decision"
    bare = client.post(url, json={"decision": "return"}, headers=w.da)
    assert bare.status_code == 422 and "comment" in bare.json["errors"]
    back = client.post(url, json={"decision": "return", "comment": "补充应急预案"}, headers=w.da)
    assert back.json["status"] == "returned"
    again = client.post(url, json={"decision": "approve"}, headers=w.da)
    assert (again.status_code, again.json["error"]) == (409, "filing_not_pending")
    resent = client.post(
        f"{SCHOOL}/{w.a_id}/filings/{fid}/resubmit",
        json={"body": "修改后的方案", "note": "已补充"},
        headers=w.s.office,
    )
    assert (resent.status_code, resent.json["status"], resent.json["version"]) == (
        200,
        "submitted",
        2,
    )
    client.post(url, json={"decision": "approve"}, headers=w.da)
    mine = client.get(f"{SCHOOL}/{w.a_id}/filings/{fid}", headers=w.s.office).json
    assert [(h["action"], h["status"], h["by"]) for h in mine["history"]] == [
        ("submit", "submitted", "school"),
        ("return", "returned", "district"),
        ("resubmit", "submitted", "school"),
        ("approve", "approved", "district"),
    ]
    assert mine["history"][1]["comment"] == "补充应急预案"
    actions = db.scalars(
        sa.select(AuditLog.action).where(
            AuditLog.school_id == w.a_id, AuditLog.object_type == "filing"
        )
    ).all()
    assert actions == ["filing.submit", "filing.return", "filing.resubmit", "filing.approve"]


def test_filing_bad_input_and_wrong_callers(client, db):
    w = world(db)
    assert _plan(client, w, term_id=None).status_code == 422
    assert _plan(client, w, kind="holiday").status_code == 422
    other_term = f.term(db, w.c)
    assert _plan(client, w, term_id=other_term.id).status_code == 422
    orphan = f.school(db)
    office = f.auth(db, admin_row=f.admin(db, orphan))
    lone = client.post(
        f"{SCHOOL}/{orphan.id}/filings",
        json={"kind": "emergency_plan", "title": "预案", "body": "x"},
        headers=office,
    )
    assert (lone.status_code, lone.json["error"]) == (409, "no_district")
    fid = _plan(client, w).json["id"]
    decide = f"{ADMIN}/districts/{w.d.id}/filings/{fid}/decision"
    assert client.post(decide, json={"decision": "approve"}, headers=w.s.office).status_code == 403
    assert (
        client.post(decide, json={"decision": "approve"}, headers=w.s.platform).status_code == 403
    )
    wrong = f"{ADMIN}/districts/{w.e.id}/filings/{fid}/decision"
    assert client.post(wrong, json={"decision": "approve"}, headers=w.de).status_code == 404
    assert client.get(f"{SCHOOL}/{w.a_id}/filings/{fid}", headers=w.s.office_b).status_code == 404
    assert client.get(f"{SCHOOL}/{w.a_id}/filings", headers=w.da).status_code == 403
    assert client.get(f"{ADMIN}/districts/{w.e.id}/filings/{fid}", headers=w.de).status_code == 404


def test_attachment_upload_and_download(client, db):
    w = world(db)
    fid = _plan(client, w).json["id"]
    url = f"{SCHOOL}/{w.a_id}/filings/{fid}/attachment"
    pdf = b"%PDF-1.4 plan"
    bad = client.put(
        url,
        data={"file": (io.BytesIO(b"<html>"), "x.html", "text/html")},
        headers=w.s.office,
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    up = client.put(
        url,
        data={"file": (io.BytesIO(pdf), "plan.pdf", "application/pdf")},
        headers=w.s.office,
        content_type="multipart/form-data",
    )
    assert (up.status_code, up.json["attachment_name"]) == (200, "plan.pdf")
    got = client.get(f"{ADMIN}/districts/{w.d.id}/filings/{fid}/attachment", headers=w.da)
    assert (got.status_code, got.data) == (200, pdf)
    assert (
        client.get(f"{ADMIN}/districts/{w.e.id}/filings/{fid}/attachment", headers=w.de).status_code
        == 404
    )
