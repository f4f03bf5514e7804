"""The district blacklist: every school of the district is barred from the licence."""

from __future__ import annotations

import sqlalchemy as sa

from backend.audit.models import AuditLog
from tests import factories as f
from tests.districts.helpers import ADMIN, world

SCHOOL = "/admin/api/v1/schools"
NEW = {"name": "新机构", "licence_no": "91410000BAD", "qualification": "许可证"}


def test_blacklisting_flags_active_providers_and_bars_the_licence(client, db):
    w = world(db)
    active = f.provider(db, w.s.school, licence_no="91410000BAD")
    r = client.post(
        f"{ADMIN}/districts/{w.d.id}/provider-blacklist",
        json={"licence_no": "91410000BAD", "name": "问题机构", "reason": "安全事故"},
        headers=w.da,
    )
    assert r.status_code == 201, r.json
    assert r.json["active"] is True
    assert r.json["until"][:4] == str(int(r.json["created_at"][:4]) + 6)
    assert r.json["flagged"] == [
        {"school_id": w.a_id, "provider_id": active.id, "name": active.name}
    ]
    flag = db.scalar(
        sa.select(AuditLog).where(
            AuditLog.school_id == w.a_id, AuditLog.action == "provider.district_blacklisted"
        )
    )
    assert flag is not None and flag.object_id == str(active.id)
    listed = client.get(f"{SCHOOL}/{w.a_id}/providers", headers=w.s.office).json
    assert [p["district_blacklisted"] for p in listed if p["id"] == active.id] == [True]
    for sid, office in ((w.a_id, w.s.office), (w.b_id, w.s.office_b)):
        barred = client.post(f"{SCHOOL}/{sid}/providers", json=NEW, headers=office)
        assert barred.status_code == 409, (sid, barred.json)
        assert barred.json["error"] == "provider_blacklisted"
    outside = client.post(f"{SCHOOL}/{w.c.id}/providers", json=NEW, headers=w.office_c)
    assert outside.status_code == 201, outside.json  # another district is not bound
    dup = client.post(
        f"{ADMIN}/districts/{w.d.id}/provider-blacklist",
        json={"licence_no": "91410000BAD", "name": "x", "reason": "y"},
        headers=w.da,
    )
    assert (dup.status_code, dup.json["error"]) == (409, "already_blacklisted")


def test_a_barred_provider_cannot_be_reactivated_until_the_bar_is_lifted(client, db):
    w = world(db)
    old = f.provider(db, w.s.school, licence_no="L-OLD", status="inactive")
    entry = client.post(
        f"{ADMIN}/districts/{w.d.id}/provider-blacklist",
        json={"licence_no": "L-OLD", "name": "旧机构", "reason": "违规收费", "until": "2030-01-01"},
        headers=w.da,
    ).json
    url = f"{SCHOOL}/{w.a_id}/providers/{old.id}"
    refused = client.patch(url, json={"status": "active"}, headers=w.s.office)
    assert (refused.status_code, refused.json["error"]) == (409, "provider_blacklisted")
    lifted = client.delete(
        f"{ADMIN}/districts/{w.d.id}/provider-blacklist/{entry['id']}", headers=w.da
    )
    assert (lifted.status_code, lifted.json["active"]) == (200, False)
    assert client.patch(url, json={"status": "active"}, headers=w.s.office).status_code == 200


def test_blacklist_wrong_callers_and_bad_input(client, db):
    w = world(db)
    url = f"{ADMIN}/districts/{w.d.id}/provider-blacklist"
    body = {"licence_no": "X1", "name": "x", "reason": "y"}
    assert client.post(url, json=body, headers=w.s.office).status_code == 403
    assert client.post(url, json=body, headers=w.s.platform).status_code == 403
    assert client.post(url, json=body, headers=w.de).status_code == 404
    assert client.post(url, json=body | {"until": "2001-01-01"}, headers=w.da).status_code == 422
    assert client.post(url, json={"licence_no": "X1"}, headers=w.da).status_code == 422
    assert client.get(url, headers=w.da).status_code == 200
