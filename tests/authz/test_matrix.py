"""Drive matrix.py: every endpoint of both APIs called as every role of the matrix.

The world (two schools, one of everything) is built and committed once for this module,
and emptied at its end: building it per test would cost ~2,000 worlds. Each check then
runs in the `db` fixture's outer transaction (the app joins it with savepoints), so a
write that succeeds for an allowed role is rolled back before the next check; Redis and
the rate limiter are emptied per test by conftest.
"""

from __future__ import annotations

import io
import json
import os
import re

import pytest
from openpyxl import load_workbook

from tests.authz import world as W
from tests.authz.matrix import ROWS
from tests.authz.roles import A_PEOPLE, OK, REFUSED, ROLES, SWAPS, swap_expectation

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
_UNPROTECTED = ("/openapi.json", "/docs")


def api_endpoints(app) -> set[tuple[str, str]]:
    """(METHOD, path template) of every rule under /api/v1 and /admin/api/v1."""
    out = set()
    for rule in app.url_map.iter_rules():
        path = _CONVERTER.sub(r"{\1}", rule.rule)
        if not path.startswith(("/api/v1/", "/admin/api/v1/")) or path.endswith(_UNPROTECTED):
            continue
        out |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return out


def test_every_endpoint_has_a_row(app):
    keys = [row.key for row in ROWS]
    assert len(keys) == len(set(keys)), "one row per endpoint"
    endpoints = api_endpoints(app)
    missing = sorted(endpoints - set(keys))
    stale = sorted(set(keys) - endpoints)
    assert missing == [], f"endpoints without a row in tests/authz/matrix.py: {missing}"
    assert stale == [], f"rows for endpoints that do not exist: {stale}"


def test_every_row_names_every_role():
    for row in ROWS:
        assert set(row.expect) == set(ROLES), row.key
        assert set(row.sees) <= set(ROLES), row.key


@pytest.fixture(scope="module")
def world(app):
    try:
        yield W.build(app)
    finally:
        W.truncate(app)


def _fill(value, ids):
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole:
            return ids[whole.group(1)]
        return _PLACEHOLDER.sub(lambda m: str(ids[m.group(1)]), value)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _request(row, ids) -> tuple[str, dict]:
    url = _PLACEHOLDER.sub(lambda m: str(ids[row.use.get(m.group(1), m.group(1))]), row.path)
    kwargs = {}
    if row.query:
        kwargs["query_string"] = _fill(row.query, ids)
    if row.json is not None:
        kwargs["json"] = _fill(row.json, ids)
    if row.form is not None:
        kwargs["data"] = {
            k: (io.BytesIO(v), "upload.bin") if isinstance(v, bytes) else _fill(v, ids)
            for k, v in row.form.items()
        }
        kwargs["content_type"] = "multipart/form-data"
    return url, kwargs


def _text(r) -> str:
    """What a person could read in the answer (JSON unescaped, workbook cells)."""
    if "spreadsheetml" in (r.mimetype or ""):
        book = load_workbook(io.BytesIO(r.data), read_only=True)
        return " ".join(
            str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row
        )
    if r.is_json:
        return json.dumps(r.get_json(silent=True), ensure_ascii=False)
    if (r.mimetype or "").startswith("text/"):
        return r.get_data(as_text=True)
    return ""


def _label(expected) -> str:
    if expected in (OK, REFUSED):
        return expected
    if isinstance(expected, tuple):
        return f"{expected[0]} {expected[1] or ''}".strip()
    return str(expected)


def _cases():
    for row in ROWS:
        expectations = dict(row.expect)
        for pseudo in SWAPS:
            expected = swap_expectation(row, pseudo)
            if expected is not None:
                expectations[pseudo] = expected
        for role, expected in expectations.items():
            marks = []
            if role in row.xfail:
                marks.append(pytest.mark.xfail(reason=row.xfail[role], strict=True))
            yield pytest.param(
                row,
                role,
                expected,
                id=f"{row.method} {row.path} :: {role} -> {_label(expected)}",
                marks=marks,
            )


def _caller(world, role) -> tuple[dict, dict]:
    """The token and the placeholder values of a role (a swap gives B's value to one)."""
    if role in SWAPS:
        token_of, swapped, source, prefix, _ = SWAPS[role]
        own = world.ids if token_of in A_PEOPLE else world.ids_b
        return world.tokens[token_of], {**world.ids, swapped: own[source]}
    return world.tokens[role], world.ids


@pytest.mark.parametrize(("row", "role", "expected"), list(_cases()))
def test_matrix(world, client, row, role, expected):
    headers, ids = _caller(world, role)
    url, kwargs = _request(row, ids)
    r = client.open(url, method=row.method, headers=headers, **kwargs)
    body = r.get_json(silent=True) if r.is_json else None
    status = r.status_code
    if os.environ.get("AUTHZ_TRACE"):
        print(f"\nTRACE {status} {row.method} {row.path} {role} {str(body)[:150]}")
    assert status < 500, (status, body)
    if expected == OK:
        assert status not in (401, 403, 404), (status, body)
    elif expected == REFUSED:
        assert status in (403, 404, 409, 410, 422), (status, body)
    elif isinstance(expected, tuple):
        assert status == expected[0], (status, body)
        if expected[1] is not None:
            assert body["error"] == expected[1], body
    else:
        assert status == expected, (status, body)
    if role not in row.sees:
        text = _text(r)
        for marker in (*world.target, world.phone):
            assert marker not in text, f"{role} can read {marker!r}: {text[:500]}"


def test_the_leak_markers_are_visible_to_those_who_may_see_them(world, client):
    """The leak check above can fail: the markers do appear where they belong."""
    name, student_no = world.target
    sid, kid = world.ids["school_id"], world.ids["student_id"]
    mine = client.get("/api/v1/me/children", headers=world.tokens["guardian_A"])
    assert name in _text(mine)
    export = client.get("/api/v1/me/data-export", headers=world.tokens["guardian_A"])
    assert world.phone in _text(export)
    office = client.get(
        f"/admin/api/v1/schools/{sid}/students/{kid}", headers=world.tokens["admin_A"]
    )
    assert student_no in _text(office)
    sheet = client.get(
        f"/admin/api/v1/schools/{sid}/terms/{world.ids['term_id']}/applications/export",
        headers=world.tokens["admin_A"],
    )
    assert name in _text(sheet)
