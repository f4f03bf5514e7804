"""The selection state machine as a plain table (no database imports)."""

from __future__ import annotations

from backend.common import states as common_states

STATES = ("confirmed", "waitlisted", "dropped")
# How a selection comes to life: a free seat, or the queue when full and asked for.
INITIAL = {"seat": "confirmed", "queue": "waitlisted"}

# (state, action) -> next state
TRANSITIONS: dict[tuple[str, str], str] = {
    ("waitlisted", "promote"): "confirmed",
    ("confirmed", "drop"): "dropped",
    ("waitlisted", "drop"): "dropped",
}
ACTIONS = sorted({action for _, action in TRANSITIONS})


def allowed(state: str, action: str) -> bool:
    """Whether the table has a step for `action` from `state`."""
    return common_states.allowed(TRANSITIONS, state, action)


def apply(state: str, action: str) -> str:
    """The next state (409 illegal_transition when the table has none)."""
    return common_states.step(TRANSITIONS, state, action)


def frees_seat(state: str, action: str) -> bool:
    """Dropping a confirmed selection frees a seat (which promotion may pass on)."""
    return apply(state, action) == "dropped" and state == "confirmed"
