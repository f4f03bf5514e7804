"""A school with an open first-come term, enrolled pupils and their guardians' tokens."""

from __future__ import annotations

from types import SimpleNamespace

from tests import factories as f


def fcfs_world(db, **term_kw):
    w = f.World(db)
    a, b = w.schools
    term = f.term(db, a["school"], **term_kw)
    kid = a["kids"][0]
    f.enrolled(db, term, kid)
    # three more families of the school, each enrolled
    families = []
    for _ in range(3):
        child = f.student(db, a["classes"][0])
        parent = f.user(db)
        f.guardian_of(db, parent, child)
        f.enrolled(db, term, child)
        families.append((child, parent, f.auth(db, user_row=parent)))
    return SimpleNamespace(
        w=w,
        a=a,
        b=b,
        term=term,
        kid=kid,
        parent=a["parent"],
        h=f.auth(db, user_row=a["parent"]),
        families=families,
        other_parent=f.auth(db, user_row=b["parent"]),
        office=f.auth(db, admin_row=a["office"]),
        other_office=f.auth(db, admin_row=b["office"]),
        teacher=f.auth(db, user_row=a["teacher"]),
    )


def select(client, headers, student, course, **kw):
    return client.post(
        "/api/v1/selections",
        json={"student_id": student.id, "course_id": course.id, **kw},
        headers=headers,
    )
