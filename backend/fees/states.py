"""Statement, payment, refund and exemption state machines as plain tables (no DB imports)."""

from __future__ import annotations

from backend.common.states import step

STATEMENT_STATES = ("draft", "issued", "partially_paid", "paid", "settled", "void")
# States a family sees and owes on (a draft is the office's; void and settled are closed).
OPEN_STATES = ("issued", "partially_paid", "paid")
LIVE_STATES = ("draft", "issued", "partially_paid", "paid", "settled")
# What families were billed: every statement once issued, voided ones aside.
BILLED_STATES = ("issued", "partially_paid", "paid", "settled")

# "*" = the paying state that fits the money (see paying_state).
STATEMENT_TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "issue"): "*",
    ("draft", "recompute"): "draft",
    ("draft", "adjust"): "draft",
    ("issued", "void"): "void",
    ("paid", "settle"): "settled",
}
for _state in OPEN_STATES:
    for _action in ("pay", "refund", "adjust"):
        STATEMENT_TRANSITIONS[(_state, _action)] = "*"

PAYMENT_TRANSITIONS = {("created", "pay"): "paid", ("created", "close"): "closed"}
REFUND_TRANSITIONS = {("requested", "succeed"): "succeeded", ("requested", "fail"): "failed"}
EXEMPTION_TRANSITIONS = {("pending", "approve"): "approved", ("pending", "reject"): "rejected"}


def paying_state(total_fen: int, covered_fen: int) -> str:
    """issued (nothing counted yet), partially_paid, or paid (nothing left to pay)."""
    if covered_fen >= total_fen:
        return "paid"
    if covered_fen > 0:
        return "partially_paid"
    return "issued"


def statement_next(state: str, action: str, total_fen: int = 0, covered_fen: int = 0) -> str:
    """The next statement state (409 illegal_transition when the table has none)."""
    target = step(STATEMENT_TRANSITIONS, state, action)
    if target == "*":
        return paying_state(total_fen, covered_fen)
    return target


def payment_next(state: str, action: str) -> str:
    """The next offline payment state (409 illegal_transition when the table has none)."""
    return step(PAYMENT_TRANSITIONS, state, action)


def refund_next(state: str, action: str) -> str:
    """The next refund state (409 illegal_transition when the table has none)."""
    return step(REFUND_TRANSITIONS, state, action)


def exemption_next(state: str, action: str) -> str:
    """The next exemption state (409 illegal_transition when the table has none)."""
    return step(EXEMPTION_TRANSITIONS, state, action)
