"""A school with an enrolled term, a provider's course, families and a survey."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from backend.common.clock import now
from backend.courses.models import Selection
from tests import factories as f

QUESTIONS = [
    {"text": "总体满意度", "kind": "score"},
    {"text": "老师认真负责", "kind": "score"},
    {"text": "意见和建议", "kind": "text"},
]


def confirm(db, term, course, student):
    """A confirmed seat written directly (selection is tested in tests/courses)."""
    db.add(
        Selection(
            term_id=term.id,
            course_id=course.id,
            student_id=student.id,
            school_id=student.school_id,
            status="confirmed",
            source="fcfs",
            confirmed_at=now(),
        )
    )
    db.flush()


def family(db, term, klass, course=None):
    """An enrolled pupil with one guardian (and a seat in `course`)."""
    child = f.student(db, klass)
    parent = f.user(db)
    f.guardian_of(db, parent, child)
    f.enrolled(db, term, child)
    if course is not None:
        confirm(db, term, course, child)
    return SimpleNamespace(child=child, parent=parent, h=f.auth(db, user_row=parent))


def survey_world(db, families=5):
    w = f.World(db)
    a, b = w.schools
    term = f.term(db, a["school"])
    provider = f.provider(db, a["school"], name="阳光体育")
    course = f.course(db, term, provider_id=provider.id, name="篮球")
    other_course = f.course(db, term, name="书法")
    kid = a["kids"][0]
    f.enrolled(db, term, kid)
    confirm(db, term, course, kid)
    fams = [family(db, term, a["classes"][0], course) for _ in range(families)]
    return SimpleNamespace(
        w=w,
        a=a,
        b=b,
        sid=a["school"].id,
        term=term,
        provider=provider,
        course=course,
        other_course=other_course,
        kid=kid,
        parent=a["parent"],
        h=f.auth(db, user_row=a["parent"]),
        families=fams,
        other_parent=f.auth(db, user_row=b["parent"]),
        office=f.auth(db, admin_row=a["office"]),
        other_office=f.auth(db, admin_row=b["office"]),
        teacher=f.auth(db, user_row=a["teacher"]),
    )


def window(**kw):
    moment = now()
    return {
        "opens_at": (moment - timedelta(hours=1)).isoformat(),
        "closes_at": (moment + timedelta(days=3)).isoformat(),
        **kw,
    }


def create_survey(client, x, questions=QUESTIONS, **kw):
    r = client.post(
        f"/admin/api/v1/schools/{x.sid}/terms/{x.term.id}/surveys",
        json={"title": "2026秋季满意度测评", "questions": questions, **window(**kw)},
        headers=x.office,
    )
    assert r.status_code == 201, r.json
    return r.json


def answers(survey, course_ids, score=4, text=None):
    """A full answer: every question for the service and each course."""
    out = []
    subjects = [("service", None)] + [("course", c) for c in course_ids]
    for kind, cid in subjects:
        for q in survey["questions"]:
            a = {"kind": kind, "question_id": q["id"]}
            if cid is not None:
                a["course_id"] = cid
            if q["kind"] == "score":
                a["score"] = score
            elif text:
                a["text"] = text
            out.append(a)
    return out


def respond(client, headers, survey, student, course_ids, **kw):
    return client.post(
        f"/api/v1/surveys/{survey['id']}/responses",
        json={"student_id": student.id, "answers": answers(survey, course_ids, **kw)},
        headers=headers,
    )


def set_window(db, survey, *, closed: bool):
    """Move the survey's close into the past (closed) or the future (open again)."""
    from backend.surveys.models import Survey

    row = db.get(Survey, survey["id"])
    row.closes_at = now() + (timedelta(seconds=-1) if closed else timedelta(days=1))
    db.flush()
