"""The application state machine as a plain table (no database imports)."""

from __future__ import annotations

from backend.common import states as common_states

# A new application waits for its first review level.
INITIAL = "submitted"
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
    if state == INITIAL:
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
STATES = (
    "submitted",
    "class_approved",
    "grade_approved",
    "approved",
    "rejected",
    "in_publicity",
    "enrolled",
    "withdrawn",
)
WITHDRAWABLE = tuple(s for s in STATES if s != "withdrawn")
for _state in WITHDRAWABLE:
    TRANSITIONS[(_state, "withdraw")] = "withdrawn"

ACTIONS = sorted({action for _, action in TRANSITIONS})


DEFAULT_LEVELS = ["class", "grade", "school"]


def allowed(state: str, action: str) -> bool:
    """Whether the table has a step for `action` from `state`."""
    return common_states.allowed(TRANSITIONS, state, action)


def apply(
    state: str, action: str, *, levels: list[str] | None = None, level: str | None = None
) -> str:
    """The next state, or 409 illegal_transition for a step the table does not allow
    (an approval also needs the application to wait at `level` under the term's levels)."""
    target = common_states.step(TRANSITIONS, state, action)
    if target == "*":
        levels = levels or DEFAULT_LEVELS
        if level is None or level != waiting_level(levels, state):
            raise common_states.IllegalTransition(state=state, action=action)
        return next_after_approve(levels, level)[0]
    return target


def after(
    state: str, action: str, *, levels: list[str] | None = None, level: str | None = None
) -> tuple[str, str | None]:
    """(next state, the level it then waits at) under the term's levels."""
    target = apply(state, action, levels=levels, level=level)
    return target, waiting_level(levels or DEFAULT_LEVELS, target)
