"""The fake WeChat Pay's endpoints: JSAPI order, query, close, refund, refund query, bill."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from backend.common.clock import SCHOOL_TZ

_ORDER = re.compile(r"^/v3/pay/transactions/out-trade-no/([A-Za-z0-9_\-|*]{6,32})$")
_CLOSE = re.compile(r"^/v3/pay/transactions/out-trade-no/([A-Za-z0-9_\-|*]{6,32})/close$")
_REFUND = re.compile(r"^/v3/refund/domestic/refunds/([A-Za-z0-9_\-|*@]{1,64})$")


def rfc3339(moment: datetime | None = None) -> str:
    """A time as WeChat Pay writes it (school time, seconds)."""
    return (moment or datetime.now(SCHOOL_TZ)).astimezone(SCHOOL_TZ).isoformat(timespec="seconds")


def query_of(path: str) -> dict:
    """A request path's query string, one value a key."""
    return {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}


def _error(status: int, code: str, message: str):
    return status, {"code": code, "message": message}


def route(fake, method: str, path: str, data: dict):
    url = urlsplit(path)
    p, q = url.path, query_of(path)
    if method == "POST" and p == "/v3/pay/transactions/jsapi":
        return _jsapi(fake, data)
    if method == "GET" and (m := _ORDER.match(p)):
        if q.get("mchid") != fake.mchid:
            return _error(400, "PARAM_ERROR", "mchid 与订单不符")
        if m.group(1) not in fake.orders:
            return _error(404, "ORDER_NOT_EXIST", "订单不存在")
        return 200, fake.transaction(m.group(1))
    if method == "POST" and (m := _CLOSE.match(p)):
        return _close(fake, m.group(1), data)
    if method == "POST" and p == "/v3/refund/domestic/refunds":
        return _refund(fake, data)
    if method == "GET" and (m := _REFUND.match(p)):
        with fake._lock:
            refund = fake.refunds.get(m.group(1))
            if refund is None:
                return _error(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            return 200, _refund_view(refund)
    if method == "GET" and p == "/v3/bill/tradebill":
        token = secrets.token_urlsafe(12)
        raw, digest = fake.bill(q.get("bill_date", ""), q.get("tar_type"))
        with fake._lock:
            fake.bills = getattr(fake, "bills", {})
            fake.bills[token] = raw
        return 200, {
            "hash_type": "SHA1",
            "hash_value": digest,
            "download_url": f"{fake.base_url}/v3/billdownload/file?token={token}",
        }
    if method == "GET" and p == "/v3/billdownload/file":
        raw = getattr(fake, "bills", {}).get(q.get("token", ""))
        return (200, raw) if raw is not None else _error(404, "NO_STATEMENT_EXIST", "账单不存在")
    return _error(404, "NOT_FOUND", "no such endpoint")


def _jsapi(fake, d: dict):
    need = ("appid", "mchid", "description", "out_trade_no", "notify_url", "amount", "payer")
    missing = [k for k in need if not d.get(k)]
    if missing:
        return _error(400, "PARAM_ERROR", f"缺少参数 {','.join(missing)}")
    if d["appid"] != fake.appid or d["mchid"] != fake.mchid:
        return _error(400, "APPID_MCHID_NOT_MATCH", "appid 和 mchid 不匹配")
    total = d["amount"].get("total")
    if not isinstance(total, int) or total <= 0:
        return _error(400, "PARAM_ERROR", "amount.total 必须为正整数")
    with fake._lock:
        old = fake.orders.get(d["out_trade_no"])
        if old is not None:
            if old["total"] != total or old["trade_state"] != "NOTPAY":
                return _error(400, "INVALID_REQUEST", "201 商户订单号重复")
            return 200, {"prepay_id": old["prepay_id"]}
        fake.orders[d["out_trade_no"]] = {
            "appid": d["appid"],
            "mchid": d["mchid"],
            "description": d["description"],
            "total": total,
            "openid": d["payer"].get("openid"),
            "notify_url": d["notify_url"],
            "time_expire": d.get("time_expire"),
            "prepay_id": "wx" + secrets.token_hex(16),
            "trade_state": "NOTPAY",
            "created": rfc3339(),
        }
        return 200, {"prepay_id": fake.orders[d["out_trade_no"]]["prepay_id"]}


def _close(fake, out_trade_no: str, d: dict):
    if d.get("mchid") != fake.mchid:
        return _error(400, "PARAM_ERROR", "mchid 与订单不符")
    with fake._lock:
        order = fake.orders.get(out_trade_no)
        if order is None:
            return _error(404, "ORDER_NOT_EXIST", "订单不存在")
        if order["trade_state"] == "SUCCESS":
            return _error(400, "ORDER_PAID", "订单已支付")
        order["trade_state"] = "CLOSED"
    return 204, None


def _refund(fake, d: dict):
    no = d.get("out_refund_no")
    amount = d.get("amount") or {}
    if not no or not isinstance(amount.get("refund"), int) or amount["refund"] <= 0:
        return _error(400, "PARAM_ERROR", "缺少 out_refund_no 或退款金额")
    with fake._lock:
        existing = fake.refunds.get(no)
        if existing is not None:
            # WeChat: the same out_refund_no is the same refund, never a second one.
            if existing["amount"]["refund"] != amount["refund"]:
                return _error(400, "INVALID_REQUEST", "同一退款单号的退款金额不一致")
            return 200, _refund_view(existing)
        order_no = d.get("out_trade_no") or next(
            (
                k
                for k, o in fake.orders.items()
                if o.get("transaction_id") == d.get("transaction_id")
            ),
            None,
        )
        order = fake.orders.get(order_no or "")
        if order is None or order["trade_state"] != "SUCCESS":
            return _error(404, "RESOURCE_NOT_EXISTS", "订单不存在或未支付")
        if amount.get("total") != order["total"]:
            return _error(400, "PARAM_ERROR", "订单金额与原订单不一致")
        done = sum(
            r["amount"]["refund"]
            for r in fake.refunds.values()
            if r["out_trade_no"] == order_no and r["status"] in ("PROCESSING", "SUCCESS")
        )
        if done + amount["refund"] > order["total"]:
            return _error(403, "NOT_ENOUGH", "可退金额不足")
        fake.refunds[no] = {
            "out_refund_no": no,
            "out_trade_no": order_no,
            "transaction_id": order["transaction_id"],
            "refund_id": "50" + secrets.token_hex(14)[:28],
            "status": "PROCESSING",
            "notify_url": d.get("notify_url"),
            "reason": d.get("reason"),
            "amount": {"refund": amount["refund"], "total": order["total"], "currency": "CNY"},
            "create_time": rfc3339(),
        }
        return 200, _refund_view(fake.refunds[no])


def _refund_view(r: dict) -> dict:
    return {
        "refund_id": r["refund_id"],
        "out_refund_no": r["out_refund_no"],
        "transaction_id": r["transaction_id"],
        "out_trade_no": r["out_trade_no"],
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": r["create_time"],
        "success_time": r.get("success_time"),
        "status": r["status"],
        "amount": {
            "total": r["amount"]["total"],
            "refund": r["amount"]["refund"],
            "payer_total": r["amount"]["total"],
            "payer_refund": r["amount"]["refund"],
            "currency": "CNY",
        },
    }
