"""The process's WeChat Pay gateway: the configured merchant, or the built-in fake in dev."""

from __future__ import annotations

import logging
import os
import threading

from flask import current_app

from backend.payments.client import PayGateway
from backend.payments.config import config_from_env, fake_config
from backend.payments.errors import PaymentsUnavailable
from backend.payments.fake_pay import FakeWeChatPay

log = logging.getLogger("kehou.payments")

_lock = threading.Lock()
_fakes: dict[int, object] = {}


def _embedded_fake(appid: str):
    """The process's fake WeChat Pay (keyed by pid: a forked worker starts its own)."""
    fake = _fakes.get(os.getpid())
    if fake is None:
        fake = _fakes[os.getpid()] = FakeWeChatPay.start(appid=appid)
        log.info("built-in fake WeChat Pay listening on %s", fake.base_url)
    return fake


def get_gateway():
    """The app's WeChat Pay gateway, built on first use; 503 payments_unavailable when
    production lacks (or has a broken) WECHAT_PAY_* configuration."""
    ext = current_app.extensions["kehou"]
    gateway = ext.get("wechat_pay")
    if gateway is not None:
        return gateway
    settings = ext["settings"]
    with _lock:
        gateway = ext.get("wechat_pay")
        if gateway is None:
            try:
                config = config_from_env(settings)
            except (ValueError, OSError) as exc:
                log.error("WeChat Pay is misconfigured: %s", exc)
                raise PaymentsUnavailable() from None
            fake = None
            if config is None:
                if settings.is_production:
                    log.error("WeChat Pay is not configured (WECHAT_PAY_MCHID unset)")
                    raise PaymentsUnavailable()
                fake = _embedded_fake(settings.wechat_appid)
                config = fake_config(fake)
            gateway = ext["wechat_pay"] = PayGateway(config, fake=fake)
    return gateway
