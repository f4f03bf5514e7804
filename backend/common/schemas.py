"""Schema base: unknown fields rejected, strict integers, bounded strings."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

MAX_ID = 2**31 - 1  # primary keys and counters are 32-bit integers


class StrictSchema(ma.Schema):
    """Every request schema derives from this: unknown fields are an error."""

    class Meta:
        unknown = ma.RAISE


def Str(*, max_len: int = 200, min_len: int = 0, **kwargs) -> fields.String:
    """A string with a length limit (every request string has one)."""
    return fields.String(validate=validate.Length(min=min_len, max=max_len), **kwargs)


def Int(**kwargs) -> fields.Integer:
    """A strict integer that fits the database's 32-bit columns (larger -> 422, not 500)."""
    bound = validate.Range(min=-MAX_ID - 1, max=MAX_ID)
    extra = kwargs.pop("validate", None)
    checks = [bound] + (
        list(extra) if isinstance(extra, list | tuple) else [extra] if extra else []
    )
    return fields.Integer(strict=True, validate=checks, **kwargs)


def Id(**kwargs) -> fields.Integer:
    """An object id: opaque to clients, a positive integer here."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def Fen(**kwargs) -> fields.Integer:
    """An amount of money in fen (分); never a float."""
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=10**9), **kwargs)


RELATIONS = ("father", "mother", "grandfather", "grandmother", "other")
RELATION_ZH = {
    "father": "父亲",
    "mother": "母亲",
    "grandfather": "祖父/外祖父",
    "grandmother": "祖母/外祖母",
    "other": "其他",
}


def Relation(**kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(RELATIONS), **kwargs)


PHONE_RE = r"^1[3-9]\d{9}$"


def Phone(**kwargs) -> fields.String:
    return fields.String(validate=validate.Regexp(PHONE_RE, error="请输入11位手机号"), **kwargs)


MAX_PAGE = 100_000  # keeps (page - 1) * page_size inside a 32-bit offset
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
PAGINATION_ARGS = ("page", "page_size")


class PageArgs(ma.Schema):
    """page/page_size of every list, bounded (the route's other query parameters pass)."""

    class Meta:
        unknown = ma.EXCLUDE

    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": "Page number, from 1"},
    )
    page_size = fields.Integer(
        load_default=DEFAULT_PAGE_SIZE,
        validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
        metadata={"description": f"Items per page, at most {MAX_PAGE_SIZE}"},
    )


class ListQuery(StrictSchema):
    """A list's query filters: unknown parameters are refused, page/page_size pass to
    the pagination (flask-smorest parses them from the same query string)."""

    @ma.pre_load
    def _drop_pagination(self, data, **kwargs):
        return {k: v for k, v in data.items() if k not in PAGINATION_ARGS}


class Instant(fields.DateTime):
    """An instant, written ISO 8601 with the school's offset (+08:00)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        from backend.common.clock import SCHOOL_TZ

        return value.astimezone(SCHOOL_TZ).isoformat(timespec="seconds")
