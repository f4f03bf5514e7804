"""The complaint state machine and who may move it, as plain tables (no database imports).

submitted -accept(school)-> accepted -resolve|reject(school)-> resolved | rejected;
escalate(filer) from any of those four, guarded by time rules in escalation.py (past the
due time and unresolved, or within 7 days of a reply the filer does not accept);
the district answers escalated ones (district_resolve | district_reject).
"""

from __future__ import annotations

STATES = ("submitted", "accepted", "resolved", "rejected", "escalated")
CATEGORIES = ("fees", "safety", "teaching", "provider", "staff", "other")
INITIAL = "submitted"
# Waiting for the school: these become overdue once their due time passes.
AWAITING_SCHOOL = ("submitted", "accepted")
# Not yet answered by anyone (the open complaints a dashboard counts).
OPEN = ("submitted", "accepted", "escalated")
REPLIED = ("resolved", "rejected")

# (state, action) -> next state
TRANSITIONS: dict[tuple[str, str], str] = {
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
# action -> the party that may take it
WHO: dict[str, str] = {
    "accept": "school",
    "resolve": "school",
    "reject": "school",
    "escalate": "filer",
    "district_resolve": "district",
    "district_reject": "district",
}
# A reply's resolution -> the action of each party that answers.
REPLY_ACTION = {
    ("school", "resolved"): "resolve",
    ("school", "rejected"): "reject",
    ("district", "resolved"): "district_resolve",
    ("district", "rejected"): "district_reject",
}


def actions_of(party: str) -> set[str]:
    """The actions a party may take anywhere in the table."""
    return {action for action, who in WHO.items() if who == party}
