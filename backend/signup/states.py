"""The application state machine as a plain table (no database imports)."""

from __future__ import annotations

LEVEL_STATE = {"class": "class_approved", "grade": "grade_approved", "school": "approved"}
# States in which an application waits for a reviewer at some level.
WAITING_STATES = ("submitted", "class_approved", "grade_approved")
# States a pupil can be in after the review passed (counted as "approved" by reports).
PASSED_STATES = ("approved", "in_publicity", "enrolled")


def next_after_approve(levels: list[str], level: str) -> tuple[str, str | None]:
    """(state, next level) after an approval at `level` under the term's levels."""
    i = levels.index(level)
    if i == len(levels) - 1:
        return "approved", None
    return LEVEL_STATE[level], levels[i + 1]


def waiting_level(levels: list[str], state: str) -> str | None:
    """The level an application in `state` waits at."""
    if state == "submitted":
        return levels[0]
    for i, level in enumerate(levels[:-1]):
        if state == LEVEL_STATE[level]:
            return levels[i + 1]
    return None


# (state, action) -> next state. approve is resolved with next_after_approve, since the
# levels are configured per term; the table states which states may be approved at all.
TRANSITIONS: dict[tuple[str, str], str] = {
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
}
WITHDRAWABLE = (
    "submitted",
    "class_approved",
    "grade_approved",
    "approved",
    "rejected",
    "in_publicity",
    "enrolled",
)
for _state in WITHDRAWABLE:
    TRANSITIONS[(_state, "withdraw")] = "withdrawn"

ACTIONS = sorted({action for _, action in TRANSITIONS})


def allowed(state: str, action: str) -> bool:
    return (state, action) in TRANSITIONS


def apply(
    state: str, action: str, *, levels: list[str] | None = None, level: str | None = None
) -> str:
    """The next state, or ValueError for a transition the table does not allow."""
    target = TRANSITIONS.get((state, action))
    if target is None:
        raise ValueError(f"{action} not allowed from {state}")
    if target == "*":
        levels = levels or ["class", "grade", "school"]
        if level != waiting_level(levels, state):
            raise ValueError(f"{state} does not wait at level {level}")
        return next_after_approve(levels, level)[0]
    return target
