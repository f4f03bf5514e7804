"""The complaint state table, exhaustively, and the due-time calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from backend.common.states import IllegalTransition, step
from backend.complaints import states
from backend.complaints.deadline import due_at, working_days_after

ACTIONS = sorted(states.WHO)
EXPECTED = {
    ("submitted", "accept"): "accepted",
    ("accepted", "resolve"): "resolved",
    ("accepted", "reject"): "rejected",
    ("submitted", "escalate"): "escalated",
    ("accepted", "escalate"): "escalated",
    ("resolved", "escalate"): "escalated",
    ("rejected", "escalate"): "escalated",
    ("escalated", "district_resolve"): "resolved",
    ("escalated", "district_reject"): "rejected",
}


@pytest.mark.parametrize("state", states.STATES)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_state_and_action(state, action):
    if (state, action) in EXPECTED:
        assert step(states.TRANSITIONS, state, action) == EXPECTED[(state, action)]
    else:
        with pytest.raises(IllegalTransition):
            step(states.TRANSITIONS, state, action)


def test_who_moves_what():
    assert states.actions_of("school") == {"accept", "resolve", "reject"}
    assert states.actions_of("filer") == {"escalate"}
    assert states.actions_of("district") == {"district_resolve", "district_reject"}
    assert {a for _, a in states.TRANSITIONS} == set(states.WHO)
    # the school cannot answer what was escalated; the district answers nothing else
    assert ("escalated", "resolve") not in states.TRANSITIONS
    assert ("accepted", "district_resolve") not in states.TRANSITIONS


def test_working_days_skip_holidays_and_count_make_up_days():
    # 2026: Mid-Autumn Fri 25 Sep; National Day 1-7 Oct; Sat 10 Oct is a make-up working day
    assert working_days_after(date(2026, 9, 24), 5) == date(2026, 10, 9)
    assert working_days_after(date(2026, 9, 30), 5) == date(2026, 10, 13)
    # an ordinary week: Wednesday -> next Wednesday
    assert working_days_after(date(2026, 12, 2), 5) == date(2026, 12, 9)


def test_due_at_is_the_end_of_the_day_in_shanghai():
    # 00:30 on 30 Sep in Shanghai is still 29 Sep in UTC: the Shanghai day counts
    filed = datetime(2026, 9, 29, 16, 30, tzinfo=UTC)
    due = due_at(filed)
    assert due.isoformat() == "2026-10-13T23:59:59+08:00"
    assert due_at(datetime(2026, 9, 29, 15, 30, tzinfo=UTC)).date() == date(2026, 10, 12)
