"""A two-school scene with a term open for sign-up, and helpers to drive it over HTTP."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.signup import states
from backend.signup.models import Application, ReviewStep
from backend.terms.models import Term
from tests import factories as f


def pytest_configure(config):
    config.addinivalue_line("markers", "table_patched: the test changes states.TRANSITIONS")


@pytest.fixture(autouse=True)
def every_step_follows_the_table(request):
    """After each sign-up test: every recorded step went where states.py says, so a use
    case that chose its own target state (or skipped the table) fails the test it is in."""
    if "db" not in request.fixturenames or request.node.get_closest_marker("table_patched"):
        yield  # concurrency tests commit on their own connections; patched tables differ
        return
    db = request.getfixturevalue("db")  # set up first, so torn down after this check
    yield
    db.expire_all()
    rows = db.execute(
        sa.select(ReviewStep, Term.review_levels)
        .join(Application, Application.id == ReviewStep.application_id)
        .join(Term, Term.id == Application.term_id)
        .where(ReviewStep.from_state.is_not(None))
    ).all()
    for step, levels in rows:
        expected = states.apply(step.from_state, step.decision, levels=levels, level=step.level)
        assert step.to_state == expected, (step.from_state, step.decision, step.to_state)


class Scene:
    """World plus an open term (with agreement) in school A, and everyone's headers."""

    def __init__(self, db, client, **term_kw):
        self.db, self.client = db, client
        self.w = f.World(db)
        self.a, self.b = self.w.schools
        self.term = f.term(db, self.a["school"], **term_kw)
        self.agreement = f.agreement(db, self.term)
        self.term_b = f.term(db, self.b["school"])
        self.agreement_b = f.agreement(db, self.term_b)
        self._headers = {}

    def h(self, who: str, school: str = "a") -> dict:
        """Headers of a role: parent, teacher, gate, class, grade, school (committee),
        office; school 'b' for the other school's people; 'platform' for the platform."""
        key = (who, school)
        if key not in self._headers:
            if who == "platform":
                self._headers[key] = f.auth(self.db, admin_row=self.w.platform)
            else:
                s = self.a if school == "a" else self.b
                if who == "office":
                    self._headers[key] = f.auth(self.db, admin_row=s["office"])
                else:
                    row = s["committee"][who] if who in s["committee"] else s[who]
                    self._headers[key] = f.auth(self.db, user_row=row)
        return self._headers[key]

    def user_headers(self, user_row) -> dict:
        return f.auth(self.db, user_row=user_row)

    def body(self, kid=None, **kw) -> dict:
        kid = kid or self.a["kids"][0]
        out = {
            "term_id": self.term.id,
            "student_id": kid.id,
            "agreement_id": self.agreement.id,
            "agree": True,
        }
        out.update(kw)
        return out

    def apply(self, kid=None, headers=None, **kw):
        return self.client.post(
            "/api/v1/applications", json=self.body(kid, **kw), headers=headers or self.h("parent")
        )

    def applied(self, kid=None, **kw) -> int:
        r = self.apply(kid, **kw)
        assert r.status_code == 201, r.json
        return r.json["id"]

    def review(self, who: str, level: str, decisions, school: str = "a"):
        return self.client.post(
            "/api/v1/reviews",
            json={"level": level, "decisions": decisions},
            headers=self.h(who, school),
        )

    def approve(self, who: str, level: str, *ids):
        r = self.review(who, level, [{"application_id": i, "decision": "approve"} for i in ids])
        assert r.status_code == 200, r.json
        return r.json

    def through_all_levels(self, *ids):
        self.approve("teacher", "class", *ids)
        self.approve("grade", "grade", *ids)
        self.approve("school", "school", *ids)

    def admin(self, path: str) -> str:
        return f"/admin/api/v1/schools/{self.a['school'].id}/terms/{self.term.id}{path}"


@pytest.fixture
def scene(db, client):
    return Scene(db, client)


@pytest.fixture
def make_scene(db, client):
    return lambda **kw: Scene(db, client, **kw)
