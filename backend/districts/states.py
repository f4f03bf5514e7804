"""The filing state machine as a plain table (no database imports)."""

from __future__ import annotations

# (state, action) -> next state
FILING_TRANSITIONS: dict[tuple[str, str], str] = {
    ("submitted", "approve"): "approved",
    ("submitted", "return"): "returned",
    ("returned", "resubmit"): "submitted",
}
FILING_ACTIONS = sorted({action for _, action in FILING_TRANSITIONS})
