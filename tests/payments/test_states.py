"""The order and refund state tables, every (state, action) pair."""

from __future__ import annotations

import itertools

import pytest

from backend.common.states import IllegalTransition
from backend.payments import states

ORDER_ACTIONS = ("pay", "close")
REFUND_ACTIONS = ("accept", "succeed", "fail", "resend")


@pytest.mark.parametrize(
    "state,action", list(itertools.product(states.ORDER_STATES, ORDER_ACTIONS))
)
def test_order_table(state, action):
    expected = {("created", "pay"): "paid", ("created", "close"): "closed"}.get((state, action))
    if expected is None:
        with pytest.raises(IllegalTransition):
            states.order_next(state, action)
    else:
        assert states.order_next(state, action) == expected


@pytest.mark.parametrize(
    "state,action", list(itertools.product(states.REFUND_STATES, REFUND_ACTIONS))
)
def test_refund_table(state, action):
    expected = {
        ("pending", "accept"): "processing",
        ("pending", "succeed"): "succeeded",
        ("pending", "fail"): "failed",
        ("processing", "accept"): "processing",
        ("processing", "succeed"): "succeeded",
        ("processing", "fail"): "failed",
        ("processing", "resend"): "pending",
    }.get((state, action))
    if expected is None:
        with pytest.raises(IllegalTransition):
            states.refund_next(state, action)
    else:
        assert states.refund_next(state, action) == expected


def test_finished_refunds_never_move():
    for state, action in itertools.product(("succeeded", "failed"), REFUND_ACTIONS):
        with pytest.raises(IllegalTransition):
            states.refund_next(state, action)


def test_wechat_statuses_map_to_actions_the_table_knows():
    for action in states.REFUND_STATUS_ACTION.values():
        assert any(a == action for (_, a) in states.REFUND_TRANSITIONS)
    assert set(states.TRADE_STATE_ACTION) >= {"SUCCESS", "NOTPAY", "CLOSED", "USERPAYING"}
