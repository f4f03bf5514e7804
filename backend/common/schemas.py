"""Schema base: unknown fields rejected, strict integers, bounded strings."""

from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import fields, validate

MAX_ID = 2**31 - 1  # primary keys and counters are 32-bit integers

# Control characters (Unicode Cc), bidi overrides and isolates (which make "txt.exe" read as
# "exe.txt"), line/paragraph separators and lone surrogates (PostgreSQL refuses NUL and
# surrogates with a 500). Free-text fields may keep tabs and line breaks.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff"
_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_MULTI_LINE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]")
MULTILINE_FROM = 300  # a Str() this long or longer is free text (notes, reasons, bodies)


class PlainText(validate.Validator):
    """Refuses control and bidi-override characters (line breaks allowed in free text)."""

    def __init__(self, multiline: bool = False):
        self.pattern = _MULTI_LINE if multiline else _ONE_LINE

    def __call__(self, value):
        """The value unchanged, or ValidationError naming the first bad character."""
        if isinstance(value, str) and (bad := self.pattern.search(value)):
            raise ma.ValidationError(f"不能包含控制字符（U+{ord(bad.group()):04X}）")
        return value


def guard_text(field: fields.Field) -> None:
    """Give every string field (also inside lists, tuples and dicts) the PlainText check."""
    if isinstance(field, fields.String):
        if not any(isinstance(v, PlainText) for v in field.validators):
            field.validators.append(PlainText(getattr(field, "multiline", False)))
    elif isinstance(field, fields.List):
        guard_text(field.inner)
    elif isinstance(field, fields.Tuple):
        for inner in field.tuple_fields:
            guard_text(inner)
    elif isinstance(field, fields.Mapping):
        for inner in (field.key_field, field.value_field):
            if inner is not None:
                guard_text(inner)


class StrictSchema(ma.Schema):
    """Every request schema derives from this: unknown fields are an error, and no string
    field of either API takes control characters (one check here, not one per field)."""

    class Meta:
        unknown = ma.RAISE

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        """Add the PlainText check to each string field as the schema binds it."""
        guard_text(field_obj)


def Str(
    *, max_len: int = 200, min_len: int = 0, multiline: bool | None = None, **kwargs
) -> fields.String:
    """A string with a length limit (every request string has one); long ones are free text
    that may hold line breaks, short ones are one line."""
    field = fields.String(validate=validate.Length(min=min_len, max=max_len), **kwargs)
    field.multiline = max_len >= MULTILINE_FROM if multiline is None else multiline
    return field


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


# ASCII digits only (\d takes "١"). The pattern stays ECMA-compatible for the OpenAPI
# documents ("$" there); the check is a full match, since Python's "$" also matches before
# a trailing newline (PlainText refuses that newline in any case).
PHONE_RE = r"^1[3-9][0-9]{9}$"
_PHONE_MSG = "请输入11位手机号"


def _full_phone(value: str) -> None:
    """ValidationError for what the pattern alone lets through (a trailing newline); the
    pattern reports everything else, so a bad number gets one message, not two."""
    if re.match(PHONE_RE, value or "") and not re.fullmatch(PHONE_RE, value or ""):
        raise ma.ValidationError(_PHONE_MSG)


def Phone(**kwargs) -> fields.String:
    """A mainland mobile number: 11 ASCII digits starting 13-19."""
    return fields.String(
        validate=[validate.Regexp(PHONE_RE, error=_PHONE_MSG), _full_phone], **kwargs
    )


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
