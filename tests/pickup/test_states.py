"""The pickup state tables, every (state, action) pair."""

from __future__ import annotations

import itertools

import pytest

from backend.common.states import IllegalTransition
from backend.pickup import states as st

NOTICE_EXPECTED = {
    ("submitted", "acknowledge"): "acknowledged",
    ("submitted", "hand_over"): "handed_over",
    ("submitted", "leave"): "left",
    ("submitted", "cancel"): "cancelled",
    ("submitted", "expire"): "expired",
    ("submitted", "replace"): "replaced",
    ("submitted", "refuse"): "submitted",
    ("acknowledged", "hand_over"): "handed_over",
    ("acknowledged", "leave"): "left",
    ("acknowledged", "cancel"): "cancelled",
    ("acknowledged", "expire"): "expired",
    ("acknowledged", "replace"): "replaced",
    ("acknowledged", "refuse"): "acknowledged",
}
CODE_EXPECTED = {
    ("active", "release"): "used",
    ("active", "refuse"): "void",
    ("active", "void"): "void",
    ("active", "expire"): "expired",
}
LEAVE_EXPECTED = {
    ("pending", "approve"): "approved",
    ("pending", "reject"): "rejected",
    ("pending", "cancel"): "cancelled",
}
TABLES = [
    (st.NOTICE_STATES, st.NOTICE_ACTIONS, NOTICE_EXPECTED, st.notice_next),
    (st.CODE_STATES, st.CODE_ACTIONS, CODE_EXPECTED, st.code_next),
    (st.LEAVE_STATES, st.LEAVE_ACTIONS, LEAVE_EXPECTED, st.leave_next),
]


@pytest.mark.parametrize(
    "state,action,expected,step",
    [
        (s, a, expected.get((s, a)), step)
        for states, actions, expected, step in TABLES
        for s, a in itertools.product(states, actions)
    ],
)
def test_every_pair(state, action, expected, step):
    if expected is None:
        with pytest.raises(IllegalTransition):
            step(state, action)
    else:
        assert step(state, action) == expected


def test_tables_name_only_known_states_and_actions():
    for states, actions, expected, _ in TABLES:
        assert set(expected) == {k for k in expected if k[0] in states and k[1] in actions}
    assert st.NOTICE_TRANSITIONS == NOTICE_EXPECTED
    assert st.CODE_TRANSITIONS == CODE_EXPECTED
    assert st.LEAVE_TRANSITIONS == LEAVE_EXPECTED


def test_closed_states_are_final():
    closed = set(st.NOTICE_STATES) - set(st.NOTICE_OPEN)
    assert closed == {"handed_over", "left", "cancelled", "expired", "replaced"}
    for state, action in itertools.product(closed, st.NOTICE_ACTIONS):
        with pytest.raises(IllegalTransition):
            st.notice_next(state, action)


def test_refusal_leaves_the_notice_open():
    for state in st.NOTICE_OPEN:
        assert st.notice_next(state, "refuse") == state
