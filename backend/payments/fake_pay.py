"""A fake WeChat Pay APIv3 server on loopback (tests, scripts/dev) that signs like WeChat.

It verifies the merchant's request signatures, signs its answers and its notifications
with its own platform key pair, and encrypts notification resources with the APIv3 key,
so the code under test runs WeChat Pay's real verification and decryption.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import requests

from backend.payments import crypto
from backend.payments.fake_bill import trade_bill_csv
from backend.payments.fake_routes import query_of, rfc3339, route

FAIL_MODES = ("500", "lost")  # "lost": the request takes effect, the answer is a 500


class Notification:
    """A notification the fake produced: what it would POST, and what our server said."""

    def __init__(self, headers: dict, body: str):
        self.headers = headers
        self.body = body
        self.status_code: int | None = None
        self.answer: str | None = None


class FakeWeChatPay:
    """In-memory WeChat Pay: orders, payments, refunds and a daily trade bill."""

    def __init__(self, host: str, port: int, *, mchid: str, appid: str):
        self.mchid = mchid
        self.appid = appid
        self.apiv3_key = secrets.token_hex(16)  # 32 characters, like the real one
        self.merchant_private_pem, self.merchant_public_pem = crypto.new_key_pair()
        self.merchant_serial = secrets.token_hex(20).upper()
        self.platform_private_pem, self.platform_public_pem = crypto.new_key_pair()
        self.platform_key_id = "PUB_KEY_ID_" + secrets.token_hex(12).upper()
        self._merchant_key = crypto.load_public(self.merchant_public_pem)
        self._platform_key = crypto.load_private(self.platform_private_pem)
        self._lock = threading.Lock()
        self.reset()
        self._httpd = _Server((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.fake = self
        bound_host, bound_port = self._httpd.server_address[:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="fake-wechat-pay", daemon=True
        )

    @classmethod
    def start(cls, host="127.0.0.1", port=0, *, mchid="1900000109", appid="wx-demo-appid"):
        fake = cls(host, port, mchid=mchid, appid=appid)
        fake._thread.start()
        return fake

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def reset(self) -> None:
        """Forget every order, refund, planted failure and recorded request."""
        with self._lock:
            self.orders: dict[str, dict] = {}
            self.refunds: dict[str, dict] = {}
            self.requests: list[tuple[str, str]] = []
            self.rejected_signatures = 0
            self.bill_overrides: dict[str, int | None] = {}
            self.bill_extra: list[dict] = []
            self._failures: list[str] = []
            self.notify_url_override: str | None = None

    # -- what tests and scripts drive ---------------------------------------------------

    def fail_next(self, n: int = 1, mode: str = "500") -> None:
        """The next `n` API requests fail: "500" (nothing happens) or "lost" (it happens,
        but the answer is lost as in a network failure)."""
        if mode not in FAIL_MODES:
            raise ValueError(f"mode must be one of {FAIL_MODES}")
        with self._lock:
            self._failures.extend([mode] * n)

    def pay(self, out_trade_no: str, *, deliver: bool = True) -> Notification:
        """The user pays the order in WeChat: it becomes SUCCESS and the notification is
        built (and POSTed to the order's notify_url unless deliver=False)."""
        with self._lock:
            order = self.orders[out_trade_no]
            if order["trade_state"] != "SUCCESS":
                order["trade_state"] = "SUCCESS"
                order["transaction_id"] = "4200" + secrets.token_hex(12)[:24]
                order["success_time"] = rfc3339()
        note = self.payment_notification(out_trade_no)
        return self.deliver(note, order["notify_url"]) if deliver else note

    def payment_notification(self, out_trade_no: str, **tamper) -> Notification:
        """The signed TRANSACTION.SUCCESS notification of a paid order. Tampering for
        tests: amount=<fen> (signed, but another amount), mchid=, appid=, currency=,
        bad_signature=True, age_seconds=<n> (an old timestamp), serial=<id>."""
        resource = self.transaction(out_trade_no)
        for key in ("mchid", "appid"):
            if key in tamper:
                resource[key] = tamper[key]
        if "amount" in tamper:
            resource["amount"]["total"] = resource["amount"]["payer_total"] = tamper["amount"]
        if "currency" in tamper:
            resource["amount"]["currency"] = tamper["currency"]
        return self._notification("TRANSACTION.SUCCESS", "transaction", resource, **tamper)

    def complete_refund(self, out_refund_no: str, status: str = "SUCCESS", *, deliver=True):
        """WeChat finishes a refund (SUCCESS, CLOSED or ABNORMAL) and notifies."""
        with self._lock:
            refund = self.refunds[out_refund_no]
            refund["status"] = status
            if status == "SUCCESS":
                refund["success_time"] = rfc3339()
        note = self.refund_notification(out_refund_no)
        return self.deliver(note, refund["notify_url"]) if deliver else note

    def refund_notification(self, out_refund_no: str, **tamper) -> Notification:
        r = self.refunds[out_refund_no]
        resource = {
            "mchid": tamper.get("mchid", self.mchid),
            "out_trade_no": r["out_trade_no"],
            "transaction_id": r["transaction_id"],
            "out_refund_no": out_refund_no,
            "refund_id": r["refund_id"],
            "refund_status": r["status"],
            "success_time": r.get("success_time"),
            "user_received_account": "支付用户零钱",
            "amount": {
                "total": r["amount"]["total"],
                "refund": tamper.get("amount", r["amount"]["refund"]),
                "payer_total": r["amount"]["total"],
                "payer_refund": tamper.get("amount", r["amount"]["refund"]),
            },
        }
        return self._notification(f"REFUND.{r['status']}", "refund", resource, **tamper)

    def deliver(self, note: Notification, notify_url: str) -> Notification:
        """POST the notification over real HTTP, as WeChat Pay does."""
        url = self.notify_url_override or notify_url
        res = requests.post(url, data=note.body.encode(), headers=note.headers, timeout=30)
        note.status_code, note.answer = res.status_code, res.text
        return note

    def transaction(self, out_trade_no: str) -> dict:
        """The order as WeChat's query answers it."""
        with self._lock:
            o = self.orders[out_trade_no]
            out = {
                "appid": o["appid"],
                "mchid": o["mchid"],
                "out_trade_no": out_trade_no,
                "trade_type": "JSAPI",
                "trade_state": o["trade_state"],
                "trade_state_desc": o["trade_state"],
                "payer": {"openid": o["openid"]},
                "amount": {
                    "total": o["total"],
                    "payer_total": o["total"],
                    "currency": "CNY",
                    "payer_currency": "CNY",
                },
            }
            if o.get("transaction_id"):
                out.update(
                    transaction_id=o["transaction_id"],
                    success_time=o["success_time"],
                    bank_type="OTHERS",
                )
            return out

    # -- signing ------------------------------------------------------------------------

    def signed_headers(self, body: str, *, age_seconds: int = 0) -> dict:
        timestamp, nonce = str(int(time.time()) - age_seconds), secrets.token_hex(16)
        return {
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": crypto.sign(
                self._platform_key, crypto.message(timestamp, nonce, body)
            ),
            "Wechatpay-Serial": self.platform_key_id,
            "Wechatpay-Signature-Type": crypto.SIGNATURE_TYPE,
        }

    def _notification(self, event: str, kind: str, resource: dict, **tamper) -> Notification:
        nonce = secrets.token_hex(6)  # AES-GCM nonce: 12 characters
        body = json.dumps(
            {
                "id": "EV-" + secrets.token_hex(10),
                "create_time": rfc3339(),
                "resource_type": "encrypt-resource",
                "event_type": event,
                "summary": "支付成功" if kind == "transaction" else "退款状态变更",
                "resource": {
                    "original_type": kind,
                    "algorithm": "AEAD_AES_256_GCM",
                    "ciphertext": crypto.aes_gcm_encrypt(
                        self.apiv3_key, nonce, json.dumps(resource, ensure_ascii=False), kind
                    ),
                    "associated_data": kind,
                    "nonce": nonce,
                },
            },
            ensure_ascii=False,
        )
        headers = self.signed_headers(body, age_seconds=tamper.get("age_seconds", 0))
        headers["Content-Type"] = "application/json"
        if tamper.get("bad_signature"):
            forged = crypto.sign(
                crypto.load_private(crypto.new_key_pair()[0]),
                crypto.message(headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"], body),
            )
            headers["Wechatpay-Signature"] = forged
        if "serial" in tamper:
            headers["Wechatpay-Serial"] = tamper["serial"]
        return Notification(headers, body)

    def _check_request(self, method: str, path: str, body: str, header: str) -> str | None:
        """Why the merchant's request signature is not acceptable (None when it is)."""
        auth = crypto.parse_authorization(header)
        if not auth:
            return "no WECHATPAY2-SHA256-RSA2048 Authorization"
        if auth.get("mchid") != self.mchid or auth.get("serial_no") != self.merchant_serial:
            return "unknown merchant or certificate serial"
        if abs(time.time() - int(auth.get("timestamp") or 0)) > 300:
            return "timestamp too old"
        text = crypto.message(method, path, auth["timestamp"], auth.get("nonce_str", ""), body)
        if not crypto.verify(self._merchant_key, text, auth.get("signature", "")):
            return "signature does not verify"
        return None

    # -- the API ------------------------------------------------------------------------

    def handle(self, method: str, path: str, body: str, auth_header: str):
        """(status, JSON answer or bytes) for one request, after the signature check."""
        with self._lock:
            self.requests.append((method, path))
            failure = self._failures.pop(0) if self._failures else None
        if failure == "500":
            return 500, {"code": "SYSTEM_ERROR", "message": "系统错误"}
        if path.startswith("/fake/"):
            return self._control(method, path)
        if not path.startswith("/v3/billdownload/"):
            problem = self._check_request(method, path, body, auth_header)
            if problem:
                with self._lock:
                    self.rejected_signatures += 1
                return 401, {"code": "SIGN_ERROR", "message": problem}
        status, answer = route(self, method, path, json.loads(body) if body else {})
        return (500, {"code": "SYSTEM_ERROR", "message": "lost"}) if failure else (status, answer)

    def _control(self, method: str, path: str):
        """Dev controls (scripts/dev, no signature): POST /fake/pay/{out_trade_no} pays an
        order and notifies; POST /fake/refunds/{out_refund_no}?status=SUCCESS finishes a
        refund and notifies; GET /fake/orders lists the orders."""
        parts = urlsplit(path).path.strip("/").split("/")
        try:
            if method == "POST" and parts[1] == "pay" and len(parts) == 3:
                note = self.pay(parts[2])
            elif method == "POST" and parts[1] == "refunds" and len(parts) == 3:
                status = query_of(path).get("status", "SUCCESS")
                note = self.complete_refund(parts[2], status)
            elif method == "GET" and parts[1:] == ["orders"]:
                with self._lock:
                    return 200, {no: dict(o) for no, o in self.orders.items()}
            else:
                return 404, {"code": "NOT_FOUND", "message": "no such control"}
        except KeyError:
            return 404, {"code": "NOT_FOUND", "message": "unknown order or refund"}
        except requests.RequestException as exc:
            return 502, {"code": "NOTIFY_FAILED", "message": exc.__class__.__name__}
        return 200, {"notify_status": note.status_code, "notify_answer": note.answer}

    def bill(self, bill_date: str, tar_type: str | None) -> tuple[bytes, str]:
        """The trade bill of a day (Asia/Shanghai) and its SHA1."""
        with self._lock:
            text = trade_bill_csv(self, bill_date)
        raw = text.encode("utf-8")
        if tar_type == "GZIP":
            raw = gzip.compress(raw)
        return raw, hashlib.sha1(raw).hexdigest()


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: a burst of callers (twenty threads in
    # the gateway test, a class of parents at once in dev) overflowed it.
    request_queue_size = 128


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet in tests
        pass

    def _serve(self, method: str) -> None:
        fake: FakeWeChatPay = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        status, answer = fake.handle(method, self.path, body, self.headers.get("Authorization"))
        if isinstance(answer, bytes):
            payload, ctype = answer, "application/octet-stream"
        else:
            payload = b"" if answer is None else json.dumps(answer, ensure_ascii=False).encode()
            ctype = "application/json; charset=utf-8"
        self.send_response(status)
        if 200 <= status < 300 and ctype.startswith("application/json"):
            for key, value in fake.signed_headers(payload.decode()).items():
                self.send_header(key, value)
        if payload or status != 204:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")
