"""Mini-program API: pay a statement with WeChat Pay; WeChat Pay's notification callback."""

from __future__ import annotations

from flask import jsonify, make_response, request
from flask.views import MethodView

from backend.auth.context import public
from backend.common.idempotency import idempotent
from backend.common.pagination import Blueprint
from backend.extensions import limiter
from backend.payments import notify, orders
from backend.payments.schemas import PayOrderOut, PayStartIn, WeChatNotifyAnswer

blp = Blueprint("payments", __name__, url_prefix="/api/v1", description="WeChat Pay (微信支付)")


@blp.route("/statements/<int:statement_id>/payments")
class StatementPayments(MethodView):
    @idempotent
    @blp.arguments(PayStartIn, required=False)
    @blp.response(201, PayOrderOut)
    @blp.alt_response(200, schema=PayOrderOut, description="The open order again")
    @blp.alt_response(409, description="`nothing_to_pay`: not issued/partially paid, or no balance")
    @blp.alt_response(503, description="`payments_unavailable`: WeChat Pay unreachable/unset")
    def post(self, _data, statement_id):
        """Pay my child's statement: a WeChat Pay JSAPI order for the whole balance (the
        server's figure, never the client's), payer = the calling guardian's openid.
        Returns what wx.requestPayment takes. One open order per statement: asking again
        while it is open returns it (200, same payment_id); when the balance, the payer or
        the time left changed, the old order is closed at WeChat and a new one made (201).
        The payment is booked when WeChat's notification arrives, not by the client."""
        return orders.start_payment(statement_id)


@blp.route("/payments/wechat/notify", methods=["POST"])
@public
# WeChat Pay calls from a few addresses; a rush of payments must not meet a 429. Only
# unverified notifications count against an address (notify.UNVERIFIED_LIMIT).
@limiter.exempt
@blp.response(204, description="Verified and applied (or already applied)")
@blp.alt_response(400, schema=WeChatNotifyAnswer, description="Does not match our order")
@blp.alt_response(401, schema=WeChatNotifyAnswer, description="Signature not verified")
@blp.alt_response(404, schema=WeChatNotifyAnswer, description="Unknown order or refund")
@blp.alt_response(
    429,
    schema=WeChatNotifyAnswer,
    description="Too many unverified notifications from this address (Retry-After)",
)
def wechat_pay_notify():
    """WeChat Pay's callback (payments and refunds). Verified with the platform key
    (timestamps older than 5 minutes refused), decrypted with the APIv3 key, checked
    against our order (mchid, appid, out_trade_no, amount, currency) and applied once
    however often it arrives. Answers in WeChat Pay's format ({"code": "FAIL",
    "message"} on failure), the one exception to the error body. A notification whose
    signature does not verify is logged and counted, never audited; more than 20 of them
    from one address in 10 minutes get 429 (verified notifications are never limited)."""
    status, body = notify.handle(
        request.headers, request.get_data(cache=False), request.remote_addr
    )
    response = make_response(jsonify(body) if body else "", status)
    if status == 429:
        response.headers["Retry-After"] = str(notify.UNVERIFIED_WINDOW_SECONDS)
    return response
