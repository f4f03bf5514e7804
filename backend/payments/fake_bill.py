"""The fake WeChat Pay's daily trade bill, in WeChat's CSV layout (backtick-prefixed)."""

from __future__ import annotations

from datetime import datetime

from backend.common.clock import SCHOOL_TZ

HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
    "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
    "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _day(stamp: str | None) -> str | None:
    if not stamp:
        return None
    return datetime.fromisoformat(stamp).astimezone(SCHOOL_TZ).date().isoformat()


def _row(values: list) -> str:
    return ",".join(f"`{v}" for v in values)


def _bill_line(when: str, order: dict, out_trade_no: str, state: str, **money) -> str:
    """One row of the bill: the order's columns, then the money columns named in `money`
    (settled, refund_id, out_refund_no, refund, refund_type, refund_status, total, asked)."""
    return _row(
        [
            when,
            order["appid"],
            order["mchid"],
            "0",
            "",
            order["transaction_id"],
            out_trade_no,
            order["openid"],
            "JSAPI",
            state,
            "OTHERS",
            "CNY",
            money.get("settled", "0.00"),
            "0.00",
            money.get("refund_id", "0"),
            money.get("out_refund_no", "0"),
            money.get("refund", "0.00"),
            "0.00",
            money.get("refund_type", ""),
            money.get("refund_status", ""),
            order["description"],
            "",
            "0.00",
            "0.60%",
            money["total"],
            money.get("asked", "0.00"),
            "",
        ]
    )


def _clock(stamp: str) -> str:
    """An RFC 3339 time as the bill writes it."""
    return datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M:%S")


def trade_bill_csv(fake, bill_date: str) -> str:
    """Payments that succeeded and refunds that succeeded on that day. The caller holds
    the fake's lock. `fake.bill_overrides` (out_trade_no -> fen, or None to leave a row
    out) and `fake.bill_extra` let tests plant differences."""
    lines, count, paid = [HEADER], 0, 0
    for no, o in sorted(fake.orders.items()):
        if o["trade_state"] != "SUCCESS" or _day(o.get("success_time")) != bill_date:
            continue
        total = fake.bill_overrides.get(no, o["total"])
        if total is not None:
            when = _clock(o["success_time"])
            lines.append(_bill_line(when, o, no, "SUCCESS", settled=yuan(total), total=yuan(total)))
            count, paid = count + 1, paid + total
    for r in sorted(fake.refunds.values(), key=lambda r: r["out_refund_no"]):
        if r["status"] == "SUCCESS" and _day(r.get("success_time")) == bill_date:
            amount = yuan(r["amount"]["refund"])
            lines.append(
                _bill_line(
                    _clock(r["success_time"]),
                    fake.orders[r["out_trade_no"]],
                    r["out_trade_no"],
                    "REFUND",
                    refund_id=r["refund_id"],
                    out_refund_no=r["out_refund_no"],
                    refund=amount,
                    refund_type="ORIGINAL",
                    refund_status="SUCCESS",
                    total=yuan(fake.orders[r["out_trade_no"]]["total"]),
                    asked=amount,
                )
            )
            count += 1
    for extra in fake.bill_extra:
        order = {
            "appid": fake.appid,
            "mchid": fake.mchid,
            "transaction_id": extra.get("transaction_id", "4200extra"),
            "openid": "o-extra",
            "description": "课后服务费",
        }
        amount = yuan(extra["amount_fen"])
        when = f"{bill_date} 12:00:00"
        lines.append(
            _bill_line(when, order, extra["out_trade_no"], "SUCCESS", settled=amount, total=amount)
        )
        count, paid = count + 1, paid + extra["amount_fen"]
    lines.append(
        "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
    )
    lines.append(_row([count, yuan(paid), "0.00", "0.00", "0.00", yuan(paid), "0.00"]))
    return "\n".join(lines) + "\n"
