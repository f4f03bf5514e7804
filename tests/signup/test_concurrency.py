"""Races on real PostgreSQL connections: one decision, one live application, one posting."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from backend.signup.models import Application, Publication, ReviewStep
from tests import factories as f


def _race(app, calls):
    """Run (method, url, json, headers) calls at the same moment; return status codes."""
    results = []
    barrier = threading.Barrier(len(calls))

    def go(call):
        method, url, body, headers = call
        with app.test_client() as c:
            barrier.wait()
            r = getattr(c, method)(url, json=body, headers=headers)
            results.append((r.status_code, (r.json or {}).get("error")))

    threads = [threading.Thread(target=go, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(results, key=lambda x: (x[0], x[1] or ""))


def test_reviewers_deciding_the_same_application_at_once_decide_once(app, committed, requires_pg):
    w = f.World(committed)
    a = w.schools[0]
    term = f.term(committed, a["school"])
    target = f.application(committed, term, a["kids"][0], a["parent"])
    teacher = f.auth(committed, user_row=a["teacher"])
    member = f.auth(committed, user_row=a["committee"]["class"])
    committed.commit()
    calls = []
    for i in range(4):
        decision = {"application_id": target.id, "decision": "approve"}
        if i % 2:
            decision = {**decision, "decision": "reject", "comment": "不符合条件"}
        body = {"level": "class", "decisions": [decision]}
        calls.append(("post", "/api/v1/reviews", body, teacher if i < 2 else member))
    results = _race(app, calls)
    assert [code for code, _ in results] == [200, 409, 409, 409]
    assert {err for code, err in results if code == 409} == {"review_conflict"}
    committed.expire_all()
    decided = committed.scalars(
        sa.select(ReviewStep.decision).where(
            ReviewStep.application_id == target.id,
            ReviewStep.decision.in_(("approve", "reject")),
        )
    ).all()
    assert len(decided) == 1
    state = committed.get(Application, target.id).state
    assert state == {"approve": "class_approved", "reject": "rejected"}[decided[0]]


def test_guardians_applying_for_one_pupil_at_once_create_one(app, committed, requires_pg):
    w = f.World(committed)
    a = w.schools[0]
    term = f.term(committed, a["school"])
    agreement = f.agreement(committed, term)
    kid = a["kids"][0]
    guardians = [a["parent"]] + [f.user(committed) for _ in range(5)]
    for g in guardians[1:]:
        f.guardian_of(committed, g, kid)
    headers = [f.auth(committed, user_row=g) for g in guardians]
    committed.commit()
    body = {"term_id": term.id, "student_id": kid.id, "agreement_id": agreement.id, "agree": True}
    results = _race(app, [("post", "/api/v1/applications", body, h) for h in headers])
    assert results == [(201, None)] + [(409, "application_exists")] * 5
    assert (
        committed.scalar(
            sa.select(sa.func.count())
            .select_from(Application)
            .where(Application.student_id == kid.id)
        )
        == 1
    )


def test_committee_and_office_publishing_at_once_post_once(app, committed, requires_pg):
    w = f.World(committed)
    a = w.schools[0]
    term = f.term(committed, a["school"])
    for kid in a["kids"]:
        f.application(committed, term, kid, a["parent"], state="approved")
    school = f.auth(committed, user_row=a["committee"]["school"])
    office = f.auth(committed, admin_row=a["office"])
    committed.commit()
    sid = a["school"].id
    calls = [
        ("post", f"/api/v1/terms/{term.id}/publication", None, school),
        ("post", f"/admin/api/v1/schools/{sid}/terms/{term.id}/publication", None, office),
    ] * 2
    results = _race(app, calls)
    assert results == [(201, None)] + [(409, "nothing_to_publish")] * 3
    committed.expire_all()
    pubs = committed.scalars(sa.select(Publication)).all()
    assert len(pubs) == 1 and pubs[0].entry_count == 3
    states = committed.scalars(sa.select(Application.state)).all()
    assert states == ["in_publicity"] * 3
