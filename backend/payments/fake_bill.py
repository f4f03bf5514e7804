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


def trade_bill_csv(fake, bill_date: str) -> str:
    """Payments that succeeded and refunds that succeeded on that day. The caller holds
    the fake's lock. `fake.bill_overrides` (out_trade_no -> fen, or None to leave a row
    out) and `fake.bill_extra` let tests plant differences."""
    lines, count, paid = [HEADER], 0, 0
    for no, o in sorted(fake.orders.items()):
        if o["trade_state"] != "SUCCESS":
            continue
        if _day(o.get("success_time")) == bill_date:
            total = fake.bill_overrides.get(no, o["total"])
            if total is not None:
                when = datetime.fromisoformat(o["success_time"]).strftime("%Y-%m-%d %H:%M:%S")
                lines.append(
                    _row(
                        [
                            when,
                            o["appid"],
                            o["mchid"],
                            "0",
                            "",
                            o["transaction_id"],
                            no,
                            o["openid"],
                            "JSAPI",
                            "SUCCESS",
                            "OTHERS",
                            "CNY",
                            yuan(total),
                            "0.00",
                            "0",
                            "0",
                            "0.00",
                            "0.00",
                            "",
                            "",
                            o["description"],
                            "",
                            "0.00",
                            "0.60%",
                            yuan(total),
                            "0.00",
                            "",
                        ]
                    )
                )
                count, paid = count + 1, paid + total
    for r in sorted(fake.refunds.values(), key=lambda r: r["out_refund_no"]):
        if r["status"] == "SUCCESS" and _day(r.get("success_time")) == bill_date:
            o = fake.orders[r["out_trade_no"]]
            when = datetime.fromisoformat(r["success_time"]).strftime("%Y-%m-%d %H:%M:%S")
            amount = r["amount"]["refund"]
            lines.append(
                _row(
                    [
                        when,
                        o["appid"],
                        o["mchid"],
                        "0",
                        "",
                        o["transaction_id"],
                        r["out_trade_no"],
                        o["openid"],
                        "JSAPI",
                        "REFUND",
                        "OTHERS",
                        "CNY",
                        "0.00",
                        "0.00",
                        r["refund_id"],
                        r["out_refund_no"],
                        yuan(amount),
                        "0.00",
                        "ORIGINAL",
                        "SUCCESS",
                        o["description"],
                        "",
                        "0.00",
                        "0.60%",
                        yuan(o["total"]),
                        yuan(amount),
                        "",
                    ]
                )
            )
            count += 1
    for extra in fake.bill_extra:
        lines.append(
            _row(
                [
                    f"{bill_date} 12:00:00",
                    fake.appid,
                    fake.mchid,
                    "0",
                    "",
                    extra.get("transaction_id", "4200extra"),
                    extra["out_trade_no"],
                    "o-extra",
                    "JSAPI",
                    "SUCCESS",
                    "OTHERS",
                    "CNY",
                    yuan(extra["amount_fen"]),
                    "0.00",
                    "0",
                    "0",
                    "0.00",
                    "0.00",
                    "",
                    "",
                    "课后服务费",
                    "",
                    "0.00",
                    "0.60%",
                    yuan(extra["amount_fen"]),
                    "0.00",
                    "",
                ]
            )
        )
        count, paid = count + 1, paid + extra["amount_fen"]
    lines.append(
        "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
    )
    lines.append(_row([count, yuan(paid), "0.00", "0.00", "0.00", yuan(paid), "0.00"]))
    return "\n".join(lines) + "\n"
