"""Payment request and response schemas (money in integer fen, strict fields)."""

from __future__ import annotations

from marshmallow import fields

from backend.common.schemas import Instant, StrictSchema


class PayStartIn(StrictSchema):
    """No fields: the amount is always the statement's balance, computed by the server
    (an amount sent by the client is an unknown field: 422)."""


class PayParams(StrictSchema):
    appId = fields.String()
    timeStamp = fields.String(metadata={"description": "Seconds since the epoch, as text"})
    nonceStr = fields.String()
    package = fields.String(metadata={"description": '"prepay_id=..."'})
    signType = fields.String(metadata={"description": 'Always "RSA" (APIv3)'})
    paySign = fields.String()


class PayOrderOut(StrictSchema):
    payment_id = fields.Integer()
    statement_id = fields.Integer()
    out_trade_no = fields.String()
    amount_fen = fields.Integer()
    status = fields.String()
    expires_at = Instant()
    pay_params = fields.Nested(
        PayParams, metadata={"description": "Pass as they are to wx.requestPayment"}
    )


class WeChatNotifyAnswer(StrictSchema):
    code = fields.String(metadata={"description": '"FAIL"'})
    message = fields.String()


class WeChatRefundOut(StrictSchema):
    refund_id = fields.Integer()
    statement_id = fields.Integer()
    amount_fen = fields.Integer()
    out_refund_no = fields.String()
    status = fields.String(
        metadata={"description": "pending | processing | succeeded | failed (at WeChat)"}
    )
    wechat_status = fields.String(allow_none=True)
    refund_status = fields.String(metadata={"description": "The fee refund: requested | ..."})
    sent_at = Instant(allow_none=True)
    completed_at = Instant(allow_none=True)
    last_error = fields.String(allow_none=True)


class ReconciliationQuery(StrictSchema):
    date = fields.Date(required=True, metadata={"description": "The bill date, YYYY-MM-DD"})


class ReconciliationDiffOut(StrictSchema):
    record_type = fields.String(metadata={"description": "payment | refund"})
    kind = fields.String(
        metadata={"description": "missing_ours | missing_theirs | amount_mismatch"}
    )
    out_trade_no = fields.String(allow_none=True)
    out_refund_no = fields.String(allow_none=True)
    transaction_id = fields.String(allow_none=True)
    statement_id = fields.Integer(allow_none=True)
    our_amount_fen = fields.Integer(allow_none=True)
    their_amount_fen = fields.Integer(allow_none=True)


class ReconciliationOut(StrictSchema):
    bill_date = fields.Date()
    run_at = Instant()
    differences = fields.List(fields.Nested(ReconciliationDiffOut))
