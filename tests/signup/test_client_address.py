"""R2 keeps the client's address: behind a trusted proxy, the forwarded one."""

from __future__ import annotations

import pytest

from backend.signup.models import Application


@pytest.mark.parametrize(("hops", "expected"), [(1, "203.0.113.9"), (0, "127.0.0.1")])
def test_the_application_keeps_the_real_client_address(app, scene, db, monkeypatch, hops, expected):
    monkeypatch.setattr(app.extensions["kehou"]["settings"], "trusted_proxy_hops", hops)
    headers = {**scene.h("parent"), "X-Forwarded-For": "198.51.100.4, 203.0.113.9"}
    r = scene.apply(headers=headers)
    assert r.status_code == 201, r.json
    assert db.get(Application, r.json["id"]).client_ip == expected
