"""Adapter over the maintained `wechatpayv3` client, sent to WECHAT_PAY_BASE_URL."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import secrets
import time
from datetime import datetime

import requests
from wechatpayv3 import WeChatPay, WeChatPayType

from backend.common.clock import SCHOOL_TZ
from backend.payments.config import PayConfig
from backend.payments.errors import PaymentsUnavailable

log = logging.getLogger("kehou.payments")
# WeChat's own rule: a notification older than this is a replay.
MAX_NOTIFICATION_AGE = 300
_NOTIFY_HEADERS = (
    "Wechatpay-Signature",
    "Wechatpay-Timestamp",
    "Wechatpay-Nonce",
    "Wechatpay-Serial",
    "Wechatpay-Signature-Type",
)


class PayRefused(Exception):
    """WeChat Pay answered with an error: `status`, its `code` and `message`."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class NotificationRejected(Exception):
    """A notification that does not verify; the reason is for the log, not for WeChat."""


class KehouWeChatPay(WeChatPay):
    """wechatpayv3's client with its host (hard-coded to api.mch.weixin.qq.com) replaced,
    using the platform public key mode so no certificate download is ever needed."""

    def __init__(self, config: PayConfig):
        super().__init__(
            wechatpay_type=WeChatPayType.MINIPROG,
            mchid=config.mchid,
            private_key=config.private_key,
            cert_serial_no=config.cert_serial_no,
            appid=config.appid,
            apiv3_key=config.apiv3_key,
            notify_url=config.notify_url,
            timeout=(5, config.timeout_seconds),
            public_key=config.public_key,
            public_key_id=config.public_key_id,
        )
        self._core._gate_way = config.base_url.rstrip("/")


class PayGateway:
    """What the payment services call; WeChat's answers come out as dicts or exceptions."""

    def __init__(self, config: PayConfig, *, fake=None):
        self.config = config
        self.fake = fake  # the built-in fake WeChat Pay in dev and tests
        self.client = KehouWeChatPay(config)

    def _call(self, what: str, fn, *args, **kwargs) -> tuple[int, object]:
        try:
            status, text = fn(*args, **kwargs)
        except requests.RequestException as exc:
            log.warning("wechat pay %s unreachable: %s", what, exc.__class__.__name__)
            raise PaymentsUnavailable(headers={"Retry-After": "5"}) from None
        except Exception as exc:  # the library raises bare Exception on a bad signature
            log.error("wechat pay %s: %s", what, exc)
            raise PaymentsUnavailable(headers={"Retry-After": "5"}) from None
        if status >= 500:
            log.warning("wechat pay %s answered HTTP %s", what, status)
            raise PaymentsUnavailable(headers={"Retry-After": "5"})
        data = text
        if isinstance(text, str):
            try:
                data = json.loads(text) if text else {}
            except ValueError:
                raise PaymentsUnavailable() from None
        if status >= 400:
            data = data if isinstance(data, dict) else {}
            raise PayRefused(status, data.get("code", ""), data.get("message", ""))
        return status, data

    # -- orders -------------------------------------------------------------------------

    def create_jsapi(
        self, *, out_trade_no: str, description: str, amount_fen: int, openid: str, expires_at
    ) -> str:
        _, data = self._call(
            "jsapi",
            self.client.pay,
            description=description,
            out_trade_no=out_trade_no,
            amount={"total": amount_fen, "currency": "CNY"},
            payer={"openid": openid},
            time_expire=expires_at.astimezone(SCHOOL_TZ).isoformat(timespec="seconds"),
            pay_type=WeChatPayType.MINIPROG,
        )
        prepay_id = data.get("prepay_id")
        if not prepay_id:
            raise PaymentsUnavailable()
        return prepay_id

    def pay_params(self, prepay_id: str) -> dict:
        """What wx.requestPayment takes, signed with the merchant key (RSA)."""
        stamp, nonce = str(int(time.time())), secrets.token_hex(16)
        package = f"prepay_id={prepay_id}"
        sign = self.client.sign([self.config.appid, stamp, nonce, package])
        return {
            "appId": self.config.appid,
            "timeStamp": stamp,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": sign,
        }

    def query(self, out_trade_no: str) -> dict | None:
        """The order at WeChat Pay, or None when WeChat does not know it."""
        try:
            return self._call("query", self.client.query, out_trade_no=out_trade_no)[1]
        except PayRefused as exc:
            if exc.code == "ORDER_NOT_EXIST":
                return None
            raise

    def close(self, out_trade_no: str) -> None:
        self._call("close", self.client.close, out_trade_no=out_trade_no)

    # -- refunds ------------------------------------------------------------------------

    def refund(
        self,
        *,
        out_refund_no: str,
        transaction_id: str,
        refund_fen: int,
        total_fen: int,
        reason: str,
    ) -> dict:
        return self._call(
            "refund",
            self.client.refund,
            out_refund_no=out_refund_no,
            amount={"refund": refund_fen, "total": total_fen, "currency": "CNY"},
            transaction_id=transaction_id,
            reason=reason[:80],
        )[1]

    def query_refund(self, out_refund_no: str) -> dict | None:
        try:
            return self._call("query_refund", self.client.query_refund, out_refund_no)[1]
        except PayRefused as exc:
            if exc.code == "RESOURCE_NOT_EXISTS":
                return None
            raise

    # -- bills --------------------------------------------------------------------------

    def trade_bill(self, bill_date: str) -> str:
        """The day's trade bill as text, its SHA1 checked."""
        _, info = self._call("tradebill", self.client.trade_bill, bill_date, "ALL", "GZIP")
        _, raw = self._call("billdownload", self.client.download_bill, info["download_url"])
        if isinstance(raw, dict):  # an empty body parsed as JSON
            raw = b""
        if hashlib.sha1(raw).hexdigest() != info.get("hash_value"):
            log.error("wechat pay bill %s: SHA1 does not match", bill_date)
            raise PaymentsUnavailable()
        return gzip.decompress(raw).decode("utf-8")

    # -- notifications ------------------------------------------------------------------

    def parse_notification(self, headers, body: bytes) -> dict:
        """Verify a notification (platform key, fresh timestamp) and decrypt its resource;
        returns the envelope with `resource` replaced by the decrypted object."""
        serial = headers.get("Wechatpay-Serial", "")
        stamp = headers.get("Wechatpay-Timestamp", "")
        if not headers.get("Wechatpay-Signature") or not headers.get("Wechatpay-Nonce"):
            raise NotificationRejected("signature headers missing")
        if serial != self.config.public_key_id:
            # Checked here: the library would otherwise go and download certificates.
            raise NotificationRejected(f"unknown platform key {serial[:40]!r}")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > MAX_NOTIFICATION_AGE:
            raise NotificationRejected("timestamp missing or older than 5 minutes")
        try:
            text = body.decode("utf-8")
            signed = {name: headers.get(name, "") for name in _NOTIFY_HEADERS}
            result = self.client.callback(headers=signed, body=text)
        except Exception as exc:  # bad type header, bad JSON, bad encoding
            raise NotificationRejected(f"unreadable: {exc.__class__.__name__}") from None
        if not result or not isinstance(result.get("resource"), dict):
            raise NotificationRejected("signature or decryption failed")
        return result


def parse_time(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp) if stamp else None
