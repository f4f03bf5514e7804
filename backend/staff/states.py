"""Pay sheet states: a draft is recomputed or approved; an approved sheet never changes."""

from __future__ import annotations

SHEET = {
    ("draft", "approve"): "approved",
    ("draft", "regenerate"): "draft",
}
