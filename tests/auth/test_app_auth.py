"""Refresh rotation, logout, the verified phone, and what the auth endpoints refuse."""

from __future__ import annotations

import pytest

from backend.auth.models import AuthSession, User
from tests import factories

LOGIN = "/api/v1/auth/wechat-login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
PHONE = "/api/v1/auth/phone"


def _login(client, fake, openid="o_app") -> dict:
    res = client.post(LOGIN, json={"code": fake.issue_code(openid)})
    assert res.status_code == 200
    return res.get_json()


def _bearer(tokens: dict) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _phone(client, tokens, code="demo-phone-13800138000"):
    return client.post(PHONE, json={"code": code}, headers=_bearer(tokens))


# -- refresh -------------------------------------------------------------------------------


def test_refresh_rotates(client, fake_wechat):
    first = _login(client, fake_wechat)
    res = client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert res.status_code == 200
    second = res.get_json()
    assert set(second) >= {"access_token", "refresh_token", "expires_in", "user"}
    assert second["user"] == first["user"]
    assert second["refresh_token"] != first["refresh_token"]
    assert _phone(client, second).status_code == 200
    # The new refresh token works in turn.
    assert client.post(REFRESH, json={"refresh_token": second["refresh_token"]}).status_code == 200


def test_reusing_a_rotated_token_revokes_the_family(client, db, fake_wechat):
    first = _login(client, fake_wechat)
    second = client.post(REFRESH, json={"refresh_token": first["refresh_token"]}).get_json()
    reuse = client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    assert reuse.get_json()["error"] == "refresh_token_reused"
    # The revocation was committed although the request failed.
    res = _phone(client, second)
    assert res.status_code == 401 and res.get_json()["error"] == "session_expired"
    newest = client.post(REFRESH, json={"refresh_token": second["refresh_token"]})
    assert newest.status_code == 401 and newest.get_json()["error"] == "refresh_token_invalid"
    sessions = db.query(AuthSession).filter_by(user_id=first["user"]["id"]).all()
    assert [s.revoked_reason for s in sessions] == ["refresh_reused"]


def test_unknown_refresh_token(client):
    res = client.post(REFRESH, json={"refresh_token": "not-a-token"})
    assert res.status_code == 401 and res.get_json()["error"] == "refresh_token_invalid"


def test_refresh_token_english(client):
    res = client.post(
        REFRESH, json={"refresh_token": "nope"}, headers={"Accept-Language": "en-US,en;q=0.9"}
    )
    assert res.get_json()["message"].startswith("The refresh token is invalid")


# -- logout --------------------------------------------------------------------------------


def test_logout_ends_access_and_refresh(client, fake_wechat):
    tokens = _login(client, fake_wechat)
    res = client.post(LOGOUT, headers=_bearer(tokens))
    assert res.status_code == 204 and res.get_data() == b""
    after = _phone(client, tokens)
    assert after.status_code == 401 and after.get_json()["error"] == "session_expired"
    refused = client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    assert refused.status_code == 401 and refused.get_json()["error"] == "refresh_token_invalid"


def test_logout_leaves_other_devices_signed_in(client, fake_wechat):
    phone_tokens = _login(client, fake_wechat, "o_two_devices")
    tablet_tokens = _login(client, fake_wechat, "o_two_devices")
    assert client.post(LOGOUT, headers=_bearer(phone_tokens)).status_code == 204
    assert _phone(client, tablet_tokens).status_code == 200


# -- phone ---------------------------------------------------------------------------------


def test_phone_is_verified_and_stored(client, db, fake_wechat):
    tokens = _login(client, fake_wechat)
    res = _phone(client, tokens, fake_wechat.issue_phone_code("13912345678"))
    assert res.status_code == 200
    assert res.get_json() == {"phone_masked": "139****5678"}
    user = db.get(User, tokens["user"]["id"])
    db.refresh(user)
    assert user.phone == "13912345678" and user.phone_verified_at is not None


def test_invalid_phone_code(client, db, fake_wechat):
    tokens = _login(client, fake_wechat)
    res = _phone(client, tokens, "never-issued")
    assert res.status_code == 422 and res.get_json()["error"] == "phone_code_invalid"
    user = db.get(User, tokens["user"]["id"])
    db.refresh(user)
    assert user.phone is None


def test_token_fetched_once_and_again_after_invalidation(client, fake_wechat):
    tokens = _login(client, fake_wechat)
    assert _phone(client, tokens, "demo-phone-13800000001").status_code == 200
    assert _phone(client, tokens, "demo-phone-13800000002").status_code == 200
    assert fake_wechat.token_fetches == 1
    fake_wechat.invalidate_tokens()  # WeChat answers 40001; the gateway refreshes once
    assert _phone(client, tokens, "demo-phone-13800000003").status_code == 200
    assert fake_wechat.token_fetches == 2


def test_phone_when_wechat_is_down(client, db, fake_wechat):
    tokens = _login(client, fake_wechat)
    fake_wechat.fail_next(2, "500")  # the token fetch and, were it reached, the call
    res = _phone(client, tokens)
    assert res.status_code == 503 and res.get_json()["error"] == "wechat_unavailable"
    assert db.get(User, tokens["user"]["id"]).phone is None


# -- who may call --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not.a.token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
)
def test_no_or_malformed_token(client, headers):
    for path, body in ((LOGOUT, None), (PHONE, {"code": "demo-phone-13800138000"})):
        res = client.post(path, json=body, headers=headers)
        assert res.status_code == 401, path
        assert res.get_json()["error"] == "unauthorized"


def test_admin_token_is_refused_on_the_app_api(client, db):
    headers = factories.auth(db, admin_row=factories.admin(db))
    for path, body in ((LOGOUT, None), (PHONE, {"code": "demo-phone-13800138000"})):
        res = client.post(path, json=body, headers=headers)
        assert res.status_code == 401, path


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, body, field",
    [
        (LOGIN, {"code": "demo-a", "openid": "o_forged"}, "openid"),
        (LOGIN, {}, "code"),
        (LOGIN, {"code": 12345}, "code"),
        (LOGIN, {"code": None}, "code"),
        (LOGIN, {"code": "x" * 129}, "code"),
        (LOGIN, {"code": ""}, "code"),
        (REFRESH, {"refresh_token": "t", "user_id": 1}, "user_id"),
        (REFRESH, {"refresh_token": ["t"]}, "refresh_token"),
        (REFRESH, {"refresh_token": "x" * 257}, "refresh_token"),
    ],
)
def test_bad_bodies_are_422(client, db, path, body, field):
    res = client.post(path, json=body)
    assert res.status_code == 422
    payload = res.get_json()
    assert payload["error"] == "validation_error"
    assert field in payload["errors"]
    assert db.query(User).count() == 0


def test_bad_phone_body_is_422(client, fake_wechat):
    tokens = _login(client, fake_wechat)
    for body in ({"code": "demo-phone-13800138000", "phone": "13800138000"}, {"code": 1}):
        res = client.post(PHONE, json=body, headers=_bearer(tokens))
        assert res.status_code == 422 and res.get_json()["error"] == "validation_error"


def test_validation_message_in_english(client):
    res = client.post(LOGIN, json={"code": 1}, headers={"Accept-Language": "en"})
    assert res.get_json()["message"] == "Invalid input"


def test_openapi_documents_the_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, codes in (
        ("/api/v1/auth/wechat-login", {"200", "401", "422", "429", "503"}),
        ("/api/v1/auth/refresh", {"200", "401", "422"}),
        ("/api/v1/auth/logout", {"204", "401"}),
        ("/api/v1/auth/phone", {"200", "401", "422", "503"}),
    ):
        op = spec["paths"][path]["post"]
        assert op["summary"]
        assert codes <= set(op["responses"]), path
    assert spec["paths"]["/api/v1/auth/wechat-login"]["post"]["security"] == []
    assert spec["paths"]["/api/v1/auth/refresh"]["post"]["security"] == []
    assert "security" not in spec["paths"]["/api/v1/auth/logout"]["post"]
