"""The fake WeChat answers with WeChat's shapes and error codes over real HTTP."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from backend.settings import DEMO_APPID, DEMO_SECRET
from backend.wechat.fake_server import FakeWeChat


def _get(fake, path, **params):
    return requests.get(fake.base_url + path, params=params, timeout=5)


def _post(fake, path, body, **params):
    return requests.post(fake.base_url + path, params=params, json=body, timeout=5)


def _login(fake, code, appid=DEMO_APPID, secret=DEMO_SECRET):
    return _get(
        fake,
        "sns/jscode2session",
        appid=appid,
        secret=secret,
        js_code=code,
        grant_type="authorization_code",
    ).json()


def _token(fake, appid=DEMO_APPID, secret=DEMO_SECRET):
    return _get(
        fake, "cgi-bin/token", grant_type="client_credential", appid=appid, secret=secret
    ).json()


def test_token_checks_credentials_and_counts_fetches(fake_wechat):
    assert _token(fake_wechat, appid="wrong")["errcode"] == 40013
    assert _token(fake_wechat, secret="wrong")["errcode"] == 40125
    good = _token(fake_wechat)
    assert good["expires_in"] == 7200 and good["access_token"]
    assert fake_wechat.token_fetches == 3


def test_login_code_valid_once(fake_wechat):
    code = fake_wechat.issue_code("o_abc", unionid="u_abc")
    first = _login(fake_wechat, code)
    assert first["openid"] == "o_abc" and first["unionid"] == "u_abc"
    assert first["session_key"] == fake_wechat.issued_session_keys[-1]
    again = _login(fake_wechat, code)
    assert again["errcode"] == 40163 and again["errmsg"].startswith("code been used")


def test_unknown_and_expired_codes_are_invalid(fake_wechat):
    assert _login(fake_wechat, "nope")["errcode"] == 40029
    expired = fake_wechat.issue_code("o_late", expired=True)
    assert _login(fake_wechat, expired)["errcode"] == 40029


def test_demo_codes_always_work(fake_wechat):
    for _ in range(2):
        answer = _login(fake_wechat, "demo-parent")
        assert answer["openid"] == "o_demo_parent" and "unionid" not in answer


def test_login_checks_app_credentials(fake_wechat):
    assert _login(fake_wechat, "demo-x", secret="wrong")["errcode"] == 40125


def test_phone_number_needs_a_valid_token(fake_wechat):
    code = fake_wechat.issue_phone_code("13800138000")
    assert (
        _post(
            fake_wechat, "wxa/business/getuserphonenumber", {"code": code}, access_token="bad"
        ).json()["errcode"]
        == 40001
    )
    token = _token(fake_wechat)["access_token"]
    answer = _post(
        fake_wechat, "wxa/business/getuserphonenumber", {"code": code}, access_token=token
    ).json()
    assert answer["errcode"] == 0
    assert answer["phone_info"]["purePhoneNumber"] == "13800138000"
    assert answer["phone_info"]["countryCode"] == "86"
    reused = _post(
        fake_wechat, "wxa/business/getuserphonenumber", {"code": code}, access_token=token
    ).json()
    assert reused["errcode"] != 0
    demo = _post(
        fake_wechat,
        "wxa/business/getuserphonenumber",
        {"code": "demo-phone-13900001111"},
        access_token=token,
    ).json()
    assert demo["phone_info"]["phoneNumber"] == "13900001111"
    fake_wechat.invalidate_tokens()
    stale = _post(
        fake_wechat,
        "wxa/business/getuserphonenumber",
        {"code": "demo-phone-13900001111"},
        access_token=token,
    ).json()
    assert stale["errcode"] == 40001


def test_subscribe_send_records_and_refuses(fake_wechat):
    token = _token(fake_wechat)["access_token"]
    body = {"touser": "o_1", "template_id": "t", "page": "pages/x", "data": {"a": {"value": 1}}}
    assert (
        _post(fake_wechat, "cgi-bin/message/subscribe/send", body, access_token=token).json()[
            "errcode"
        ]
        == 0
    )
    assert fake_wechat.sent_messages == [
        {"touser": "o_1", "template_id": "t", "page": "pages/x", "data": {"a": {"value": 1}}}
    ]
    fake_wechat.refuse_user("o_1")
    assert (
        _post(fake_wechat, "cgi-bin/message/subscribe/send", body, access_token=token).json()[
            "errcode"
        ]
        == 43101
    )
    assert len(fake_wechat.sent_messages) == 1


def test_failure_injection(fake_wechat):
    fake_wechat.fail_next(1, "500")
    assert _get(fake_wechat, "cgi-bin/token").status_code == 500
    fake_wechat.fail_next(1, "garbage")
    res = _get(fake_wechat, "cgi-bin/token")
    with pytest.raises(ValueError):
        res.json()
    fake_wechat.fail_next(1, "timeout")
    with pytest.raises(requests.Timeout):
        requests.get(fake_wechat.base_url + "cgi-bin/token", timeout=0.3)
    # Failures are used up: the next request is answered normally.
    assert _token(fake_wechat)["access_token"]
    with pytest.raises(ValueError):
        fake_wechat.fail_next(1, "bogus")


def test_reset_forgets_everything(fake_wechat):
    code = fake_wechat.issue_code("o_r")
    fake_wechat.fail_next(3, "500")
    fake_wechat.reset()
    assert _login(fake_wechat, code)["errcode"] == 40029
    assert fake_wechat.token_fetches == 0 and fake_wechat.sent_messages == []


def test_unknown_path_is_404(fake_wechat):
    assert _get(fake_wechat, "cgi-bin/nothing").status_code == 404


def test_runs_in_the_foreground_from_the_command_line():
    proc = subprocess.Popen(
        [sys.executable, "-m", "backend.wechat.fake_server", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        base_url = line.split(" on ", 1)[1].split(" ", 1)[0]
        answer = requests.get(
            base_url + "cgi-bin/token",
            params={"grant_type": "client_credential", "appid": DEMO_APPID, "secret": DEMO_SECRET},
            timeout=5,
        ).json()
        assert answer["access_token"]
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_two_fakes_are_independent():
    other = FakeWeChat.start(appid="wxother", secret="s2")
    try:
        assert other.base_url.startswith("http://127.0.0.1:")
        assert _token(other, appid="wxother", secret="s2")["access_token"]
        assert other.token_fetches == 1
    finally:
        other.stop()
