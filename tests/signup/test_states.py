"""The application state table: every (state, action) pair, allowed or forbidden."""

from __future__ import annotations

import itertools

import pytest

from backend.common.states import IllegalTransition
from backend.signup import states
from backend.signup.models import APPLICATION_STATES

ACTIONS = (
    "approve",
    "reject",
    "resubmit",
    "withdraw",
    "publish",
    "finalize",
    "uphold_objection",
)
FULL = ["class", "grade", "school"]
NO_GRADE = ["class", "school"]

# Written out from DESIGN.md §4, independently of states.TRANSITIONS.
EXPECTED = {
    ("submitted", "approve"): "*",
    ("class_approved", "approve"): "*",
    ("grade_approved", "approve"): "*",
    ("submitted", "reject"): "rejected",
    ("class_approved", "reject"): "rejected",
    ("grade_approved", "reject"): "rejected",
    ("rejected", "resubmit"): "submitted",
    ("approved", "publish"): "in_publicity",
    ("in_publicity", "finalize"): "enrolled",
    ("in_publicity", "uphold_objection"): "submitted",
    **{(s, "withdraw"): "withdrawn" for s in APPLICATION_STATES if s != "withdrawn"},
}
ALL_PAIRS = list(itertools.product(APPLICATION_STATES, ACTIONS))


def test_the_table_lists_exactly_the_expected_pairs():
    assert set(states.TRANSITIONS) == set(EXPECTED)
    assert set(states.ACTIONS) == set(ACTIONS)


@pytest.mark.parametrize(("state", "action"), [p for p in ALL_PAIRS if p in EXPECTED])
def test_allowed_pair(state, action):
    assert states.allowed(state, action)
    if EXPECTED[(state, action)] != "*":
        assert states.apply(state, action) == EXPECTED[(state, action)]


@pytest.mark.parametrize(("state", "action"), [p for p in ALL_PAIRS if p not in EXPECTED])
def test_forbidden_pair(state, action):
    assert not states.allowed(state, action)
    with pytest.raises(IllegalTransition):
        states.apply(state, action, levels=FULL, level="class")


def test_forbidden_pairs_are_most_of_the_grid():
    # 8 states x 7 actions; guards against the parametrisation silently collapsing.
    assert len(ALL_PAIRS) == 56
    assert len([p for p in ALL_PAIRS if p not in EXPECTED]) == 56 - len(EXPECTED) == 39


@pytest.mark.parametrize(
    ("state", "level", "expected"),
    [
        ("submitted", "class", "class_approved"),
        ("class_approved", "grade", "grade_approved"),
        ("grade_approved", "school", "approved"),
    ],
)
def test_approve_walks_the_three_levels(state, level, expected):
    assert states.waiting_level(FULL, state) == level
    assert states.apply(state, "approve", levels=FULL, level=level) == expected


@pytest.mark.parametrize(
    ("state", "level"),
    [
        (state, level)
        for state in ("submitted", "class_approved", "grade_approved")
        for level in FULL
        if states.waiting_level(FULL, state) != level
    ],
)
def test_approve_at_the_wrong_level_is_refused(state, level):
    with pytest.raises(IllegalTransition):
        states.apply(state, "approve", levels=FULL, level=level)


def test_a_term_without_grade_level_goes_class_then_school():
    assert states.next_after_approve(NO_GRADE, "class") == ("class_approved", "school")
    assert states.waiting_level(NO_GRADE, "class_approved") == "school"
    assert states.apply("class_approved", "approve", levels=NO_GRADE, level="school") == (
        "approved"
    )
    with pytest.raises(IllegalTransition):
        states.apply("class_approved", "approve", levels=NO_GRADE, level="grade")


def test_school_only_term_approves_at_once():
    assert states.next_after_approve(["school"], "school") == ("approved", None)
    assert states.waiting_level(["school"], "submitted") == "school"


@pytest.mark.parametrize("state", APPLICATION_STATES)
def test_waiting_level_only_for_waiting_states(state):
    level = states.waiting_level(FULL, state)
    assert (level is not None) == (state in states.WAITING_STATES)
