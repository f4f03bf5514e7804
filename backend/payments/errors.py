"""The payments domain's error codes (one place, so codes and messages never drift)."""

from backend.errors import define

PaymentsUnavailable = define(
    "payments_unavailable",
    503,
    "微信支付暂时不可用，请稍后再试或联系学校线下缴费",
    "WeChat Pay is not available right now; try again later or pay at the school office",
)
NothingToPay = define(
    "nothing_to_pay", 409, "该账单当前无需缴费", "There is nothing to pay on this statement"
)
PaymentRefused = define(
    "payment_refused",
    502,
    "微信支付未能创建订单，请稍后再试或联系学校",
    "WeChat Pay refused to create the order",
)
OrderBusy = define(
    "payment_in_progress",
    409,
    "该账单的支付正在处理中，请稍后再试",
    "A payment for this statement is being processed; try again shortly",
)
RefundNotWeChat = define(
    "refund_not_wechat",
    409,
    "该账单没有足够的微信支付可原路退回，请线下退款",
    "No WeChat payment of this statement can carry this refund; refund it offline",
)
RefundRefused = define(
    "refund_refused",
    502,
    "微信支付拒绝了该退款，请查看原因或改为线下退款",
    "WeChat Pay refused the refund; see the reason or refund offline",
)
