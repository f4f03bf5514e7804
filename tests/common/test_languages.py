"""A 422's field details speak the request's language, like its message (issue 12 item 16):
Chinese by default, English with Accept-Language: en, never one of each."""

from __future__ import annotations

import re

import marshmallow as ma
import pytest

from backend.common.field_messages import PAIRS, translate
from backend.errors import ValidationFailed, render_domain_error
from tests import factories as f

CJK = re.compile(r"[\u4e00-\u9fff]")
# An unknown field, a missing one (name), a bad enum (relation) and a bad phone.
BAD_PERSON = {"relation": "uncle", "phone": "123", "nickname": "x"}


def _strings(errors):
    if isinstance(errors, dict):
        return [s for v in errors.values() for s in _strings(v)]
    if isinstance(errors, list):
        return [s for v in errors for s in _strings(v)]
    return [errors] if isinstance(errors, str) else []


def _post_bad_person(client, db, language=None):
    w = f.World(db)
    a = w.schools[0]
    headers = f.auth(db, user_row=a["parent"])
    if language:
        headers["Accept-Language"] = language
    kid = a["kids"][0]
    r = client.post(f"/api/v1/students/{kid.id}/pickup-persons", json=BAD_PERSON, headers=headers)
    assert r.status_code == 422 and r.json["error"] == "validation_error"
    assert set(r.json["errors"]) == {"name", "relation", "phone", "nickname"}
    return r.json


def test_chinese_by_default_in_the_message_and_every_detail(client, db):
    body = _post_bad_person(client, db)
    assert CJK.search(body["message"])
    strings = _strings(body["errors"])
    assert len(strings) == 4
    assert all(CJK.search(s) for s in strings), strings
    assert body["errors"]["phone"] == ["请输入11位手机号"]
    assert body["errors"]["relation"][0].startswith("须为以下之一")


def test_english_when_asked_in_the_message_and_every_detail(client, db):
    body = _post_bad_person(client, db, "en-US,en;q=0.9")
    assert body["message"].isascii()
    strings = _strings(body["errors"])
    assert len(strings) == 4
    assert all(s.isascii() for s in strings), strings
    assert body["errors"]["phone"] == ["Enter an 11-digit mobile number"]
    assert body["errors"]["nickname"] == ["Unknown field."]


def test_a_length_and_a_range_in_chinese(client, db):
    w = f.World(db)
    headers = f.auth(db, user_row=w.schools[0]["parent"])
    r = client.get("/api/v1/pickup-notices?page=0&page_size=1000", headers=headers)
    assert r.status_code == 422
    assert r.json["errors"] == {
        "page": ["须在 1 到 100000 之间"],
        "page_size": ["须在 1 到 100 之间"],
    }


@pytest.mark.parametrize(("language", "expected"), [(None, "请填写原因"), ("en", "Give a reason")])
def test_a_use_case_detail_follows_the_language_too(app, language, expected):
    headers = {"Accept-Language": language} if language else {}
    with app.test_request_context(headers=headers):
        body, status, _ = render_domain_error(ValidationFailed(errors={"comment": ["请填写原因"]}))
    assert status == 422 and body["errors"] == {"comment": [expected]}


def test_templates_carry_their_values():
    assert translate("Length must be between 4 and 7.", english=False) == "长度须在 4 到 7 之间"
    assert translate("最多可退 300 分", english=True) == "At most 300 fen can be refunded"
    assert translate("2026-09-01 至 2027-01-20", english=True) == "From 2026-09-01 to 2027-01-20"
    assert translate("something else", english=False) == "something else"


def test_every_pair_is_one_language_each():
    for en, zh in PAIRS:
        assert en.isascii(), en
        assert CJK.search(zh), zh


def _all_schemas(cls=ma.Schema):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_schemas(sub)


def test_every_custom_validator_message_of_the_project_has_its_other_language(app):
    """A new validator with its own message must add the pair to common.field_messages."""
    missing = set()
    for schema in _all_schemas():
        if not schema.__module__.startswith("backend."):
            continue
        for name, field in schema._declared_fields.items():
            for validator in field.validators:
                error = getattr(validator, "error", None)
                if isinstance(error, str) and "{" not in error:
                    english = bool(CJK.search(error))
                    if translate(error, english) == error:
                        missing.add((schema.__name__, name, error))
    assert missing == set()
