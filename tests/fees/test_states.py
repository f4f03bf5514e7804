"""The fee state tables, exhaustively: every (state, action) pair is allowed or refused."""

from __future__ import annotations

import itertools

import pytest

from backend.common.states import IllegalTransition
from backend.fees import states

ACTIONS = ("issue", "recompute", "adjust", "pay", "refund", "void", "settle")


def test_statement_table_exhaustive():
    expected = {
        ("draft", "issue"),
        ("draft", "recompute"),
        ("draft", "adjust"),
        ("issued", "void"),
        ("paid", "settle"),
    }
    for state in ("issued", "partially_paid", "paid"):
        expected |= {(state, "pay"), (state, "refund"), (state, "adjust")}
    for state, action in itertools.product(states.STATEMENT_STATES, ACTIONS):
        if (state, action) in expected:
            states.statement_next(state, action, 100, 0)
        else:
            with pytest.raises(IllegalTransition):
                states.statement_next(state, action, 100, 0)
    assert set(states.STATEMENT_TRANSITIONS) == expected


@pytest.mark.parametrize(
    ("total", "covered", "state"),
    [
        (8000, 0, "issued"),
        (8000, 1, "partially_paid"),
        (8000, 7999, "partially_paid"),
        (8000, 8000, "paid"),
        (8000, 9000, "paid"),  # over-paid: a credit, still paid
        (0, 0, "paid"),  # fully exempt: nothing to pay
        (-500, 0, "paid"),  # a credit larger than the charge
    ],
)
def test_paying_state(total, covered, state):
    assert states.paying_state(total, covered) == state
    assert states.statement_next("issued", "pay", total, covered) == state
    assert states.statement_next("draft", "issue", total, covered) == state


def test_terminal_states_take_nothing():
    for state in ("void", "settled"):
        for action in ACTIONS:
            with pytest.raises(IllegalTransition):
                states.statement_next(state, action)


@pytest.mark.parametrize(
    ("table", "fn", "actions"),
    [
        (states.PAYMENT_TRANSITIONS, states.payment_next, ("pay", "close")),
        (states.REFUND_TRANSITIONS, states.refund_next, ("succeed", "fail")),
        (states.EXEMPTION_TRANSITIONS, states.exemption_next, ("approve", "reject")),
    ],
)
def test_small_tables_exhaustive(table, fn, actions):
    all_states = {s for s, _ in table} | set(table.values())
    for state, action in itertools.product(all_states, actions):
        if (state, action) in table:
            assert fn(state, action) == table[(state, action)]
        else:
            with pytest.raises(IllegalTransition):
                fn(state, action)
    # the first state leads to every other; the targets are terminal
    assert all(fn(s, a) not in {s for s, _ in table} for s, a in table)
