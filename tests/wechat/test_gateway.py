"""The wechatpy gateway over real HTTP to the fake: base URL, shared token, error mapping."""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import fakeredis
import pytest
import redis
from flask import Flask

from backend.settings import ConfigError, Settings
from backend.wechat.client import WeChatGateway, WeChatSendError, make_wechat
from backend.wechat.errors import PhoneCodeInvalid, WeChatCodeInvalid, WeChatUnavailable
from tests.conftest import REDIS_URL


@pytest.fixture
def gateway(app):
    return app.extensions["kehou"]["wechat"]


@pytest.fixture
def short_timeout(app, monkeypatch):
    # Configuration, not code: the gateway reads its HTTP timeout from the settings.
    monkeypatch.setattr(app.extensions["kehou"]["settings"], "wechat_timeout_seconds", 0.5)


def _standalone(app, fake, redis_client, **overrides) -> WeChatGateway:
    settings = dataclasses.replace(app.extensions["kehou"]["settings"], **overrides)
    # A namespace of its own: the token cache starts empty whatever else ran before.
    return WeChatGateway(
        settings, redis_client, fake.base_url, namespace=f"test-{uuid.uuid4().hex}"
    )


def test_login_exchange_returns_identity_without_session_key(gateway, fake_wechat):
    code = fake_wechat.issue_code("o_gw", unionid="u_gw")
    assert gateway.code_to_session(code) == {"openid": "o_gw", "unionid": "u_gw"}
    # code2Session needs no access token: sign-in does not depend on the token endpoint.
    assert fake_wechat.token_fetches == 0


@pytest.mark.parametrize("expired", [False, True])
def test_login_code_errors(gateway, fake_wechat, expired):
    code = fake_wechat.issue_code("o_used", expired=expired)
    if not expired:
        gateway.code_to_session(code)
    with pytest.raises(WeChatCodeInvalid):
        gateway.code_to_session(code)


@pytest.mark.parametrize("mode", ["500", "garbage"])
def test_transport_failures_are_unavailable(gateway, fake_wechat, mode):
    fake_wechat.fail_next(1, mode)
    with pytest.raises(WeChatUnavailable):
        gateway.code_to_session("demo-a")
    fake_wechat.fail_next(1, mode)
    with pytest.raises(WeChatUnavailable):
        gateway.get_phone_number("demo-phone-13800138000")


def test_timeout_is_unavailable(gateway, fake_wechat, short_timeout):
    fake_wechat.fail_next(1, "timeout")
    with pytest.raises(WeChatUnavailable):
        gateway.code_to_session("demo-a")


def test_phone_number_and_token_reuse(gateway, fake_wechat):
    assert gateway.get_phone_number(fake_wechat.issue_phone_code("13800138000")) == "13800138000"
    assert gateway.get_phone_number("demo-phone-13900001111") == "13900001111"
    assert fake_wechat.token_fetches == 1


def test_rejected_token_is_refreshed_once(gateway, fake_wechat):
    gateway.get_phone_number("demo-phone-13800138000")
    fake_wechat.invalidate_tokens()
    assert gateway.get_phone_number("demo-phone-13800138000") == "13800138000"
    assert fake_wechat.token_fetches == 2


def test_invalid_phone_code(gateway, fake_wechat):
    with pytest.raises(PhoneCodeInvalid):
        gateway.get_phone_number("not-a-code")
    code = fake_wechat.issue_phone_code("13800138000", expired=True)
    with pytest.raises(PhoneCodeInvalid):
        gateway.get_phone_number(code)


def test_subscribe_message_sent_and_refused(gateway, fake_wechat):
    data = {"thing1": {"value": "接送确认"}}
    gateway.send_subscribe_message("o_p", "tmpl-1", data, page="pages/index/index")
    assert fake_wechat.sent_messages == [
        {"touser": "o_p", "template_id": "tmpl-1", "page": "pages/index/index", "data": data}
    ]
    fake_wechat.refuse_user("o_p")
    with pytest.raises(WeChatSendError) as err:
        gateway.send_subscribe_message("o_p", "tmpl-1", data)
    assert err.value.errcode == 43101
    assert "43101" in str(err.value)


def test_subscribe_message_survives_token_invalidation(gateway, fake_wechat):
    gateway.send_subscribe_message("o_a", "t", {"k": {"value": "v"}})
    fake_wechat.invalidate_tokens()
    gateway.send_subscribe_message("o_b", "t", {"k": {"value": "v"}})
    assert [m["touser"] for m in fake_wechat.sent_messages] == ["o_a", "o_b"]


def test_subscribe_message_unreachable(gateway, fake_wechat):
    gateway.get_phone_number("demo-phone-13800138000")  # token cached: one request left
    fake_wechat.fail_next(1, "500")
    with pytest.raises(WeChatUnavailable):
        gateway.send_subscribe_message("o_a", "t", {"k": {"value": "v"}})
    assert fake_wechat.sent_messages == []


def test_wrong_credentials_are_unavailable_and_the_secret_is_not_logged(app, fake_wechat, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("kehou").addHandler(caplog.handler)
    try:
        gw = _standalone(app, fake_wechat, fakeredis.FakeRedis(), wechat_secret="sekrit-123")
        with pytest.raises(WeChatUnavailable):
            gw.get_phone_number("demo-phone-13800138000")
        with pytest.raises(WeChatUnavailable):
            gw.code_to_session("demo-a")
    finally:
        logging.getLogger("kehou").removeHandler(caplog.handler)
    assert any("credentials" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if "sekrit-123" in r.getMessage()]


def _run_concurrently(gw, n=20) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def call(i):
        barrier.wait()
        try:
            results[i] = gw.get_phone_number(f"demo-phone-138{i:08d}")
        except Exception as exc:  # collected and asserted below
            results[i] = exc

    threads = [threading.Thread(target=call, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_concurrent_callers_fetch_the_token_once_fakeredis(app, fake_wechat):
    gw = _standalone(app, fake_wechat, fakeredis.FakeRedis(server=fakeredis.FakeServer()))
    results = _run_concurrently(gw)
    assert results == [f"138{i:08d}" for i in range(20)]
    assert fake_wechat.token_fetches == 1


def test_concurrent_callers_fetch_the_token_once_redis(app, fake_wechat, requires_redis):
    client = redis.Redis.from_url(REDIS_URL)
    try:
        gw = _standalone(app, fake_wechat, client)
        results = _run_concurrently(gw)
        assert results == [f"138{i:08d}" for i in range(20)]
        assert fake_wechat.token_fetches == 1
        # Every process shares the token: a second gateway on the same Redis reuses it.
        twin = WeChatGateway(gw.settings, client, fake_wechat.base_url, namespace=gw.namespace)
        twin.get_phone_number("demo-phone-13800000000")
        assert fake_wechat.token_fetches == 1
    finally:
        client.close()


class _Redirector(BaseHTTPRequestHandler):
    target = ""

    def do_GET(self):
        self.send_response(302)
        self.send_header("Location", self.target + self.path.lstrip("/"))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_redirects_are_not_followed(app, fake_wechat):
    handler = type("Handler", (_Redirector,), {"target": fake_wechat.base_url})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = app.extensions["kehou"]["settings"]
        gw = WeChatGateway(
            settings, fakeredis.FakeRedis(), f"http://127.0.0.1:{server.server_address[1]}/"
        )
        with pytest.raises(WeChatUnavailable):
            gw.code_to_session(fake_wechat.issue_code("o_redirect"))
        with pytest.raises(WeChatUnavailable):
            gw.get_phone_number("demo-phone-13800138000")
        assert fake_wechat.token_fetches == 0
    finally:
        server.shutdown()
        server.server_close()


def test_calls_never_leave_the_base_url(gateway):
    client = gateway.client
    assert client._resolve("sns/jscode2session", "https://api.weixin.qq.com/") == (
        gateway.base_url + "sns/jscode2session"
    )
    with pytest.raises(ValueError):
        client._resolve("https://example.com/cgi-bin/token", client.API_BASE_URL)


def _bare_app() -> Flask:
    app = Flask("bare")
    app.extensions["kehou"] = {"redis": fakeredis.FakeRedis(server=fakeredis.FakeServer())}
    return app


def test_dev_default_starts_the_embedded_fake():
    app = _bare_app()
    gw = make_wechat(app, Settings(env="development", wechat_api_base_url=""))
    assert gw.fake is not None and app.extensions["kehou"]["wechat_fake"] is gw.fake
    assert gw.base_url == gw.fake.base_url
    assert gw.code_to_session("demo-parent")["openid"] == "o_demo_parent"
    # One embedded fake per process, however many apps are created.
    assert make_wechat(_bare_app(), Settings(env="development")).fake is gw.fake


def test_production_never_starts_a_fake():
    with pytest.raises(ConfigError):
        make_wechat(_bare_app(), Settings(env="production", wechat_api_base_url=""))


def test_a_connection_refused_once_is_tried_again(app, fake_wechat, monkeypatch):
    # Twenty callers opening connections at once once lost one (ConnectionError at caller
    # 10): a connection that never opened sent nothing, so the gateway tries it once more.
    from urllib3.connection import HTTPConnection
    from urllib3.exceptions import NewConnectionError

    real = HTTPConnection._new_conn
    refused = []

    def flaky(self):
        if not refused:
            refused.append(self.port)
            raise NewConnectionError(self, "Connection refused (simulated)")
        return real(self)

    monkeypatch.setattr(HTTPConnection, "_new_conn", flaky)
    gw = _standalone(app, fake_wechat, fakeredis.FakeRedis(server=fakeredis.FakeServer()))
    assert gw.get_phone_number("demo-phone-13800138000") == "13800138000"
    assert refused and fake_wechat.token_fetches == 1


def test_a_failing_server_is_not_hammered(app, fake_wechat):
    # The retry is for connections only: an answer (even a 500) is final.
    gw = _standalone(app, fake_wechat, fakeredis.FakeRedis(server=fakeredis.FakeServer()))
    gw.get_phone_number("demo-phone-13800138000")
    fake_wechat.fail_next(1, "500")
    with pytest.raises(WeChatUnavailable):
        gw.get_phone_number("demo-phone-13800138001")
    assert gw.get_phone_number("demo-phone-13800138002") == "13800138002"
