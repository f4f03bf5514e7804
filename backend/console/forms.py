"""Forms into the admin API's schemas: the console validates with the very same rules."""

from __future__ import annotations

import marshmallow as ma

from backend.common.field_messages import localise
from backend.errors import DomainError, wants_english

GENERIC = ("填写的内容有误，请检查", "Invalid input")
LOCAL_OFFSET = "+08:00"  # a datetime-local input is the school's wall clock (Asia/Shanghai)


def message(exc: DomainError) -> str:
    zh, en = exc.messages()
    return en if wants_english() else zh


def load(schema: ma.Schema, form, *, lists=(), datetimes=(), ints=()) -> dict:
    """The form's non-empty fields, shaped for `schema` (lists, aware datetimes, ints)."""
    data = {}
    for key in schema.fields:
        if key in lists:
            values = [v for v in form.getlist(key) if v != ""]
            if values:
                data[key] = [int(v) if v.isdigit() else v for v in values]
            continue
        value = (form.get(key) or "").strip()
        if value == "":
            continue
        if key in datetimes and len(value) == 16:
            value += ":00" + LOCAL_OFFSET
        if key in ints:
            value = int(value) if value.lstrip("-").isdigit() else value
        data[key] = value
    return schema.load(data)


def run(action):
    """(result, None) or (None, (message, field errors)) for one use-case call."""
    english = wants_english()
    try:
        return action(), None
    except ma.ValidationError as exc:
        # Beside the field in the page's language, as the admin API's 422 details are.
        return None, (GENERIC[1] if english else GENERIC[0], localise(exc.messages, english))
    except DomainError as exc:
        return None, (message(exc), localise(exc.errors or {}, english))
