"""What the browser tests sign in to: two schools of a district, committed for real."""

from __future__ import annotations

from types import SimpleNamespace

import pyotp

from backend.auth import passwords
from backend.auth.models import AdminAccount
from backend.districts.models import District
from tests import factories as f

PASSWORD = "Console-pass-2026"


def account(db, username, *, school=None, district=None, totp=False) -> AdminAccount:
    """An admin with a real password (and TOTP when asked; its secret on the row)."""
    row = AdminAccount(
        username=username,
        password_hash=passwords.hash_password(PASSWORD),
        school_id=school.id if school else None,
        district_id=district.id if district else None,
        totp_secret=pyotp.random_base32() if totp else None,
        totp_enabled=totp,
        active=True,
    )
    db.add(row)
    db.flush()
    return row


def build(db) -> SimpleNamespace:
    """Schools A and B in one district, a running term at A with pupils and courses."""
    w = f.World(db)
    district = District(name="示范区教育局", code="CONSOLE-D")
    db.add(district)
    db.flush()
    a, b = w.schools[0], w.schools[1]
    a["school"].name, b["school"].name = "第一实验小学", "第二实验小学"
    for s in (a, b):
        s["school"].district_id = district.id
    term = f.term(db, a["school"], name="2026年秋季学期")
    agreement = f.agreement(db, term)
    for kid in a["kids"][:2]:
        f.enrolled(db, term, kid)
    f.course(db, term, name="围棋", capacity=20, seats_taken=12)
    f.course(db, term, name="作业辅导", kind="tutoring", capacity=30, seats_taken=25)
    office = account(db, "office-a", school=a["school"])
    bureau = account(db, "bureau-d", district=district, totp=True)
    db.commit()
    return SimpleNamespace(
        w=w,
        a=a,
        b=b,
        district=district,
        term=term,
        agreement=agreement,
        office=office,
        bureau=bureau,
    )
