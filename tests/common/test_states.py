"""The one state-machine step: every domain's table answers an illegal move the same way."""

from __future__ import annotations

import pytest

from backend.common.states import IllegalTransition, allowed, step
from backend.courses import states as courses
from backend.errors import DomainError
from backend.fees import states as fees
from backend.payments import states as payments
from backend.pickup import states as pickup

TABLE = {("open", "close"): "closed"}


def test_step_follows_the_table():
    assert step(TABLE, "open", "close") == "closed"
    assert allowed(TABLE, "open", "close")
    assert not allowed(TABLE, "closed", "close")


def test_an_illegal_step_is_a_409_illegal_transition_in_both_languages():
    with pytest.raises(IllegalTransition) as caught:
        step(TABLE, "closed", "close")
    exc = caught.value
    assert isinstance(exc, DomainError)
    assert (exc.status, exc.code) == (409, "illegal_transition")
    zh, en = exc.messages()
    assert "closed" in zh and "close" in zh
    assert en == "close is not allowed from closed"


@pytest.mark.parametrize(
    "move",
    [
        lambda: courses.apply("dropped", "drop"),
        lambda: fees.statement_next("void", "pay"),
        lambda: fees.payment_next("paid", "pay"),
        lambda: fees.refund_next("succeeded", "fail"),
        lambda: fees.exemption_next("approved", "reject"),
        lambda: payments.order_next("closed", "pay"),
        lambda: payments.refund_next("succeeded", "accept"),
        lambda: pickup.notice_next("expired", "cancel"),
        lambda: pickup.code_next("used", "void"),
        lambda: pickup.leave_next("approved", "cancel"),
    ],
)
def test_every_domain_table_raises_the_one_error(move):
    with pytest.raises(IllegalTransition):
        move()
