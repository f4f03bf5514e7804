"""A fake WeChat API server on loopback, speaking WeChat's JSON and error codes (tests, dev)."""

from __future__ import annotations

import argparse
import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from backend.settings import DEMO_APPID, DEMO_SECRET

TOKEN_TTL = 7200
FAIL_MODES = ("500", "timeout", "garbage")
_DEMO_LOGIN = re.compile(r"^demo-([A-Za-z0-9_]{1,40})$")
_DEMO_PHONE = re.compile(r"^demo-phone-(1\d{10})$")


def _err(errcode: int, errmsg: str) -> dict:
    # WeChat appends a request id to every error message.
    return {"errcode": errcode, "errmsg": f"{errmsg} rid: {secrets.token_hex(6)}"}


class FakeWeChat:
    """In-memory WeChat: login codes, phone codes, access tokens and subscribe messages.

    Tests issue codes with issue_code()/issue_phone_code() and inspect `sent_messages`
    and `token_fetches`; fail_next() makes the next requests fail like a sick network.
    """

    def __init__(self, host: str, port: int, *, appid: str, secret: str, timeout_delay: float):
        self.appid = appid
        self.secret = secret
        # "timeout" mode holds the answer this long (interrupted by reset/stop).
        self.timeout_delay = timeout_delay
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self.sent_messages: list[dict] = []
        self.issued_session_keys: list[str] = []
        self._reset_state()
        self._httpd = _Server((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.fake = self
        bound_host, bound_port = self._httpd.server_address[:2]
        self.base_url = f"http://{bound_host}:{bound_port}/"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="fake-wechat", daemon=True
        )

    @classmethod
    def start(
        cls,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        appid: str = DEMO_APPID,
        secret: str = DEMO_SECRET,
        timeout_delay: float = 30.0,
    ) -> FakeWeChat:
        fake = cls(host, port, appid=appid, secret=secret, timeout_delay=timeout_delay)
        fake._thread.start()
        return fake

    def stop(self) -> None:
        self._wake.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def _reset_state(self) -> None:
        self._login_codes: dict[str, dict] = {}
        self._phone_codes: dict[str, dict] = {}
        self._tokens: set[str] = set()
        self._refused: set[str] = set()
        self._failures: list[str] = []
        self._msgid = 0
        self.token_fetches = 0
        self.sent_messages.clear()
        self.issued_session_keys.clear()

    def reset(self) -> None:
        """Forget every code, token, message and pending failure."""
        with self._lock:
            # Wake requests parked in "timeout" mode so they do not leak into the next test.
            self._wake.set()
            self._wake = threading.Event()
            self._reset_state()

    # -- what tests and scripts drive -------------------------------------------------

    def issue_code(self, openid: str, *, unionid: str | None = None, expired: bool = False) -> str:
        """A wx.login() code for `openid`, valid once (an expired one is already invalid)."""
        code = secrets.token_hex(16)
        with self._lock:
            self._login_codes[code] = {
                "openid": openid,
                "unionid": unionid,
                "expired": expired,
                "used": False,
            }
        return code

    def issue_phone_code(self, phone: str, *, expired: bool = False) -> str:
        """A getPhoneNumber code for `phone` (11 digits), valid once."""
        code = secrets.token_hex(16)
        with self._lock:
            self._phone_codes[code] = {"phone": phone, "expired": expired, "used": False}
        return code

    def refuse_user(self, openid: str) -> None:
        """The user turned subscribe messages off: sending to them answers 43101."""
        with self._lock:
            self._refused.add(openid)

    def invalidate_tokens(self) -> None:
        """Every access token issued so far stops working (answers 40001)."""
        with self._lock:
            self._tokens.clear()

    def fail_next(self, n: int = 1, mode: str = "500") -> None:
        """The next `n` requests (any endpoint) fail: "500", "timeout" or "garbage"."""
        if mode not in FAIL_MODES:
            raise ValueError(f"mode must be one of {FAIL_MODES}")
        with self._lock:
            self._failures.extend([mode] * n)

    # -- the endpoints ------------------------------------------------------------------

    def _take_failure(self) -> str | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def _check_app(self, q: dict) -> dict | None:
        if q.get("appid") != self.appid:
            return _err(40013, "invalid appid")
        if q.get("secret") != self.secret:
            return _err(40125, "invalid appsecret")
        return None

    def _check_token(self, q: dict) -> dict | None:
        token = q.get("access_token")
        if not token:
            return _err(41001, "access_token missing")
        with self._lock:
            valid = token in self._tokens
        if not valid:
            return _err(40001, "invalid credential, access_token is invalid or not latest")
        return None

    def token(self, q: dict) -> dict:
        with self._lock:
            self.token_fetches += 1
        if q.get("grant_type") != "client_credential":
            return _err(40002, "invalid grant_type")
        problem = self._check_app(q)
        if problem:
            return problem
        token = secrets.token_urlsafe(48)
        with self._lock:
            self._tokens.add(token)
        return {"access_token": token, "expires_in": TOKEN_TTL}

    def jscode2session(self, q: dict) -> dict:
        problem = self._check_app(q)
        if problem:
            return problem
        if q.get("grant_type") != "authorization_code":
            return _err(40002, "invalid grant_type")
        code = q.get("js_code") or ""
        if not code:
            return _err(41008, "missing code")
        demo = _DEMO_LOGIN.match(code)
        if demo:
            identity = {"openid": f"o_demo_{demo.group(1)}", "unionid": None}
        else:
            with self._lock:
                entry = self._login_codes.get(code)
                if entry is None or entry["expired"]:
                    return _err(40029, "invalid code")
                if entry["used"]:
                    return _err(40163, "code been used")
                entry["used"] = True
            identity = entry
        session_key = secrets.token_urlsafe(18)
        with self._lock:
            self.issued_session_keys.append(session_key)
        out = {"session_key": session_key, "openid": identity["openid"]}
        if identity["unionid"]:
            out["unionid"] = identity["unionid"]
        return out

    def phone_number(self, q: dict, body: dict | None) -> dict:
        problem = self._check_token(q)
        if problem:
            return problem
        if body is None:
            return _err(47001, "data format error")
        code = body.get("code") or ""
        demo = _DEMO_PHONE.match(code) if isinstance(code, str) else None
        if demo:
            phone = demo.group(1)
        else:
            with self._lock:
                entry = self._phone_codes.get(code)
                if entry is None or entry["expired"]:
                    return _err(40029, "invalid code")
                if entry["used"]:
                    return _err(40163, "code been used")
                entry["used"] = True
            phone = entry["phone"]
        return {
            "errcode": 0,
            "errmsg": "ok",
            "phone_info": {
                "phoneNumber": phone,
                "purePhoneNumber": phone,
                "countryCode": "86",
                "watermark": {"timestamp": int(time.time()), "appid": self.appid},
            },
        }

    def subscribe_send(self, q: dict, body: dict | None) -> dict:
        problem = self._check_token(q)
        if problem:
            return problem
        if body is None:
            return _err(47001, "data format error")
        touser, template_id = body.get("touser"), body.get("template_id")
        if not touser:
            return _err(40003, "invalid openid")
        if not template_id:
            return _err(40037, "invalid template id")
        if not isinstance(body.get("data"), dict):
            return _err(47003, "argument invalid! data is empty")
        with self._lock:
            if touser in self._refused:
                return _err(43101, "user refuse to accept the msg")
            self._msgid += 1
            self.sent_messages.append(
                {
                    "touser": touser,
                    "template_id": template_id,
                    "page": body.get("page"),
                    "data": body["data"],
                }
            )
            msgid = self._msgid
        return {"errcode": 0, "errmsg": "ok", "msgid": msgid}


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: a burst of callers (twenty threads in
    # the gateway test, a class of parents at once in dev) overflowed it.
    request_queue_size = 128


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeWeChat/1.0"

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's signature
        # Query strings carry secrets and codes; the fake stays silent like a good citizen.
        pass

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        fake: FakeWeChat = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        failure = fake._take_failure()
        if failure == "500":
            return self._send(500, b"<html>500 Internal Server Error</html>", "text/html")
        if failure == "timeout":
            fake._wake.wait(fake.timeout_delay)
            return self._send(200, b'{"errcode": -1, "errmsg": "system busy"}')
        if failure == "garbage":
            return self._send(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path.lstrip("/")
        body = None
        if raw:
            try:
                body = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                body = None
            if not isinstance(body, dict):
                body = None
        route = (method, path)
        if route == ("GET", "cgi-bin/token"):
            answer = fake.token(q)
        elif route == ("GET", "sns/jscode2session"):
            answer = fake.jscode2session(q)
        elif route == ("POST", "wxa/business/getuserphonenumber"):
            answer = fake.phone_number(q, body)
        elif route == ("POST", "cgi-bin/message/subscribe/send"):
            answer = fake.subscribe_send(q, body)
        else:
            return self._send(404, json.dumps(_err(44002, "invalid url")).encode())
        self._send(200, json.dumps(answer, ensure_ascii=False).encode("utf-8"))

    def _send(self, status: int, payload: bytes, content_type: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests); nothing to tell it


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the fake WeChat API in the foreground.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--appid", default=DEMO_APPID)
    parser.add_argument("--secret", default=DEMO_SECRET)
    args = parser.parse_args(argv)
    fake = FakeWeChat.start(args.host, args.port, appid=args.appid, secret=args.secret)
    print(
        f"fake WeChat listening on {fake.base_url} (appid {args.appid}); Ctrl-C stops it",
        flush=True,
    )
    print(f"  export WECHAT_API_BASE_URL={fake.base_url}", flush=True)
    print(
        "  login codes demo-<name> -> openid o_demo_<name>; phone codes demo-phone-<11 digits>",
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
