"""Staff records, who teaches a course, hours entries and their audited corrections."""

from __future__ import annotations

import json

import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.staff.models import StaffHours
from tests.staff.helpers import ADMIN, course_teacher, hours, setup, staff, take, teach


def test_staff_records_and_course_staff(client, db):
    s = setup(db, client)
    url = f"{ADMIN}/{s.sid}/staff"
    r = client.post(url, json={"name": "外聘", "kind": "external"}, headers=s.office)
    assert r.status_code == 422 and "provider_id" in r.json["errors"]
    r = client.post(
        url, json={"name": "张", "kind": "teacher", "provider_id": s.p1.id}, headers=s.office
    )
    assert r.status_code == 422
    b_provider = client.post(
        f"{ADMIN}/{s.w.schools[1]['school'].id}/providers",
        json={"name": "B机构", "licence_no": "LB1", "qualification": "许可"},
        headers=s.office_b,
    )
    assert b_provider.status_code == 201, b_provider.json
    r = client.post(
        url,
        json={"name": "外聘", "kind": "external", "provider_id": b_provider.json["id"]},
        headers=s.office,
    )
    assert r.status_code == 422 and r.json["error"] == "provider_not_found"
    zhang = staff(client, s, "张老师")
    ext = staff(client, s, "外聘", "external", s.p1.id)
    listed = client.get(f"{url}?kind=external", headers=s.office)
    assert [x["id"] for x in listed.json] == [ext]
    assert json.loads(listed.headers["X-Pagination"])["total"] == 1
    teach(client, s, s.c1.id, [ext, zhang, zhang])
    got = client.get(f"{ADMIN}/{s.sid}/courses/{s.c1.id}/staff", headers=s.office).json
    assert got["staff_ids"] == sorted([zhang, ext])
    b_staff = client.post(
        f"{ADMIN}/{s.w.schools[1]['school'].id}/staff",
        json={"name": "B", "kind": "teacher"},
        headers=s.office_b,
    ).json["id"]
    r = client.put(
        f"{ADMIN}/{s.sid}/courses/{s.c1.id}/staff", json={"staff_ids": [b_staff]}, headers=s.office
    )
    assert r.status_code == 422 and r.json["error"] == "staff_not_found"


def test_entries_need_a_term_date_and_teaching_a_course(client, db):
    s = setup(db, client)
    zhang = staff(client, s, "张老师")
    r = hours(client, s, zhang, "2027-03-01", 60, "supervision")
    assert r.status_code == 422 and r.json["error"] == "no_term_on_date"
    r = hours(client, s, zhang, "2026-09-07", 40, "teaching")
    assert r.status_code == 422 and "course_id" in r.json["errors"]
    r = hours(client, s, zhang, "2026-09-07", 60, "admin", s.c1.id)
    assert r.status_code == 422
    r = hours(client, s, zhang, "2026-09-06", 60, "supervision")  # a Sunday: the office decides
    assert r.status_code == 201 and r.json["source"] == "office"
    page = client.get(
        f"{ADMIN}/{s.sid}/staff-hours?staff_id={zhang}&from=2026-09-01", headers=s.office
    )
    assert [x["minutes"] for x in page.json] == [60]


def test_corrections_are_new_entries_never_edits(client, db):
    s = setup(db, client)
    zhang = staff(client, s, "张老师")
    teach(client, s, s.c1.id, [zhang])
    t = course_teacher(db, s, zhang)
    take(client, t, s.c1.id, "2026-09-07", [])
    lesson = db.scalar(sa.select(StaffHours).where(StaffHours.source == "attendance"))
    url = f"{ADMIN}/{s.sid}/staff-hours/{lesson.id}/corrections"
    assert client.post(url, json={"reason": ""}, headers=s.office).status_code == 422
    r = client.post(url, json={"reason": "代课老师上的课"}, headers=s.office)
    assert r.status_code == 201 and r.json["replacement"] is None
    assert (r.json["negation"]["lessons"], r.json["negation"]["minutes"]) == (-1, -40)
    again = client.post(url, json={"reason": "再改"}, headers=s.office)
    assert again.status_code == 409 and again.json["error"] == "already_corrected"
    neg = client.post(
        f"{ADMIN}/{s.sid}/staff-hours/{r.json['negation']['id']}/corrections",
        json={"reason": "x"},
        headers=s.office,
    )
    assert neg.status_code == 409
    take(client, t, s.c1.id, "2026-09-07", [])  # saving the meeting again does not re-add it
    net = db.execute(sa.select(sa.func.sum(StaffHours.lessons), sa.func.count())).one()
    assert tuple(net) == (0, 2)
    assert lesson.minutes == 40  # the original entry is untouched
    audit = db.scalar(sa.select(AuditLog).where(AuditLog.action == "staff_hours.correct"))
    assert audit.after["reason"] == "代课老师上的课"


def test_wrong_callers_of_records_and_hours(client, db):
    s = setup(db, client)
    zhang = staff(client, s, "张老师")
    assert client.get(f"{ADMIN}/{s.sid}/staff", headers=s.office_b).status_code == 404
    assert client.get(f"{ADMIN}/{s.sid}/staff", headers=s.parent).status_code == 401
    assert hours(client, s, zhang, "2026-09-07", 60, "admin", headers=s.office_b).status_code == 404
    r = client.put(
        f"{ADMIN}/{s.sid}/courses/{s.c1.id}/staff", json={"staff_ids": [zhang]}, headers=s.office_b
    )
    assert r.status_code == 404
    entry = hours(client, s, zhang, "2026-09-07", 60, "admin").json
    r = client.post(
        f"{ADMIN}/{s.sid}/staff-hours/{entry['id']}/corrections",
        json={"reason": "x"},
        headers=s.office_b,
    )
    assert r.status_code == 404
    assert client.get(f"{ADMIN}/{s.sid}/staff", headers=s.platform).status_code == 200
