"""Every pickup endpoint against the wrong callers: no token, an admin token, another
family, another class, another school, and roles the endpoint is not for."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from backend.pickup.models import (
    AttendanceRecord,
    DismissalRelease,
    GateAttempt,
    Handoff,
    LeaveRequest,
    PickupNotice,
    PickupPerson,
)
from tests.images import JPEG
from tests.pickup.conftest import add_person, build, issue_code


def _endpoints(w, objs):
    a = w.a
    sid, cid = a.kid.id, a.classes[0].id
    pid, nid, lid = objs["person"], objs["notice"], objs["leave"]
    day = str(w.today)
    photo = lambda: {  # noqa: E731 - a fresh stream for every call
        "data": {"file": (io.BytesIO(JPEG), "p.jpg")},
        "content_type": "multipart/form-data",
    }
    person_body = {"name": "甲", "relation": "other", "phone": "13811112222"}
    return [
        # guardian endpoints: anyone but the pupil's guardians gets 404
        ("guardian", "GET", f"/api/v1/students/{sid}/pickup-persons", {}),
        ("guardian", "POST", f"/api/v1/students/{sid}/pickup-persons", {"json": person_body}),
        ("guardian", "DELETE", f"/api/v1/students/{sid}/pickup-persons/{pid}", {}),
        ("guardian", "POST", f"/api/v1/students/{sid}/pickup-persons/{pid}/photo", photo),
        ("photo", "GET", f"/api/v1/students/{sid}/pickup-persons/{pid}/photo", {}),
        ("guardian", "GET", f"/api/v1/students/{sid}/self-leave", {}),
        ("guardian", "PUT", f"/api/v1/students/{sid}/self-leave", {"json": {"allowed": True}}),
        (
            "guardian",
            "POST",
            "/api/v1/pickup-notices",
            {"json": {"student_id": sid, "date": day, "kind": "absent"}},
        ),
        ("guardian", "GET", "/api/v1/pickup-notices", {"query_string": {"student_id": sid}}),
        ("guardian", "DELETE", f"/api/v1/pickup-notices/{nid}", {}),
        (
            "guardian",
            "POST",
            f"/api/v1/students/{sid}/handoff-codes",
            {"json": {"pickup_person_id": pid}},
        ),
        (
            "guardian",
            "POST",
            "/api/v1/leave-requests",
            {"json": {"student_id": sid, "dates": [day], "reason": "病假"}},
        ),
        ("guardian", "GET", "/api/v1/leave-requests", {"query_string": {"student_id": sid}}),
        ("guardian", "DELETE", f"/api/v1/leave-requests/{lid}", {}),
        # head teacher endpoints
        ("teacher", "POST", f"/api/v1/pickup-notices/{nid}/acknowledge", {}),
        ("teacher", "GET", f"/api/v1/classes/{cid}/dismissal", {}),
        ("teacher", "GET", f"/api/v1/classes/{cid}/dismissal/overdue", {}),
        ("teacher", "POST", f"/api/v1/classes/{cid}/dismissal/{sid}/release", {"json": {}}),
        ("teacher", "GET", f"/api/v1/classes/{cid}/attendance", {}),
        (
            "teacher",
            "PUT",
            f"/api/v1/classes/{cid}/attendance",
            {"json": {"records": [{"student_id": sid, "status": "present"}]}},
        ),
        (
            "teacher",
            "GET",
            "/api/v1/leave-requests",
            {"query_string": {"class_id": cid}},
        ),
        (
            "teacher",
            "POST",
            f"/api/v1/leave-requests/{lid}/decision",
            {"json": {"decision": "approve"}},
        ),
        # gate endpoints
        ("gate", "POST", "/api/v1/gate/verify", {"json": {"qr_token": objs["qr"]}}),
        (
            "gate",
            "POST",
            "/api/v1/gate/handoffs",
            {"json": {"qr_token": objs["qr"], "outcome": "released"}},
        ),
    ]


# Who calls, and what each kind of endpoint must answer them.
EXPECTED = {
    "guardian": {
        "none": 401,
        "admin": 401,
        "other_family": 404,
        "other_school_parent": 404,
        "teacher": 404,
        "gate": 404,
        "committee": 404,
    },
    "photo": {
        "none": 401,
        "admin": 401,
        "other_family": 404,
        "other_school_parent": 404,
        "other_school_gate": 404,
        "other_class_teacher": 404,
        "committee": 404,
    },
    "teacher": {
        "none": 401,
        "admin": 401,
        "guardian": 403,
        "gate": 403,
        "committee": 403,
        "other_school_teacher": 404,
        "other_class_teacher": 404,
    },
    "gate": {
        "none": 401,
        "admin": 401,
        "guardian": 403,
        "teacher": 403,
        "committee": 403,
        "other_school_gate": 404,
    },
}


@pytest.fixture
def world(client, db):
    from tests import factories as f

    w = build(db)
    a = w.a
    # a parent of a classmate (another family, same class) and a teacher of the other class
    neighbour = f.user(db)
    f.guardian_of(db, neighbour, a.classmate)
    other_class_teacher = f.user(db)
    f.grant(db, other_class_teacher, a.school, "head_teacher", class_id=a.classes[1].id)
    person = add_person(client, a)
    client.post(
        f"/api/v1/students/{a.kid.id}/pickup-persons/{person['id']}/photo",
        data={"file": (io.BytesIO(JPEG), "p.jpg")},
        headers=a.h_parent,
        content_type="multipart/form-data",
    )
    notice = client.post(
        "/api/v1/pickup-notices",
        json={"student_id": a.kid.id, "date": str(w.today), "kind": "regular"},
        headers=a.h_parent,
    ).json
    leave = client.post(
        "/api/v1/leave-requests",
        json={"student_id": a.kid.id, "dates": [str(w.today)], "reason": "事假"},
        headers=a.h_parent,
    ).json
    code = issue_code(client, a, person["id"])
    callers = {
        "none": {},
        "admin": a.h_office,
        "other_family": f.auth(db, user_row=neighbour),
        "other_school_parent": w.b.h_parent,
        "teacher": a.h_teacher,
        "gate": a.h_gate,
        "committee": a.h_committee,
        "guardian": a.h_parent,
        "other_school_gate": w.b.h_gate,
        "other_school_teacher": w.b.h_teacher,
        "other_class_teacher": f.auth(db, user_row=other_class_teacher),
    }
    objs = {
        "person": person["id"],
        "notice": notice["id"],
        "leave": leave["id"],
        "qr": code["qr_token"],
    }
    return w, objs, callers


def _snapshot(db):
    return {
        m.__name__: db.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (
            PickupPerson,
            PickupNotice,
            Handoff,
            LeaveRequest,
            AttendanceRecord,
            DismissalRelease,
        )
    }


def test_wrong_callers_everywhere(client, db, world):
    w, objs, callers = world
    before = _snapshot(db)
    failures = []
    checked = 0
    for kind, method, url, kwargs in _endpoints(w, objs):
        for caller, expected in EXPECTED[kind].items():
            args = kwargs() if callable(kwargs) else kwargs
            r = client.open(url, method=method, headers=callers[caller], **args)
            checked += 1
            if r.status_code != expected:
                failures.append((method, url, caller, expected, r.status_code, r.json))
    assert failures == []
    assert checked > 120
    assert _snapshot(db) == before
    # the gate attempts of the wrong school were logged; those of non-gate roles were not
    assert db.scalars(sa.select(GateAttempt.result)).all() == ["other_school"] * 2


def test_the_right_callers_get_through(client, db, world):
    """The same matrix's rightful callers succeed (so the 4xx above are not vacuous)."""
    w, objs, callers = world
    expected_ok = {"guardian": "guardian", "photo": "gate", "teacher": "teacher", "gate": "gate"}
    # deletions last, so that they do not take away what the other calls use
    endpoints = sorted(_endpoints(w, objs), key=lambda e: e[1] == "DELETE")
    for kind, method, url, kwargs in endpoints:
        args = kwargs() if callable(kwargs) else kwargs
        r = client.open(url, method=method, headers=callers[expected_ok[kind]], **args)
        assert r.status_code < 400 or (r.status_code == 409 and method != "GET"), (
            method,
            url,
            r.status_code,
            r.json,
        )
