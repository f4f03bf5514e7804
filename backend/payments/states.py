"""WeChat order and refund state machines as plain tables (no DB imports)."""

from __future__ import annotations

from backend.common.states import step

ORDER_STATES = ("created", "paid", "closed")
ORDER_TRANSITIONS: dict[tuple[str, str], str] = {
    ("created", "pay"): "paid",
    ("created", "close"): "closed",
}

REFUND_STATES = ("pending", "processing", "succeeded", "failed")
REFUND_TRANSITIONS: dict[tuple[str, str], str] = {
    ("pending", "accept"): "processing",
    ("pending", "succeed"): "succeeded",
    ("pending", "fail"): "failed",
    ("processing", "accept"): "processing",
    ("processing", "succeed"): "succeeded",
    ("processing", "fail"): "failed",
    # A query finds WeChat never received it: send again with the same out_refund_no.
    ("processing", "resend"): "pending",
}
OPEN_REFUND_STATES = ("pending", "processing")

# WeChat's refund status -> our action (ABNORMAL: the user's account cannot take it back;
# the office settles it by hand, so the money returns to the statement's balance).
REFUND_STATUS_ACTION = {
    "PROCESSING": "accept",
    "SUCCESS": "succeed",
    "CLOSED": "fail",
    "ABNORMAL": "fail",
}
# WeChat's trade_state -> what the sweep does with a silent order.
TRADE_STATE_ACTION = {
    "SUCCESS": "pay",
    "CLOSED": "close",
    "REVOKED": "close",
    "PAYERROR": "close",
    "NOTPAY": "wait",
    "USERPAYING": "wait",
    "REFUND": "pay",  # paid, then refunded: it was paid
}


def order_next(state: str, action: str) -> str:
    """The next WeChat order state (409 illegal_transition when the table has none)."""
    return step(ORDER_TRANSITIONS, state, action)


def refund_next(state: str, action: str) -> str:
    """The next WeChat refund state (409 illegal_transition when the table has none)."""
    return step(REFUND_TRANSITIONS, state, action)
