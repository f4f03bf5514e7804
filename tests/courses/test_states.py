"""The selection state table, every (state, action) pair."""

from __future__ import annotations

import itertools

import pytest

from backend.common.states import IllegalTransition
from backend.courses import states

EXPECTED = {
    ("waitlisted", "promote"): "confirmed",
    ("confirmed", "drop"): "dropped",
    ("waitlisted", "drop"): "dropped",
}


@pytest.mark.parametrize("state,action", list(itertools.product(states.STATES, states.ACTIONS)))
def test_every_pair(state, action):
    if (state, action) in EXPECTED:
        assert states.allowed(state, action)
        assert states.apply(state, action) == EXPECTED[(state, action)]
    else:
        assert not states.allowed(state, action)
        with pytest.raises(IllegalTransition):
            states.apply(state, action)


def test_table_is_exactly_the_design():
    assert states.TRANSITIONS == EXPECTED
    assert set(states.INITIAL.values()) == {"confirmed", "waitlisted"}
    # dropped is final: nothing leaves it
    assert not any(s == "dropped" for s, _ in states.TRANSITIONS)


def test_only_a_confirmed_drop_frees_a_seat():
    assert states.frees_seat("confirmed", "drop")
    assert not states.frees_seat("waitlisted", "drop")
    with pytest.raises(IllegalTransition):
        states.frees_seat("dropped", "drop")
