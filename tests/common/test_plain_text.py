"""The common schema base: every string field refuses control characters; free text keeps
line breaks."""

from __future__ import annotations

import marshmallow as ma
import pytest
from marshmallow import fields

from backend.common.schemas import Phone, Str, StrictSchema


class Sample(StrictSchema):
    name = Str()
    note = Str(max_len=500)
    raw = fields.String()
    tags = fields.List(fields.String())
    phone = Phone()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "a\x00"}, "name"),
        ({"raw": "a\u202eb"}, "raw"),
        ({"note": "a\x00b"}, "note"),
        ({"note": "a\u2066b"}, "note"),
        ({"tags": ["ok", "\x7f"]}, "tags"),
        ({"name": "\ud800"}, "name"),
        ({"phone": "1370000000\u0661"}, "phone"),
        ({"phone": "13700000000\n"}, "phone"),
    ],
)
def test_refused(body, field):
    with pytest.raises(ma.ValidationError) as caught:
        Sample().load(body)
    assert field in caught.value.messages


def test_free_text_keeps_line_breaks_and_tabs():
    body = {"note": "第一行\r\n第二行\t完", "name": "王小明", "phone": "13700000000"}
    assert Sample().load(body) == body
