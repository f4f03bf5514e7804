"""A pickup world: two schools with a term whose calendar serves today, enrolled pupils,
guardians, head teachers and gate staff, and their tokens."""

from __future__ import annotations

from datetime import time
from types import SimpleNamespace

import pytest

from backend.common.clock import today
from backend.terms.calendar import is_service_day
from backend.terms.models import CalendarOverride
from tests import factories as f

# Times that make "before the cutoff" and "before service end" true whenever tests run.
LATE_EVENING = time(23, 59, 59)


def serve_on(db, term, day, end=None):
    """Make `day` a service day of the term (tests run on any day of the week)."""
    if end is not None or not is_service_day(db, term, day):
        db.add(
            CalendarOverride(term_id=term.id, day=day, is_service_day=True, service_end_time=end)
        )
        db.flush()


def close_on(db, term, day):
    db.add(CalendarOverride(term_id=term.id, day=day, is_service_day=False))
    db.flush()


def build(db, *, cutoff=LATE_EVENING, end=LATE_EVENING, grace=30):
    w = f.World(db)
    out = SimpleNamespace(w=w, today=today())
    for key, s in zip(("a", "b"), w.schools, strict=True):
        t = f.term(db, s["school"], pickup_cutoff_time=cutoff, service_end_time=end)
        t.pickup_grace_minutes = grace
        serve_on(db, t, out.today)
        for kid in s["kids"]:
            f.enrolled(db, t, kid)
        other_parent = f.user(db, phone=f"137{f.n():08d}")
        f.guardian_of(db, other_parent, s["kids"][0], relation="father")
        ns = SimpleNamespace(
            **s,
            term=t,
            today=out.today,
            kid=s["kids"][0],
            classmate=s["kids"][1],
            other_class_kid=s["kids"][2],
            other_parent=other_parent,
            h_parent=f.auth(db, user_row=s["parent"]),
            h_other_parent=f.auth(db, user_row=other_parent),
            h_teacher=f.auth(db, user_row=s["teacher"]),
            h_gate=f.auth(db, user_row=s["gate"]),
            h_office=f.auth(db, admin_row=s["office"]),
            h_committee=f.auth(db, user_row=s["committee"]["school"]),
        )
        setattr(out, key, ns)
    db.flush()
    return out


@pytest.fixture
def pk(db):
    return build(db)


def add_person(client, ns, **kw):
    body = {"name": "王奶奶", "relation": "grandmother", "phone": f"135{f.n():08d}", **kw}
    r = client.post(f"/api/v1/students/{ns.kid.id}/pickup-persons", json=body, headers=ns.h_parent)
    assert r.status_code == 201, r.json
    return r.json


def issue_code(client, ns, person_id, student=None, headers=None):
    r = client.post(
        f"/api/v1/students/{(student or ns.kid).id}/handoff-codes",
        json={"pickup_person_id": person_id},
        headers=headers or ns.h_parent,
    )
    assert r.status_code == 201, r.json
    return r.json
