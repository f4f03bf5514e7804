"""The caller's grants cached in Redis: served from the cache, dropped at once on every
grant or binding change, and read from the database when Redis is down."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from redis.exceptions import ConnectionError as RedisConnectionError

from backend.auth import grants_cache
from backend.schools.models import GuardianLink, RoleGrant
from tests import factories
from tests.schools.conftest import BASE


@pytest.fixture
def teacher(db, app):
    """A head teacher of class c1 in a term, with the class courses URL."""
    s = factories.school(db)
    g = factories.grade(db, s)
    c1 = factories.klass(db, g)
    user = factories.user(db)
    grant = factories.grant(db, user, s, "head_teacher", class_id=c1.id)
    term = factories.term(db, s)
    office = factories.admin(db, s)
    return {
        "school": s,
        "grant": grant,
        "user": user,
        "headers": factories.auth(db, user_row=user),
        "office": factories.auth(db, admin_row=office),
        "url": f"/api/v1/classes/{c1.id}/courses?term_id={term.id}",
    }


def cached_roles(app, user_id):
    with app.app_context():
        raw = app.extensions["kehou"]["redis"].get(grants_cache._user_key(user_id))
    return raw and raw.decode()


def test_grants_come_from_the_cache_after_the_first_request(client, app, teacher, monkeypatch):
    assert client.get(teacher["url"], headers=teacher["headers"]).status_code == 200
    assert "head_teacher" in cached_roles(app, teacher["user"].id)
    calls = []
    monkeypatch.setattr(
        "backend.auth.context.load_grants", lambda *a: calls.append(a) or pytest.fail("db read")
    )
    assert client.get(teacher["url"], headers=teacher["headers"]).status_code == 200
    assert calls == []


def test_a_revoked_grant_stops_working_at_once(client, app, teacher):
    assert client.get(teacher["url"], headers=teacher["headers"]).status_code == 200
    sid, gid = teacher["school"].id, teacher["grant"].id
    r = client.delete(f"{BASE}/{sid}/role-grants/{gid}", headers=teacher["office"])
    assert r.status_code == 204
    assert client.get(teacher["url"], headers=teacher["headers"]).status_code == 403


def test_a_new_guardian_link_is_seen_at_once(client, db, app):
    s = factories.school(db)
    kid = factories.student(db, factories.klass(db, factories.grade(db, s)))
    parent = factories.user(db)
    headers = factories.auth(db, user_row=parent)
    url = f"/api/v1/students/{kid.id}/pickup-persons"
    assert client.get(url, headers=headers).status_code == 404
    assert cached_roles(app, parent.id) is not None
    factories.guardian_of(db, parent, kid)
    assert client.get(url, headers=headers).status_code == 200
    assert "guardian" in cached_roles(app, parent.id)
    db.delete(_link(db, parent, kid))
    db.flush()
    assert client.get(url, headers=headers).status_code == 404
    assert "guardian" not in cached_roles(app, parent.id)


def _link(db, parent, kid):
    return db.scalars(
        sa.select(GuardianLink).where(
            GuardianLink.user_id == parent.id, GuardianLink.student_id == kid.id
        )
    ).one()


def test_redis_down_still_authorizes_from_the_database(client, app, teacher, monkeypatch):
    assert client.get(teacher["url"], headers=teacher["headers"]).status_code == 200

    def down(*_a, **_k):
        raise RedisConnectionError("redis is down")

    redis = app.extensions["kehou"]["redis"]
    monkeypatch.setattr(redis, "mget", down)
    monkeypatch.setattr(redis, "set", down)
    assert client.get(teacher["url"], headers=teacher["headers"]).status_code == 200
    sid, gid = teacher["school"].id, teacher["grant"].id
    r = client.delete(f"{BASE}/{sid}/role-grants/{gid}", headers=teacher["office"])
    assert r.status_code == 204
    assert client.get(teacher["url"], headers=teacher["headers"]).status_code == 403


def test_a_lost_version_serves_no_old_entry(client, app, db, teacher):
    assert client.get(teacher["url"], headers=teacher["headers"]).status_code == 200
    with app.app_context():
        app.extensions["kehou"]["redis"].delete(grants_cache.VERSION_KEY)
    # Revoked behind the session's back (no event bumps the version): only the lost
    # version keeps the old entry from being served.
    db.connection().execute(
        sa.update(RoleGrant)
        .where(RoleGrant.id == teacher["grant"].id)
        .values(revoked_at=teacher["grant"].bound_at)
    )
    assert client.get(teacher["url"], headers=teacher["headers"]).status_code == 403


def version(app):
    return app.extensions["kehou"]["redis"].get(grants_cache.VERSION_KEY)


def test_every_kind_of_grant_write_bumps_the_version(app, db, teacher):
    """ORM rows, bulk statements (the privacy erasure's) and a pupil leaving the school or
    deactivated all set a new version; other writes to a pupil do not."""
    kid = factories.student(db, factories.klass(db, factories.grade(db, teacher["school"])))
    factories.guardian_of(db, teacher["user"], kid)
    seen = [version(app)]

    def bumped() -> bool:
        seen.append(version(app))
        return seen[-1] != seen[-2]

    db.execute(sa.delete(GuardianLink).where(GuardianLink.user_id == teacher["user"].id))
    db.commit()
    assert bumped()
    db.execute(sa.update(RoleGrant).where(RoleGrant.id == teacher["grant"].id).values(level=None))
    db.commit()
    assert bumped()
    kid.name = "改名"
    db.flush()
    assert not bumped()
    kid.active = False
    db.flush()
    assert bumped()


def test_a_miss_reads_every_kind_of_grant_in_one_statement(db, app, teacher):
    """Guardian (by school) first, then staff grants in the order granted, one round trip."""
    from backend.auth.context import load_grants

    user = teacher["user"]
    kid = factories.student(db, factories.klass(db, factories.grade(db, teacher["school"])))
    factories.guardian_of(db, user, kid)
    factories.grant(db, user, teacher["school"], "gate_staff")
    seen = []
    engine = app.extensions["kehou"]["engine"]

    def listener(_conn, _cursor, statement, *_rest):
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        grants = load_grants(db, user.id)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert [(g.role, g.school_id, g.class_id) for g in grants] == [
        ("guardian", teacher["school"].id, None),
        ("head_teacher", teacher["school"].id, teacher["grant"].class_id),
        ("gate_staff", teacher["school"].id, None),
    ]
    assert len(seen) == 1, seen
