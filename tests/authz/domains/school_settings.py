"""Matrix rows of the school's own settings (its stage, which bounds the service end, R5)."""

from __future__ import annotations

from tests.authz.roles import admin

ROWS = [
    # the same stage again: allowed callers change nothing, others are refused first
    admin("PATCH", "/admin/api/v1/schools/{school_id}", json={"stage": "primary"}),
]
