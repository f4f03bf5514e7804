"""Filing a complaint and following it: who may file, input checks, tracking numbers,
the due time, the rate limit, and who sees what."""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.common.clock import SCHOOL_TZ, now
from backend.complaints.deadline import due_at
from backend.complaints.models import Complaint
from tests import factories as f
from tests.complaints.conftest import URL, file


def test_a_guardian_files_and_gets_a_tracking_number_and_due_time(client, db, cw):
    a = cw.a
    r = file(client, a, student_id=a.kid.id, category="safety")
    assert r.status_code == 201, r.json
    body = r.json
    assert set(body) == {"id", "tracking_no", "status", "due_at"}
    assert body["status"] == "submitted"
    day = now().astimezone(SCHOOL_TZ)
    assert body["tracking_no"] == f"TS-{day:%Y%m%d}-0001"
    assert datetime.fromisoformat(body["due_at"]) == due_at(now())
    assert body["due_at"].endswith("T23:59:59+08:00")
    second = file(client, a, headers=a.h_teacher).json
    assert second["tracking_no"] == f"TS-{day:%Y%m%d}-0002"
    # numbering is per school
    assert file(client, cw.b).json["tracking_no"] == f"TS-{day:%Y%m%d}-0001"
    row = db.get(Complaint, body["id"])
    assert (row.filer_role, row.filer_name, row.student_id) == ("guardian", "李秀兰", a.kid.id)


def test_staff_may_file_and_are_named_by_their_grant(client, db, cw):
    a = cw.a
    for headers in (a.h_teacher, a.h_gate):
        r = file(client, a, headers=headers, category="staff")
        assert r.status_code == 201, r.json
    roles = db.scalars(sa.select(Complaint.filer_role).order_by(Complaint.id)).all()
    assert roles == ["head_teacher", "gate_staff"]


def test_only_members_of_the_school_may_file(client, db, cw):
    a, b = cw.a, cw.b
    assert file(client, a, headers=b.h_parent).status_code == 404
    assert file(client, a, headers=b.h_teacher).status_code == 404
    stranger = f.auth(db, user_row=f.user(db))
    assert file(client, a, headers=stranger).status_code == 404
    assert file(client, a, school_id=999999).status_code == 404
    # the office uses its own console, not the mini-program
    assert file(client, a, headers=a.h_office).status_code == 401
    assert client.post(URL, json={"school_id": a.sid}).status_code == 401
    assert db.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0


def test_a_pupil_not_mine_is_not_found(client, db, cw):
    a, b = cw.a, cw.b
    classmate = a.kids[1]  # the other parent's child, same school
    assert file(client, a, student_id=classmate.id).status_code == 404
    assert file(client, a, student_id=b.kid.id).status_code == 404
    # a teacher cannot attach a pupil of their class either: it is not their child
    assert file(client, a, headers=a.h_teacher, student_id=a.kid.id).status_code == 404
    # my own child, but another school's complaint channel
    f.guardian_of(db, a.parent, b.kids[1])
    assert file(client, b, student_id=a.kid.id).status_code == 404


def test_bad_input_is_refused_whole(client, db, cw):
    a = cw.a
    for text in ("", "   \n", "x" * 2001):
        r = file(client, a, text=text)
        assert r.status_code == 422 and "text" in r.json["errors"], r.json
    assert file(client, a, text="字" * 2000).status_code == 201
    assert "category" in file(client, a, category="food").json["errors"]
    assert "anonymous" in file(client, a, anonymous="yes").json["errors"]
    assert "extra" in file(client, a, extra=1).json["errors"]
    r = file(client, a, anonymous=True, student_id=a.kid.id)
    assert r.status_code == 422 and "student_id" in r.json["errors"]
    assert db.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 1


def test_english_error_messages(client, cw):
    r = client.post(
        URL,
        json={"school_id": cw.a.sid, "category": "fees", "text": ""},
        headers={**cw.a.h_parent, "Accept-Language": "en"},
    )
    assert r.status_code == 422 and r.json["error"] == "validation_error"
    assert r.json["message"] == "Invalid input"


def test_rate_limited_per_user(client, cw):
    a = cw.a
    for _ in range(10):
        assert file(client, a).status_code == 201
    r = file(client, a)
    assert r.status_code == 429 and r.json["error"] == "rate_limited"
    # another user is not held back
    assert file(client, a, headers=a.h_other_parent).status_code == 201


def test_mine_lists_and_shows_only_my_own(client, cw):
    a = cw.a
    mine = file(client, a, text="第一条").json["id"]
    file(client, a, text="第二条", anonymous=True)
    theirs = file(client, a, headers=a.h_other_parent, text="别人的").json["id"]
    r = client.get(URL, headers=a.h_parent)
    assert r.status_code == 200
    assert [c["text"] for c in r.json] == ["第二条", "第一条"]
    assert '"total": 2' in r.headers["X-Pagination"]
    page = client.get(URL, query_string={"page": 2, "page_size": 1}, headers=a.h_parent)
    assert [c["text"] for c in page.json] == ["第一条"]
    one = client.get(f"{URL}/{mine}", headers=a.h_parent).json
    assert one["status"] == "submitted" and one["can_escalate"] is False
    assert one["events"] == [
        {"at": one["events"][0]["at"], "kind": "submitted", "status": "submitted", "by": "filer"}
    ]
    assert client.get(f"{URL}/{theirs}", headers=a.h_parent).status_code == 404
    assert client.get(f"{URL}/{mine}", headers=cw.b.h_parent).status_code == 404
    assert client.get(f"{URL}/{mine}", headers=a.h_office).status_code == 401


def test_the_filing_is_audited(client, db, cw):
    a = cw.a
    cid = file(client, a, student_id=a.kid.id).json["id"]
    row = db.scalar(sa.select(AuditLog).where(AuditLog.action == "complaint.file"))
    assert (row.actor_kind, row.actor_id, row.object_id) == ("user", a.parent.id, str(cid))
    assert row.after["student_id"] == a.kid.id


def test_tracking_number_format(client, cw):
    no = file(client, cw.a).json["tracking_no"]
    assert re.fullmatch(r"TS-\d{8}-\d{4}", no)
