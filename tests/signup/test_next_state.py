"""The next state of an application always comes from states.py, never from the use case."""

from __future__ import annotations

import pytest

from backend.signup import states
from tests import factories as f


def _withdraw(scene, app_id):
    return scene.client.post(
        f"/api/v1/applications/{app_id}/withdraw", json={}, headers=scene.h("parent")
    )


def test_a_step_the_table_drops_is_refused_with_the_use_cases_code(scene, db, monkeypatch):
    app = f.application(db, scene.term, scene.a["kids"][0], scene.a["parent"], state="enrolled")
    monkeypatch.delitem(states.TRANSITIONS, ("enrolled", "withdraw"))
    r = _withdraw(scene, app.id)
    assert r.status_code == 409 and r.json["error"] == "application_state_conflict"
    db.refresh(app)
    assert app.state == "enrolled" and app.withdrawn_at is None


@pytest.mark.table_patched
def test_the_use_case_lands_where_the_table_points(scene, db, monkeypatch):
    # Point "reject" somewhere else: the review follows the table, not its own idea.
    app_id = scene.applied()
    monkeypatch.setitem(states.TRANSITIONS, ("submitted", "reject"), "withdrawn")
    r = scene.review(
        "teacher",
        "class",
        [{"application_id": app_id, "decision": "reject", "comment": "材料不全"}],
    )
    assert r.status_code == 200, r.json
    assert r.json["results"][0]["state"] == "withdrawn"


@pytest.mark.parametrize(
    ("levels", "walk"),
    [
        (["class", "grade", "school"], [("class_approved", "grade"), ("grade_approved", "school")]),
        (["class", "school"], [("class_approved", "school")]),
    ],
)
def test_approval_follows_the_terms_levels(make_scene, levels, walk):
    scene = make_scene(review_levels=levels)
    app_id = scene.applied()
    who = {"class": "teacher", "grade": "grade", "school": "school"}
    level = levels[0]
    for state, next_level in walk:
        out = scene.approve(who[level], level, app_id)["results"][0]
        assert (out["state"], out["level"]) == (state, next_level)
        level = next_level
    out = scene.approve(who[level], level, app_id)["results"][0]
    assert (out["state"], out["level"]) == ("approved", None)
