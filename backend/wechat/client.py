"""Adapter over wechatpy whose every call honours WECHAT_API_BASE_URL."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading

import requests
from flask import current_app
from redis.exceptions import LockError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry
from wechatpy.client import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.redisstorage import RedisStorage

from backend.settings import ConfigError
from backend.wechat.errors import PhoneCodeInvalid, WeChatCodeInvalid, WeChatUnavailable

log = logging.getLogger("kehou.wechat")

UPSTREAM = "https://api.weixin.qq.com/"
# code2Session is authenticated by appid + secret; asking for an access token first would
# make sign-in depend on the token endpoint (and on Redis) for nothing.
_TOKENLESS = ("sns/jscode2session",)
# Answers meaning "your access token is stale": refresh once, then retry once.
_TOKEN_ERRCODES = {40001, 40014, 42001}
# Answers that are WeChat's problem or our configuration's, never the user's code.
_UPSTREAM_ERRCODES = {
    -1,
    40001,
    40002,
    40013,
    40014,
    40125,
    41001,
    41002,
    41004,
    42001,
    45009,
    45011,
}


class _RedactQuery(logging.Filter):
    """Blank secrets out of urllib3's debug lines: WeChat wants them in the query string."""

    pattern = re.compile(r"\b(secret|js_code|access_token|code)=[^&\s\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "=" in message:
            record.msg, record.args = self.pattern.sub(r"\1=***", message), ()
        return True


_urllib3_log = logging.getLogger("urllib3.connectionpool")
if not any(isinstance(f, _RedactQuery) for f in _urllib3_log.filters):
    _urllib3_log.addFilter(_RedactQuery())


class WeChatSendError(Exception):
    """WeChat refused a subscribe message; `errcode` says why (43101: the user refused)."""

    def __init__(self, errcode: int, errmsg: str):
        super().__init__(errcode, errmsg)
        self.errcode = errcode
        self.errmsg = errmsg

    def __str__(self) -> str:
        return f"WeChat errcode {self.errcode}: {self.errmsg}"


def _unavailable(what: str, reason: str) -> WeChatUnavailable:
    log.warning("wechat %s unavailable: %s", what, reason)
    return WeChatUnavailable(headers={"Retry-After": "5"})


class KehouWeChatClient(WeChatClient):
    """wechatpy's client sent to our base URL, with its access token shared through Redis.

    One instance per thread (requests.Session is not meant to be shared); the token and
    its refresh lock live in Redis, so every thread and process shares one token.
    """

    def __init__(self, appid, secret, *, base_url: str, redis, settings, namespace: str):
        super().__init__(
            appid,
            secret,
            session=RedisStorage(redis, prefix=namespace),
            timeout=settings.wechat_timeout_seconds,
            # wechatpy's own retry recurses without bound; _request retries once instead.
            auto_retry=False,
        )
        self.base_url = base_url
        self.API_BASE_URL = base_url + "cgi-bin/"
        # A connection that could not be opened (refused, reset during the handshake) is
        # tried once more: nothing was sent, so even a POST is safe to repeat. Twenty
        # callers opening connections at once sometimes lost one this way.
        retry = Retry(total=1, connect=1, read=0, redirect=0, status=0, other=0)
        for scheme in ("http://", "https://"):
            self._http.mount(scheme, HTTPAdapter(max_retries=retry))
        self._redis = redis
        self._settings = settings
        self._lock_name = f"{namespace}:{appid}:token-lock"

    # -- transport ----------------------------------------------------------------------

    def _resolve(self, url_or_endpoint: str, api_base_url: str) -> str:
        url = url_or_endpoint
        if not url.startswith(("http://", "https://")):
            url = api_base_url + url
        if url.startswith(UPSTREAM):
            # wechatpy hard-codes WeChat's host on some API groups (wxa among them).
            url = self.base_url + url[len(UPSTREAM) :]
        if not url.startswith(self.base_url):
            raise ValueError("WeChat calls must go to WECHAT_API_BASE_URL")
        return url

    def _send(self, method: str, url: str, **kwargs) -> tuple[requests.Response, dict]:
        what = url[len(self.base_url) :]
        try:
            res = self._http.request(
                method=method,
                url=url,
                timeout=self._settings.wechat_timeout_seconds,
                allow_redirects=False,
                **kwargs,
            )
        except requests.RequestException as exc:
            # Only the class name: the exception text holds the URL, secret and code included.
            raise _unavailable(what, exc.__class__.__name__) from None
        if res.status_code != 200:
            raise _unavailable(what, f"HTTP {res.status_code}")
        result = self._decode_result(res)
        if not isinstance(result, dict):
            raise _unavailable(what, "answer is not JSON")
        return res, result

    def _request(self, method, url_or_endpoint, **kwargs):
        url = self._resolve(url_or_endpoint, kwargs.pop("api_base_url", self.API_BASE_URL))
        params = kwargs.setdefault("params", {})
        needs_token = not url.endswith(_TOKENLESS)
        if isinstance(kwargs.get("data"), dict):
            kwargs["data"] = json.dumps(kwargs["data"], ensure_ascii=False).encode("utf-8")
        kwargs.pop("timeout", None)
        result_processor = kwargs.pop("result_processor", None)
        for attempt in (1, 2):
            if needs_token:
                params["access_token"] = self.access_token
            res, result = self._send(method, url, **kwargs)
            errcode = result.get("errcode")
            if needs_token and attempt == 1 and errcode in _TOKEN_ERRCODES:
                log.info("wechat access token rejected (errcode %s); refreshing once", errcode)
                self.fetch_access_token(stale=params["access_token"])
                continue
            break
        return self._handle_result(res, method, url, result_processor)

    # -- access token -------------------------------------------------------------------

    @property
    def access_token(self) -> str:
        token = self.session.get(self.access_token_key)
        if token:
            return token
        return self.fetch_access_token()["access_token"]

    def fetch_access_token(self, stale: str | None = None) -> dict:
        """Fetch a token from our base URL, once for all threads and processes.

        Whoever holds the Redis lock fetches; the others wait for it and then find the new
        token in Redis. `stale` is the token WeChat just rejected: a cached token different
        from it was refreshed by someone else meanwhile and is used as it is.
        """
        wait = self._settings.wechat_timeout_seconds + 5
        lock = self._redis.lock(self._lock_name, timeout=wait, blocking_timeout=wait)
        if not lock.acquire():
            raise _unavailable("cgi-bin/token", "token refresh lock not acquired")
        try:
            current = self.session.get(self.access_token_key)
            if current and current != stale:
                return {"access_token": current}
            _, result = self._send(
                "get",
                self.base_url + "cgi-bin/token",
                params={
                    "grant_type": "client_credential",
                    "appid": self.appid,
                    "secret": self.secret,
                },
            )
            if result.get("errcode") or not result.get("access_token"):
                # Wrong appid/secret is an operator problem: say so loudly, tell the user 503.
                log.error("wechat refused our credentials (errcode %s)", result.get("errcode"))
                raise WeChatUnavailable(headers={"Retry-After": "5"})
            expires_in = int(result.get("expires_in") or 7200)
            # Refresh a few minutes early so no call goes out with a token about to expire.
            ttl = max(expires_in - 300, 60)
            self.session.set(self.access_token_key, result["access_token"], ttl)
            return {"access_token": result["access_token"], "expires_in": expires_in}
        finally:
            # LockError: it expired while we fetched; the token is stored either way.
            with contextlib.suppress(LockError):
                lock.release()


class WeChatGateway:
    """What the backend calls; WeChat's answers come out as data or as domain errors."""

    def __init__(
        self, settings, redis, base_url: str, *, fake=None, namespace: str = "kehou:wechat"
    ):
        self.settings = settings
        self.redis = redis
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.namespace = namespace
        # The embedded fake WeChat in dev mode (None when talking to a configured URL).
        self.fake = fake
        self._local = threading.local()

    @property
    def client(self) -> KehouWeChatClient:
        client = getattr(self._local, "client", None)
        if client is None:
            client = KehouWeChatClient(
                self.settings.wechat_appid,
                self.settings.wechat_secret,
                base_url=self.base_url,
                redis=self.redis,
                settings=self.settings,
                namespace=self.namespace,
            )
            self._local.client = client
        return client

    def code_to_session(self, code: str) -> dict:
        """Exchange a wx.login() code: {"openid", "unionid"} (session_key is dropped here)."""
        try:
            result = self.client.wxa.code_to_session(code)
        except WeChatClientException as exc:
            if exc.errcode in _UPSTREAM_ERRCODES or exc.errcode is None:
                raise _unavailable("sns/jscode2session", f"errcode {exc.errcode}") from None
            raise WeChatCodeInvalid() from None
        openid = result.get("openid")
        if not openid:
            raise _unavailable("sns/jscode2session", "answer without openid")
        return {"openid": openid, "unionid": result.get("unionid") or None}

    def get_phone_number(self, code: str) -> str:
        """Exchange a getPhoneNumber code for the verified phone (11 digits in China)."""
        try:
            result = self.client.wxa.get_phone_number(code)
        except WeChatClientException as exc:
            if exc.errcode in _UPSTREAM_ERRCODES or exc.errcode is None:
                raise _unavailable("getuserphonenumber", f"errcode {exc.errcode}") from None
            raise PhoneCodeInvalid() from None
        info = result.get("phone_info") or {}
        pure, country = info.get("purePhoneNumber"), str(info.get("countryCode") or "86")
        if not pure:
            raise _unavailable("getuserphonenumber", "answer without phone_info")
        return pure if country == "86" else f"+{country}{pure}"

    def send_subscribe_message(
        self, openid: str, template_id: str, data: dict, page: str | None = None
    ) -> None:
        """Send one subscribe message.

        Raises WeChatSendError (with `errcode`) when WeChat refuses it, and
        WeChatUnavailable when WeChat cannot be reached (worth a retry later).
        """
        try:
            self.client.wxa.send_subscribe_message(openid, template_id, data, page=page)
        except WeChatClientException as exc:
            if exc.errcode is None:
                raise _unavailable("subscribe/send", "no errcode") from None
            raise WeChatSendError(exc.errcode, str(exc.errmsg)) from None


_embedded: dict[int, object] = {}
_embedded_lock = threading.Lock()


def embedded_fake(settings):
    """The process's built-in fake WeChat (dev default), started on first use.

    Keyed by process id: a forked worker gets its own, since the parent's server thread
    does not survive a fork.
    """
    from backend.wechat.fake_server import FakeWeChat

    with _embedded_lock:
        fake = _embedded.get(os.getpid())
        if fake is None:
            fake = FakeWeChat.start(appid=settings.wechat_appid, secret=settings.wechat_secret)
            _embedded[os.getpid()] = fake
            log.info("built-in fake WeChat listening on %s", fake.base_url)
        return fake


def make_wechat(app, settings) -> WeChatGateway:
    base_url, fake = settings.wechat_api_base_url, None
    if not base_url:
        if settings.is_production:
            raise ConfigError("production needs WECHAT_API_BASE_URL")
        fake = embedded_fake(settings)
        base_url = fake.base_url
    app.extensions["kehou"]["wechat_fake"] = fake
    return WeChatGateway(settings, app.extensions["kehou"]["redis"], base_url, fake=fake)


def get_wechat() -> WeChatGateway:
    return current_app.extensions["kehou"]["wechat"]
