"""TRUSTED_PROXY_HOPS: behind a proxy the client address is the forwarded one, else not."""

from __future__ import annotations

import pytest

LOGIN = "/admin/api/v1/auth/login"


@pytest.fixture
def hops(app, monkeypatch):
    """Set the trusted hop count; the login limit by address drops to 2 a minute."""
    settings = app.extensions["kehou"]["settings"]

    def set_hops(n: int) -> None:
        monkeypatch.setattr(settings, "trusted_proxy_hops", n)

    monkeypatch.setattr(settings, "rate_limit_login", "2/minute")
    return set_hops


def _login(client, forwarded: str):
    return client.post(
        LOGIN,
        json={"username": "nobody", "password": "wrong-password-1"},
        headers={"X-Forwarded-For": forwarded},
    )


def test_with_one_trusted_hop_the_limit_is_per_forwarded_client(client, hops):
    hops(1)
    assert [_login(client, "203.0.113.1").status_code for _ in range(2)] == [401, 401]
    assert _login(client, "203.0.113.1").status_code == 429
    # Another client behind the same proxy has its own bucket.
    assert _login(client, "203.0.113.2").status_code == 401


def test_without_trusted_hops_a_forwarded_header_is_not_believed(client, hops):
    hops(0)
    assert [_login(client, "203.0.113.1").status_code for _ in range(2)] == [401, 401]
    assert _login(client, "203.0.113.2").status_code == 429
