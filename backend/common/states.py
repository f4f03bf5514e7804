"""The one state-machine step every domain's `states.py` table goes through."""

from __future__ import annotations

from backend.errors import define

IllegalTransition = define(
    "illegal_transition",
    409,
    "当前状态（{state}）不能进行该操作（{action}）",
    "{action} is not allowed from {state}",
)


def step(table: dict[tuple[str, str], str], state: str, action: str) -> str:
    """The next state from `table`, or 409 illegal_transition when the table has none."""
    try:
        return table[(state, action)]
    except KeyError:
        raise IllegalTransition(state=state, action=action) from None


def allowed(table: dict[tuple[str, str], str], state: str, action: str) -> bool:
    """Whether `table` has a step for `action` from `state`."""
    return (state, action) in table
