"""WECHAT_PAY_* settings (the process's gateway is built from them in payments/gateway.py).

| variable | meaning |
|---|---|
| WECHAT_PAY_MCHID | merchant id (商户号); unset = the built-in fake (never in production) |
| WECHAT_PAY_APPID | the mini-program appid the merchant is bound to (default WECHAT_APPID) |
| WECHAT_PAY_APIV3_KEY | the 32-character APIv3 key (decrypts notifications) |
| WECHAT_PAY_PRIVATE_KEY / _PATH | merchant API private key, PEM text or a file |
| WECHAT_PAY_CERT_SERIAL_NO | serial number of the merchant API certificate |
| WECHAT_PAY_PUBLIC_KEY / _PATH | WeChat Pay platform public key (微信支付公钥), PEM or file |
| WECHAT_PAY_PUBLIC_KEY_ID | its id (PUB_KEY_ID_...), sent as Wechatpay-Serial |
| WECHAT_PAY_NOTIFY_URL | https URL of POST /api/v1/payments/wechat/notify as WeChat reaches it |
| WECHAT_PAY_BASE_URL | API host (default https://api.mch.weixin.qq.com; a proxy or the fake) |
| WECHAT_PAY_ORDER_TTL_MINUTES | how long an order can be paid (default 120) |
| WECHAT_PAY_QUERY_AFTER_MINUTES | the sweep queries orders silent for this long (default 5) |
| WECHAT_PAY_TIMEOUT_SECONDS | HTTP timeout towards WeChat Pay (default 10) |
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("kehou.payments")
UPSTREAM = "https://api.mch.weixin.qq.com"
NOTIFY_PATH = "/api/v1/payments/wechat/notify"


@dataclass(frozen=True)
class PayConfig:
    mchid: str
    appid: str
    apiv3_key: str
    private_key: str
    cert_serial_no: str
    public_key: str
    public_key_id: str
    notify_url: str
    base_url: str = UPSTREAM
    order_ttl_minutes: int = 120
    query_after_minutes: int = 5
    timeout_seconds: float = 10.0


def _pem(env, name: str) -> str:
    text = env.get(name, "")
    path = env.get(name + "_PATH", "")
    if not text and path:
        text = Path(path).read_text()
    return text


def _tuning(env) -> dict:
    return dict(
        order_ttl_minutes=int(env.get("WECHAT_PAY_ORDER_TTL_MINUTES", 120)),
        query_after_minutes=int(env.get("WECHAT_PAY_QUERY_AFTER_MINUTES", 5)),
        timeout_seconds=float(env.get("WECHAT_PAY_TIMEOUT_SECONDS", 10)),
    )


def config_from_env(settings, env=None) -> PayConfig | None:
    """The configured merchant, or None when WECHAT_PAY_MCHID is unset. Raises ValueError
    naming what is missing when the merchant is half configured."""
    env = os.environ if env is None else env
    if not env.get("WECHAT_PAY_MCHID"):
        return None
    values = dict(
        mchid=env["WECHAT_PAY_MCHID"],
        appid=env.get("WECHAT_PAY_APPID") or settings.wechat_appid,
        apiv3_key=env.get("WECHAT_PAY_APIV3_KEY", ""),
        private_key=_pem(env, "WECHAT_PAY_PRIVATE_KEY"),
        cert_serial_no=env.get("WECHAT_PAY_CERT_SERIAL_NO", ""),
        public_key=_pem(env, "WECHAT_PAY_PUBLIC_KEY"),
        public_key_id=env.get("WECHAT_PAY_PUBLIC_KEY_ID", ""),
        notify_url=env.get("WECHAT_PAY_NOTIFY_URL", ""),
        base_url=(env.get("WECHAT_PAY_BASE_URL") or UPSTREAM).rstrip("/"),
    )
    missing = [k for k, v in values.items() if not v]
    if missing:
        raise ValueError("WECHAT_PAY_* incomplete: " + ", ".join(sorted(missing)))
    if len(values["apiv3_key"]) != 32:
        raise ValueError("WECHAT_PAY_APIV3_KEY must be 32 characters")
    return PayConfig(**values, **_tuning(env))


def dev_notify_url(env) -> str:
    """Where the fake WeChat Pay sends its notifications: WECHAT_PAY_NOTIFY_URL if set, else
    the dev server's own address (scripts/dev exports KEHOU_DEV_HOST and KEHOU_DEV_PORT;
    FLASK_RUN_HOST/FLASK_RUN_PORT for a bare `flask run`), so a dev server on another port
    than 5000 still hears that its orders were paid."""
    if env.get("WECHAT_PAY_NOTIFY_URL"):
        return env["WECHAT_PAY_NOTIFY_URL"]
    host = env.get("KEHOU_DEV_HOST") or env.get("FLASK_RUN_HOST") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):  # listening everywhere: loopback reaches it
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    port = env.get("KEHOU_DEV_PORT") or env.get("FLASK_RUN_PORT") or "5000"
    return f"http://{host}:{port}{NOTIFY_PATH}"


def fake_config(fake, env=None) -> PayConfig:
    env = os.environ if env is None else env
    return PayConfig(
        mchid=fake.mchid,
        appid=fake.appid,
        apiv3_key=fake.apiv3_key,
        private_key=fake.merchant_private_pem,
        cert_serial_no=fake.merchant_serial,
        public_key=fake.platform_public_pem,
        public_key_id=fake.platform_key_id,
        notify_url=dev_notify_url(env),
        base_url=fake.base_url,
        **_tuning(env),
    )
