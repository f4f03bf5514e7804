"""A district of two schools (A and B of the fee world) and a third school outside it."""

from __future__ import annotations

from types import SimpleNamespace

from backend.districts.models import District
from tests import factories as f
from tests.fees.helpers import setup

ADMIN = "/admin/api/v1"


def district_admin(db, district) -> dict:
    """Authorization of a district admin (a factory admin moved into the district)."""
    row = f.admin(db)
    row.district_id = district.id
    db.flush()
    return f.auth(db, admin_row=row)


def world(db, *, requires_plan_approval=False):
    """Schools A and B in district D; school C in district E; their admins' tokens."""
    s = setup(db)
    d = District(
        name="示范区教育局", code=f"D{f.n()}", requires_plan_approval=requires_plan_approval
    )
    e = District(name="邻区教育局", code=f"E{f.n()}")
    db.add_all([d, e])
    db.flush()
    s.school.district_id = d.id
    s.b["school"].district_id = d.id
    c = f.school(db)
    c.district_id = e.id
    db.flush()
    return SimpleNamespace(
        s=s,
        d=d,
        e=e,
        c=c,
        da=district_admin(db, d),
        de=district_admin(db, e),
        office_c=f.auth(db, admin_row=f.admin(db, c)),
        a_id=s.sid,
        b_id=s.b["school"].id,
    )
