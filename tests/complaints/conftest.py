"""A complaints world: two schools with guardians, staff and offices, and their tokens."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from backend.common.clock import now
from backend.complaints.models import Complaint
from backend.schools.models import RosterGuardian
from tests import factories as f

URL = "/api/v1/complaints"


def build(db):
    w = f.World(db)
    out = SimpleNamespace(w=w)
    for key, s in zip(("a", "b"), w.schools, strict=True):
        kid = s["kids"][0]
        db.add(
            RosterGuardian(
                student_id=kid.id, name="李秀兰", phone=s["parent"].phone, relation="mother"
            )
        )
        other_parent = f.user(db, phone=f"137{f.n():08d}")
        f.guardian_of(db, other_parent, s["kids"][1])
        db.flush()
        ns = SimpleNamespace(
            **s,
            sid=s["school"].id,
            kid=kid,
            other_parent=other_parent,
            h_parent=f.auth(db, user_row=s["parent"]),
            h_other_parent=f.auth(db, user_row=other_parent),
            h_teacher=f.auth(db, user_row=s["teacher"]),
            h_gate=f.auth(db, user_row=s["gate"]),
            h_office=f.auth(db, admin_row=s["office"]),
        )
        setattr(out, key, ns)
    out.h_platform = f.auth(db, admin_row=w.platform)
    return out


@pytest.fixture
def cw(db):
    return build(db)


def file(client, ns, headers=None, **body):
    """POST a complaint as `headers` (the school's parent by default)."""
    body = {"school_id": ns.sid, "category": "fees", "text": "收费标准不清楚", **body}
    return client.post(URL, json=body, headers=headers or ns.h_parent)


def admin_url(ns, path=""):
    return f"/admin/api/v1/schools/{ns.sid}/complaints{path}"


def past_due(db, complaint_id, days=1):
    """Move a complaint's due time into the past (as if working days had gone by)."""
    row = db.get(Complaint, complaint_id)
    db.refresh(row)
    row.due_at = now() - timedelta(days=days)
    db.flush()
    return row


def replied_ago(db, complaint_id, days):
    """Move a complaint's reply `days` into the past."""
    row = db.get(Complaint, complaint_id)
    db.refresh(row)
    row.replied_at = now() - timedelta(days=days)
    db.flush()
    return row
