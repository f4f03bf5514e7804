"""Authorised pickup persons, one-day delegates, photos and the self-leave permission."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import timedelta

import sqlalchemy as sa
from PIL import Image

from backend.audit.models import AuditLog
from backend.notifications.models import OutboxMessage
from backend.pickup.models import HandoffCode, PickupPerson, PickupPersonPhoto
from tests.images import JPEG, PNG, jpeg
from tests.pickup.conftest import add_person, issue_code


def _outbox(db, kind):
    return [
        m.user_id for m in db.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == kind))
    ]


def test_add_list_and_masking(client, db, pk):
    a = pk.a
    url = f"/api/v1/students/{a.kid.id}/pickup-persons"
    r = client.post(
        url,
        json={"name": "王奶奶", "relation": "grandmother", "phone": "13512345678"},
        headers=a.h_parent,
    )
    assert r.status_code == 201, r.json
    assert r.json["phone"] == "13512345678" and r.json["phone_masked"] == "135****5678"
    assert r.json["is_delegate"] is False and r.json["photo_url"] is None
    # the other guardian hears about it; the one who made the change does not
    assert _outbox(db, "pickup_person_changed") == [a.other_parent.id]
    assert db.scalar(sa.select(AuditLog.action).where(AuditLog.object_type == "pickup_person")) == (
        "pickup_person.add"
    )
    mine = client.get(url, headers=a.h_parent).json
    theirs = client.get(url, headers=a.h_other_parent).json
    assert [p["phone"] for p in mine] == ["13512345678"]
    assert [p["phone"] for p in theirs] == ["135****5678"]


def test_one_day_delegate_and_date_rules(client, db, pk):
    a = pk.a
    url = f"/api/v1/students/{a.kid.id}/pickup-persons"
    body = {"name": "李叔叔", "relation": "other", "phone": "13600000001"}
    r = client.post(url, json={**body, "valid_on": pk.today.isoformat()}, headers=a.h_parent)
    assert r.status_code == 201 and r.json["is_delegate"] is True
    yesterday = (pk.today - timedelta(days=1)).isoformat()
    r = client.post(
        url, json={**body, "phone": "13600000002", "valid_on": yesterday}, headers=a.h_parent
    )
    assert r.status_code == 422 and r.json["error"] == "date_in_past"
    far = (pk.today + timedelta(days=60)).isoformat()
    r = client.post(url, json={**body, "phone": "13600000002", "valid_on": far}, headers=a.h_parent)
    assert r.status_code == 422
    # same phone on the same day again: conflict; a standing entry for it also overlaps
    r = client.post(url, json={**body, "valid_on": pk.today.isoformat()}, headers=a.h_parent)
    assert r.status_code == 409 and r.json["error"] == "pickup_person_exists"
    r = client.post(url, json=body, headers=a.h_parent)
    assert r.status_code == 409
    # a delegate of a past day is no longer listed
    person = db.get(PickupPerson, client.get(url, headers=a.h_parent).json[0]["id"])
    person.valid_on = pk.today - timedelta(days=1)
    db.flush()
    assert client.get(url, headers=a.h_parent).json == []


def test_bad_input_is_422_and_writes_nothing(client, db, pk):
    a = pk.a
    url = f"/api/v1/students/{a.kid.id}/pickup-persons"
    good = {"name": "王奶奶", "relation": "grandmother", "phone": "13512345678"}
    for bad in (
        {**good, "extra": 1},
        {**good, "phone": "12345"},
        {**good, "relation": "neighbour"},
        {**good, "photo_url": "http://example.com/a.jpg"},
        {**good, "name": ""},
        {**good, "name": "长" * 51},
        {**good, "name": "王\u202e奶奶"},
        {**good, "name": "王奶奶\x00"},
        {**good, "phone": "1351234567\u0668"},
        {k: v for k, v in good.items() if k != "phone"},
    ):
        r = client.post(url, json=bad, headers=a.h_parent)
        assert r.status_code == 422 and r.json["error"] == "validation_error", bad
    assert db.scalar(sa.select(sa.func.count()).select_from(PickupPerson)) == 0
    ok = client.post(
        url, json={**good, "photo_url": "https://cdn.example.com/a.jpg"}, headers=a.h_parent
    )
    assert ok.json["photo_url"] == "https://cdn.example.com/a.jpg"


def test_too_many_persons(client, db, pk):
    for i in range(10):
        add_person(client, pk.a, phone=f"1380000{i:04d}")
    r = client.post(
        f"/api/v1/students/{pk.a.kid.id}/pickup-persons",
        json={"name": "第十一", "relation": "other", "phone": "13900009999"},
        headers=pk.a.h_parent,
    )
    assert r.status_code == 409 and r.json["error"] == "too_many_pickup_persons"


def test_remove_voids_codes_and_notifies(client, db, pk):
    a = pk.a
    person = add_person(client, a)
    code = issue_code(client, a, person["id"])
    url = f"/api/v1/students/{a.kid.id}/pickup-persons/{person['id']}"
    assert client.delete(url, headers=pk.b.h_parent).status_code == 404
    assert client.delete(url, headers=a.h_parent).status_code == 204
    assert client.delete(url, headers=a.h_parent).status_code == 404
    assert db.get(HandoffCode, code["id"]).status == "void"
    assert client.get(f"/api/v1/students/{a.kid.id}/pickup-persons", headers=a.h_parent).json == []
    assert _outbox(db, "pickup_person_changed") == [a.other_parent.id, a.other_parent.id]
    r = client.post("/api/v1/gate/verify", json={"code": code["code"]}, headers=a.h_gate)
    assert r.status_code == 410 and r.json["error"] == "code_void"


def _upload(client, ns, person_id, data, headers=None, name="p.jpg"):
    return client.post(
        f"/api/v1/students/{ns.kid.id}/pickup-persons/{person_id}/photo",
        data={"file": (io.BytesIO(data), name)},
        headers=headers or ns.h_parent,
        content_type="multipart/form-data",
    )


def test_photo_upload_sniffed_and_served_to_the_right_people(client, db, pk):
    a = pk.a
    person = add_person(client, a)
    # the declared name and type do not matter: the bytes do
    r = _upload(client, a, person["id"], PNG, name="photo.jpg")
    assert r.status_code == 200, r.json
    url = r.json["photo_url"]
    assert url.startswith(f"/api/v1/students/{a.kid.id}/pickup-persons/{person['id']}/photo")
    for headers in (a.h_parent, a.h_other_parent, a.h_gate, a.h_teacher):
        got = client.get(url, headers=headers)
        assert got.status_code == 200 and got.data.startswith(b"\x89PNG")
        assert got.headers["Content-Type"] == "image/png"
        assert got.headers["X-Content-Type-Options"] == "nosniff"
    for headers in (pk.b.h_gate, pk.b.h_parent, pk.b.h_teacher, a.h_committee):
        assert client.get(url, headers=headers).status_code == 404
    assert client.get(url).status_code == 401
    assert client.get(url, headers=a.h_office).status_code == 401
    # replacing keeps one row
    assert _upload(client, a, person["id"], JPEG).status_code == 200
    assert db.scalar(sa.select(sa.func.count()).select_from(PickupPersonPhoto)) == 1
    got = client.get(
        f"/api/v1/students/{a.kid.id}/pickup-persons/{person['id']}/photo", headers=a.h_gate
    )
    assert got.headers["Content-Type"] == "image/jpeg"
    # the person list now carries the served URL
    listing = client.get(f"/api/v1/students/{a.kid.id}/pickup-persons", headers=a.h_parent).json
    photo_url = listing[0]["photo_url"]
    etag = client.get(photo_url, headers=a.h_parent).headers["ETag"].strip('"')
    assert photo_url.endswith(etag[:12])
    # removing the person deletes the photo (the name stays for the handoff history)
    client.delete(f"/api/v1/students/{a.kid.id}/pickup-persons/{person['id']}", headers=a.h_parent)
    assert client.get(photo_url, headers=a.h_parent).status_code == 404
    assert db.scalar(sa.select(sa.func.count()).select_from(PickupPersonPhoto)) == 0


def test_photo_type_size_and_scope(client, db, pk):
    a = pk.a
    person = add_person(client, a)
    r = _upload(client, a, person["id"], b"GIF89a" + b"\x00" * 100)
    assert r.status_code == 415 and r.json["error"] == "unsupported_photo_type"
    r = _upload(client, a, person["id"], b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert r.status_code == 415
    r = _upload(client, a, person["id"], JPEG + b"\x00" * (2 * 1024 * 1024))
    assert r.status_code == 413 and r.json["error"] == "photo_too_large"
    r = _upload(client, a, person["id"], JPEG + b"\x00" * (3 * 1024 * 1024))
    assert r.status_code == 413
    assert _upload(client, a, person["id"], JPEG, headers=pk.b.h_parent).status_code == 404
    assert _upload(client, a, person["id"], JPEG, headers=a.h_gate).status_code == 404
    r = client.post(
        f"/api/v1/students/{a.kid.id}/pickup-persons/{person['id']}/photo",
        data={},
        headers=a.h_parent,
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    assert db.scalar(sa.select(sa.func.count()).select_from(PickupPersonPhoto)) == 0


def test_self_leave_permission(client, db, pk):
    a = pk.a
    url = f"/api/v1/students/{a.kid.id}/self-leave"
    assert client.get(url, headers=a.h_parent).json["allowed"] is False
    r = client.put(url, json={"allowed": True}, headers=a.h_parent)
    assert r.status_code == 200 and r.json["allowed"] is True
    assert client.get(url, headers=a.h_other_parent).json["allowed"] is True
    assert _outbox(db, "pickup_person_changed") == [a.other_parent.id]
    assert client.put(url, json={"allowed": "yes"}, headers=a.h_parent).status_code == 422
    assert client.put(url, json={"allowed": 1}, headers=a.h_parent).status_code == 422
    assert client.put(url, json={"allowed": False}, headers=pk.b.h_parent).status_code == 404
    assert client.put(url, json={"allowed": False}, headers=a.h_teacher).status_code == 404


def _exif_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 50.0)})
    return exif.tobytes()


def test_photo_is_reencoded_without_exif_or_gps(client, db, pk):
    a = pk.a
    person = add_person(client, a)
    uploaded = jpeg(size=(40, 30), exif=_exif_with_gps())
    assert Image.open(io.BytesIO(uploaded)).getexif().get_ifd(0x8825)  # GPS is in the upload
    r = _upload(client, a, person["id"], uploaded)
    assert r.status_code == 200, r.json
    served = client.get(r.json["photo_url"], headers=a.h_gate).data
    image = Image.open(io.BytesIO(served))
    assert image.format == "JPEG" and image.size == (40, 30)
    assert dict(image.getexif()) == {} and b"Exif" not in served and b"SpyCam" not in served
    stored = db.scalar(sa.select(PickupPersonPhoto))
    assert stored.data == served and stored.size == len(served)


def test_large_photo_is_scaled_down(client, db, pk):
    a = pk.a
    person = add_person(client, a)
    r = _upload(client, a, person["id"], jpeg(size=(3200, 1000)))
    assert r.status_code == 200, r.json
    served = client.get(r.json["photo_url"], headers=a.h_parent).data
    assert Image.open(io.BytesIO(served)).size == (1600, 500)


def test_photo_that_does_not_decode_is_422(client, db, pk):
    a = pk.a
    person = add_person(client, a)
    for data in (
        b"\xff\xd8\xff<html><script>alert(1)</script></html>",
        b"\xff\xd8\xff\xe0" + b"\x00" * 200,
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 200,
        PNG[:40],  # a truncated real PNG
    ):
        r = _upload(client, a, person["id"], data)
        assert r.status_code == 422 and r.json["error"] == "photo_unreadable", (data, r.json)
    assert db.scalar(sa.select(sa.func.count()).select_from(PickupPersonPhoto)) == 0


def test_pixel_bomb_is_refused_before_decoding(client, db, pk):
    # A 100000 x 100000 PNG header: a few bytes that would decode to 30 GB.
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    data = (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    a = pk.a
    person = add_person(client, a)
    r = _upload(client, a, person["id"], data)
    assert r.status_code == 422 and r.json["error"] == "photo_too_many_pixels", r.json
