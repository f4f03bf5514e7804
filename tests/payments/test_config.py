"""WECHAT_PAY_* settings: complete or refused, and production never falls back to the fake."""

from __future__ import annotations

import pytest
from flask import Flask

from backend.payments import config as cfg
from backend.payments.crypto import new_key_pair
from backend.payments.errors import PaymentsUnavailable
from backend.payments.gateway import get_gateway
from backend.settings import Settings


def _env(**over):
    private, public = new_key_pair()
    env = {
        "WECHAT_PAY_MCHID": "1900000109",
        "WECHAT_PAY_APIV3_KEY": "k" * 32,
        "WECHAT_PAY_PRIVATE_KEY": private,
        "WECHAT_PAY_CERT_SERIAL_NO": "ABC123",
        "WECHAT_PAY_PUBLIC_KEY": public,
        "WECHAT_PAY_PUBLIC_KEY_ID": "PUB_KEY_ID_1",
        "WECHAT_PAY_NOTIFY_URL": "https://kehou.example/api/v1/payments/wechat/notify",
    }
    env.update(over)
    return {k: v for k, v in env.items() if v is not None}


def test_complete_configuration():
    c = cfg.config_from_env(Settings(wechat_appid="wx123"), _env(WECHAT_PAY_BASE_URL="http://p/"))
    assert (c.mchid, c.appid, c.base_url, c.order_ttl_minutes) == (
        "1900000109",
        "wx123",
        "http://p",
        120,
    )
    assert cfg.config_from_env(Settings(), {}) is None  # unset: the fake in dev


def test_incomplete_configuration_names_what_is_missing(tmp_path):
    with pytest.raises(ValueError, match="apiv3_key"):
        cfg.config_from_env(Settings(), _env(WECHAT_PAY_APIV3_KEY=None))
    with pytest.raises(ValueError, match="32"):
        cfg.config_from_env(Settings(), _env(WECHAT_PAY_APIV3_KEY="short"))
    key = tmp_path / "apiclient_key.pem"
    env = _env()
    key.write_text(env.pop("WECHAT_PAY_PRIVATE_KEY"))
    env["WECHAT_PAY_PRIVATE_KEY_PATH"] = str(key)
    assert cfg.config_from_env(Settings(), env).private_key.startswith("-----BEGIN")


@pytest.mark.parametrize("env", [{}, {"WECHAT_PAY_MCHID": "1900000109"}])
def test_production_without_merchant_is_503(monkeypatch, env):
    for name in list(_env()):
        monkeypatch.delenv(name, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    app = Flask("prod")
    app.extensions["kehou"] = {"settings": Settings(env="production")}
    with app.app_context(), pytest.raises(PaymentsUnavailable):
        get_gateway()
    assert "wechat_pay" not in app.extensions["kehou"]


def test_production_payment_start_is_503(client, db, app, monkeypatch):
    from tests.payments.helpers import setup, start

    s = setup(db)
    ext = app.extensions["kehou"]
    monkeypatch.setitem(ext, "settings", Settings(env="production"))
    monkeypatch.delitem(ext, "wechat_pay", raising=False)
    monkeypatch.delenv("WECHAT_PAY_MCHID", raising=False)
    r = start(client, s)
    assert r.status_code == 503 and r.json["error"] == "payments_unavailable"
    assert "微信支付" in r.json["message"]


def _fake():
    from types import SimpleNamespace

    return SimpleNamespace(
        mchid="1900000109",
        appid="wx-demo",
        apiv3_key="k" * 32,
        merchant_private_pem="-",
        merchant_serial="S",
        platform_public_pem="-",
        platform_key_id="P",
        base_url="http://127.0.0.1:1",
    )


@pytest.mark.parametrize(
    "env, url",
    [
        ({}, "http://127.0.0.1:5000/api/v1/payments/wechat/notify"),
        ({"KEHOU_DEV_PORT": "5150"}, "http://127.0.0.1:5150/api/v1/payments/wechat/notify"),
        (
            {"KEHOU_DEV_HOST": "0.0.0.0", "KEHOU_DEV_PORT": "5151"},
            "http://127.0.0.1:5151/api/v1/payments/wechat/notify",
        ),
        (
            {"KEHOU_DEV_HOST": "192.168.1.9", "KEHOU_DEV_PORT": "8000"},
            "http://192.168.1.9:8000/api/v1/payments/wechat/notify",
        ),
        ({"FLASK_RUN_PORT": "5152"}, "http://127.0.0.1:5152/api/v1/payments/wechat/notify"),
        (
            {"KEHOU_DEV_PORT": "5150", "WECHAT_PAY_NOTIFY_URL": "https://tunnel.example/n"},
            "https://tunnel.example/n",
        ),
    ],
)
def test_fake_pay_notifies_the_dev_servers_own_address(env, url):
    # A dev server on port 5150 was paid at the fake while the notice went to port 5000.
    assert cfg.fake_config(_fake(), env).notify_url == url
