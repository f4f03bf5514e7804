"""What the demo scripts share: a JSON client for the two public APIs (stdlib only) and the
demo office's sign-in with the seeded TOTP secret. Imported by demo_surveys.py and
demo_complaints.py (run from scripts/, so this module is on their path)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

OFFICE = ("demo-office", "Kehou-demo-2026")


class ApiError(Exception):
    def __init__(self, status: int, body: dict):
        super().__init__(f"{status} {body.get('error')}: {body.get('message')}")
        self.status, self.body = status, body


class Client:
    def __init__(self, base: str):
        self.base = base.rstrip("/")

    def raw(self, method: str, path: str, token: str | None = None, body=None):
        """(status, bytes) of one call; HTTP errors raise ApiError."""
        headers = {"Accept": "application/json", "Accept-Language": "zh"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=15) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = {"error": "http_error", "message": raw[:200].decode(errors="replace")}
            raise ApiError(exc.code, payload) from None

    def call(self, method: str, path: str, token: str | None = None, body=None):
        _, raw = self.raw(method, path, token, body)
        return json.loads(raw) if raw else None

    def wechat(self, name: str) -> str:
        body = {"code": f"demo-{name}"}
        return self.call("POST", "/api/v1/auth/wechat-login", body=body)["access_token"]

    def office(self) -> str:
        """The demo office's token, signed in with the seeded TOTP secret (DEMO_TOTP_SECRET
        overrides it). A code works once: if another demo just used this window's code,
        wait for the next one and try again."""
        import time

        import pyotp

        totp = pyotp.TOTP(os.environ.get("DEMO_TOTP_SECRET", "KEHOUDEMOOFFICEAKEHOUDEMOOFFICEA"))
        body = {"username": OFFICE[0], "password": OFFICE[1]}
        for attempt in range(2):
            try:
                body["otp"] = totp.now()
                return self.call("POST", "/admin/api/v1/auth/login", body=body)["access_token"]
            except ApiError as exc:
                if attempt or "invalid_otp" not in str(exc.args):
                    raise
                time.sleep(31 - time.time() % 30)
        raise AssertionError("unreachable")


def step(n: int, text: str) -> None:
    print(f"\n\033[1m[{n}] {text}\033[0m")
