"""The selection state machine as a plain table (no database imports)."""

from __future__ import annotations

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
    return (state, action) in TRANSITIONS


def apply(state: str, action: str) -> str:
    """The next state, or ValueError for a transition the table does not allow."""
    target = TRANSITIONS.get((state, action))
    if target is None:
        raise ValueError(f"{action} not allowed from {state}")
    return target


def frees_seat(state: str, action: str) -> bool:
    """Dropping a confirmed selection frees a seat (which promotion may pass on)."""
    return apply(state, action) == "dropped" and state == "confirmed"
