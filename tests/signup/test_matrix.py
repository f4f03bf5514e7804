"""Every sign-up endpoint called by the wrong people: 401, 403 or 404, and nothing changes.

"empty" means the caller may use the endpoint but sees nothing of the target (another
class's head teacher listing or counting their own class).
"""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from backend.signup.models import Application, Objection, Publication
from tests import factories as f

APP_CALLERS = (
    "other_family",
    "other_class_teacher",
    "class_committee",
    "other_school_teacher",
    "other_school_committee",
    "other_school_parent",
)
N = 404
F = 403
C = 409
E = "empty"
# endpoint -> expected status per caller in APP_CALLERS order (None: a legitimate caller).
APP_MATRIX = {
    "get_application": (N, N, N, N, N, N),
    "withdraw": (N, N, N, N, N, N),
    "resubmit": (N, N, N, N, N, N),
    "apply_for_target": (N, N, N, N, N, N),
    "list_class_reviews": (F, E, None, N, F, F),
    "decide_class": (F, C, None, C, F, F),
    "decide_grade": (F, F, F, F, F, F),
    "summary": (F, E, None, N, N, F),
    "export_class": (F, E, None, N, F, F),
    "publish": (F, F, F, F, N, F),
    "read_posting": (None, None, None, N, N, N),
    "object": (None, F, F, N, N, N),
}
ADMIN_ENDPOINTS = (
    "admin_list",
    "admin_summary",
    "admin_export",
    "admin_application",
    "admin_publish",
    "admin_finalize",
    "admin_objections",
    "admin_uphold",
    "admin_dismiss",
)


@pytest.fixture
def m(scene, db):
    """A submitted target application, and another pupil's posting open with an objection."""
    a = scene.a
    scene.target = scene.applied()
    posted_kid = a["kids"][1]
    neighbour = f.user(db)
    f.guardian_of(db, neighbour, posted_kid)
    scene.other_family = neighbour
    posted = scene.applied(posted_kid, headers=scene.user_headers(neighbour))
    scene.through_all_levels(posted)
    r = scene.client.post(scene.admin("/publication"), headers=scene.h("office"))
    assert r.status_code == 201
    r = scene.client.post(
        f"/api/v1/terms/{scene.term.id}/publication/objections",
        json={"text": "异议", "application_id": posted},
        headers=scene.h("parent"),
    )
    scene.objection = r.json["id"]
    teacher2 = f.user(db)
    f.grant(db, teacher2, a["school"], "head_teacher", class_id=a["classes"][1].id)
    scene.callers = {
        "other_family": scene.user_headers(neighbour),
        "other_class_teacher": scene.user_headers(teacher2),
        "class_committee": scene.h("class"),
        "other_school_teacher": scene.h("teacher", "b"),
        "other_school_committee": scene.h("school", "b"),
        "other_school_parent": scene.h("parent", "b"),
    }
    return scene


def _request(s, endpoint: str):
    t, app_id = s.term.id, s.target
    sid = s.a["school"].id
    objections = f"/admin/api/v1/schools/{sid}/objections"
    decide = {"decisions": [{"application_id": app_id, "decision": "approve"}]}
    return {
        "get_application": ("get", f"/api/v1/applications/{app_id}", None),
        "withdraw": ("post", f"/api/v1/applications/{app_id}/withdraw", {}),
        "resubmit": ("post", f"/api/v1/applications/{app_id}/resubmit", {}),
        "apply_for_target": ("post", "/api/v1/applications", s.body()),
        "list_class_reviews": ("get", f"/api/v1/reviews?term_id={t}&level=class", None),
        "decide_class": ("post", "/api/v1/reviews", {"level": "class", **decide}),
        "decide_grade": ("post", "/api/v1/reviews", {"level": "grade", **decide}),
        "summary": ("get", f"/api/v1/reviews/summary?term_id={t}", None),
        "export_class": ("get", f"/api/v1/reviews/export?term_id={t}&level=class", None),
        "publish": ("post", f"/api/v1/terms/{t}/publication", None),
        "read_posting": ("get", f"/api/v1/terms/{t}/publication", None),
        "object": ("post", f"/api/v1/terms/{t}/publication/objections", {"text": "异议"}),
        "admin_list": ("get", s.admin("/applications"), None),
        "admin_summary": ("get", s.admin("/applications/summary"), None),
        "admin_export": ("get", s.admin("/applications/export"), None),
        "admin_application": ("get", s.admin(f"/applications/{app_id}"), None),
        "admin_publish": ("post", s.admin("/publication"), None),
        "admin_finalize": ("post", s.admin("/publication/finalize"), None),
        "admin_objections": ("get", objections, None),
        "admin_uphold": ("post", f"{objections}/{s.objection}/uphold", {"response": "x"}),
        "admin_dismiss": ("post", f"{objections}/{s.objection}/dismiss", {"response": "x"}),
    }[endpoint]


def _call(s, endpoint, headers):
    method, url, body = _request(s, endpoint)
    kwargs = {"headers": headers}
    if body is not None:
        kwargs["json"] = body
    return getattr(s.client, method)(url, **kwargs)


def _fingerprint(db):
    db.expire_all()
    return (
        sorted(db.execute(sa.select(Application.id, Application.state)).all()),
        db.scalar(sa.select(sa.func.count()).select_from(Publication)),
        sorted(db.execute(sa.select(Objection.id, Objection.state)).all()),
    )


def _is_empty(r) -> bool:
    if r.mimetype.endswith("spreadsheetml.sheet"):
        return len(list(load_workbook(io.BytesIO(r.data)).active.iter_rows())) == 1
    if isinstance(r.json, list):
        return r.json == []
    return r.json["totals"]["submitted"] == 0


CASES = [
    (endpoint, caller, expected)
    for endpoint, row in APP_MATRIX.items()
    for caller, expected in zip(APP_CALLERS, row, strict=True)
    if expected is not None
]


@pytest.mark.parametrize(("endpoint", "caller", "expected"), CASES)
def test_app_endpoint_wrong_caller(m, db, endpoint, caller, expected):
    before = _fingerprint(db)
    r = _call(m, endpoint, m.callers[caller])
    if expected == E:
        assert r.status_code == 200 and _is_empty(r), r.json
    else:
        assert r.status_code == expected, r.json
    if endpoint != "object":
        assert _fingerprint(db) == before


@pytest.mark.parametrize("endpoint", list(APP_MATRIX))
def test_app_endpoint_needs_a_user_token(m, db, endpoint):
    before = _fingerprint(db)
    assert _call(m, endpoint, {}).status_code == 401
    assert _call(m, endpoint, m.h("office")).status_code == 401  # admin token, app API
    assert _fingerprint(db) == before


@pytest.mark.parametrize("endpoint", ADMIN_ENDPOINTS)
def test_admin_endpoint_wrong_caller(m, db, endpoint):
    before = _fingerprint(db)
    assert _call(m, endpoint, {}).status_code == 401
    assert _call(m, endpoint, m.h("school")).status_code == 401  # user token, admin API
    assert _call(m, endpoint, m.h("office", "b")).status_code == 404
    assert _fingerprint(db) == before


def test_platform_admin_reaches_every_school(m):
    r = _call(m, "admin_summary", m.h("platform"))
    assert r.status_code == 200 and r.json["totals"]["submitted"] == 2
