"""State tables of pickup notices, handoff codes and leave requests (no database imports)."""

from __future__ import annotations

from backend.common.states import step

NOTICE_STATES = (
    "submitted",
    "acknowledged",
    "handed_over",
    "left",
    "cancelled",
    "expired",
    "replaced",
)
NOTICE_OPEN = ("submitted", "acknowledged")
NOTICE_ACTIONS = ("acknowledge", "hand_over", "leave", "cancel", "expire", "replace", "refuse")

# DESIGN §4: submitted -> acknowledged (teacher) -> handed_over (gate) | cancelled (guardian,
# before the cutoff) | expired (day over). A newer notice replaces an open one; a `self`
# pupil the teacher lets go is `left`; a refusal at the gate leaves the notice as it was.
NOTICE_TRANSITIONS: dict[tuple[str, str], str] = {}
for _open in NOTICE_OPEN:
    NOTICE_TRANSITIONS.update(
        {
            (_open, "hand_over"): "handed_over",
            (_open, "leave"): "left",
            (_open, "cancel"): "cancelled",
            (_open, "expire"): "expired",
            (_open, "replace"): "replaced",
            (_open, "refuse"): _open,
        }
    )
NOTICE_TRANSITIONS[("submitted", "acknowledge")] = "acknowledged"

CODE_STATES = ("active", "used", "void", "expired")
CODE_ACTIONS = ("release", "refuse", "void", "expire")
# A refused code is void: the guardian issues a new one (or adds a one-day delegate).
CODE_TRANSITIONS: dict[tuple[str, str], str] = {
    ("active", "release"): "used",
    ("active", "refuse"): "void",
    ("active", "void"): "void",
    ("active", "expire"): "expired",
}

LEAVE_STATES = ("pending", "approved", "rejected", "cancelled")
LEAVE_ACTIONS = ("approve", "reject", "cancel")
LEAVE_TRANSITIONS: dict[tuple[str, str], str] = {
    ("pending", "approve"): "approved",
    ("pending", "reject"): "rejected",
    ("pending", "cancel"): "cancelled",
}


def notice_next(state: str, action: str) -> str:
    """The next notice state (409 illegal_transition when the table has none)."""
    return step(NOTICE_TRANSITIONS, state, action)


def code_next(state: str, action: str) -> str:
    """The next handoff-code state (409 illegal_transition when the table has none)."""
    return step(CODE_TRANSITIONS, state, action)


def leave_next(state: str, action: str) -> str:
    """The next leave-request state (409 illegal_transition when the table has none)."""
    return step(LEAVE_TRANSITIONS, state, action)
