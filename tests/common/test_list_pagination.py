"""Every list of both APIs pages the same way: page/page_size (default 20, at most 100),
an X-Pagination header, and 422 for a page out of bounds (issue 12 items 11 and 15).

The lists are found by walking the OpenAPI documents (every GET answering a JSON array),
so a new list endpoint that forgets pagination fails here. Each is then called over HTTP
by a caller the authorization matrix lets use it, in the matrix's world.
"""

from __future__ import annotations

import json

import pytest

from backend.extensions import admin_api, app_api
from tests.authz import world as W
from tests.authz.matrix import ROWS
from tests.authz.roles import OK
from tests.authz.test_matrix import _request, api_endpoints

HUGE_PAGE = "999999999999999999"


def _specs(app) -> dict:
    with app.app_context():
        return {"app": app_api.spec.to_dict(), "admin": admin_api.spec.to_dict()}


def list_endpoints(app) -> list[tuple[str, dict]]:
    """(path template, GET operation) of every GET whose 200 answer is a JSON array."""
    found = []
    for spec in _specs(app).values():
        for path, item in spec["paths"].items():
            op = item.get("get")
            ok = (op or {}).get("responses", {}).get("200", {})
            schema = ok.get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("type") == "array":
                found.append((path, op))
    return found


def test_every_get_of_the_url_map_is_documented(app):
    """The walk below sees every GET: none hides from the OpenAPI documents."""
    documented = {path for spec in _specs(app).values() for path in spec["paths"]}
    gets = {path for method, path in api_endpoints(app) if method == "GET"}
    assert gets - documented == set()


def test_every_list_declares_bounded_page_parameters_and_the_header(app):
    lists = list_endpoints(app)
    assert len(lists) >= 40  # 19 app and 21 admin lists when written
    for path, op in lists:
        params = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}
        assert {"page", "page_size"} <= set(params), path
        assert params["page"]["schema"]["maximum"] == 100_000, path
        assert params["page_size"]["schema"]["maximum"] == 100, path
        assert params["page_size"]["schema"]["default"] == 20, path
        assert "X-Pagination" in op["responses"]["200"].get("headers", {}), path


@pytest.fixture(scope="module")
def world(app):
    try:
        yield W.build(app)
    finally:
        W.truncate(app)


# Lists no role of the matrix world may read (a course teacher is not one of its roles);
# their paging is declared like every other list and their callers are tested in their domain.
NO_MATRIX_CALLER = {"/api/v1/courses/{course_id}/roster"}


def _callers(app):
    """(path, matrix row, a role allowed to use it) for every list endpoint."""
    rows = {row.key: row for row in ROWS}
    out = []
    for path, _ in list_endpoints(app):
        row = rows[("GET", path)]
        role = next((r for r, expected in row.expect.items() if expected == OK), None)
        if role is None:
            assert path in NO_MATRIX_CALLER, f"{path}: no role of the matrix may call it"
            continue
        out.append((path, row, role))
    return out


def _get(client, world, row, role, **page):
    url, kwargs = _request(row, world.ids)
    kwargs["query_string"] = {**kwargs.get("query_string", {}), **page}
    return client.get(url, headers=world.tokens[role], **kwargs)


def test_every_list_pages_and_refuses_pages_out_of_bounds(app, world, client):
    wrong = []
    for path, row, role in _callers(app):
        r = _get(client, world, row, role, page_size="1")
        meta = json.loads(r.headers.get("X-Pagination") or "null")
        if r.status_code != 200 or meta is None or len(r.json) > 1:
            wrong.append((path, "page_size=1", r.status_code, r.get_data(as_text=True)[:100]))
            continue
        if meta["total"] < len(r.json):
            wrong.append((path, "total", meta))
        for bad in ({"page": HUGE_PAGE}, {"page": "0"}, {"page_size": "101"}):
            r = _get(client, world, row, role, **bad)
            if r.status_code != 422 or r.json["error"] != "validation_error":
                wrong.append((path, bad, r.status_code))
    assert wrong == [], "\n".join(map(str, wrong))


def test_a_list_answers_its_default_page_of_twenty(app, world, client):
    """Without parameters a list answers page 1 of 20 (flask-smorest's own default is 10)."""
    rows = {row.key: row for row in ROWS}
    row = rows[("GET", "/api/v1/terms/{term_id}/calendar")]
    r = _get(client, world, row, "guardian_A")
    meta = json.loads(r.headers["X-Pagination"])
    assert meta["page"] == 1 and meta["total"] > 20
    assert len(r.json) == 20
    r = _get(client, world, row, "guardian_A", page="2", page_size="5")
    assert json.loads(r.headers["X-Pagination"])["page"] == 2 and len(r.json) == 5
