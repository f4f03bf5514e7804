"""WeChat subscribe-message templates: which template and fields each message kind uses."""

from __future__ import annotations

import os

# Template ids are configured per deployment (WECHAT_TEMPLATE_<KIND>); the defaults are
# placeholders the fake WeChat accepts.
DEFAULT_PAGE = "pages/index/index"


def template_id(kind: str) -> str:
    return os.environ.get(f"WECHAT_TEMPLATE_{kind.upper()}", f"tmpl-{kind}")


def render(kind: str, payload: dict) -> tuple[str, dict, str]:
    """(template id, WeChat `data` with {"thingN": {"value": ...}} entries, page)."""
    fields = payload.get("fields") or {k: v for k, v in payload.items() if k != "page"}
    data = {key: {"value": str(value)[:20]} for key, value in fields.items()}
    return template_id(kind), data, payload.get("page", DEFAULT_PAGE)
