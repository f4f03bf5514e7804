"""Lottery terms: ranked preferences, the committed seed hash, the draw and its published
inputs. The draw itself is backend/courses/draw.py, shared with scripts/verify_lottery.py."""

from __future__ import annotations

import secrets
from collections import Counter

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor, require_user
from backend.auth.scope import admin_school, guardian_student, guardian_student_ids
from backend.common.clock import now
from backend.courses import access, draw
from backend.courses.errors import (
    GradeNotEligible,
    InvalidPreferences,
    LotteryCommitted,
    LotteryCommitTooLate,
    LotteryDrawn,
    LotteryNotCommitted,
    LotteryNotDrawn,
    LotteryWindowOpen,
    NotLotteryTerm,
    SeedMismatch,
)
from backend.courses.models import Course, LotteryDraw, Preference, Selection
from backend.database import get_session, unit_of_work
from backend.errors import Conflict, NotFound
from backend.notifications.outbox import notify_guardians
from backend.schools.models import Student
from backend.signup import queries as signup_queries
from backend.terms.models import Term


def _lottery_term(session, term_id: int, school_id: int) -> Term:
    term = session.get(Term, term_id)
    if term is None or term.school_id != school_id:
        raise NotFound()
    if term.selection_mode != "lottery":
        raise NotLotteryTerm()
    return term


def put_preferences(term_id: int, student_id: int, course_ids: list[int]) -> dict:
    """Replace the pupil's ranked wishes (during the selection window, enrolled only)."""
    actor = require_user()
    with unit_of_work() as session:
        student = guardian_student(session, actor, student_id)
        term = _lottery_term(session, term_id, student.school_id)
        access.require_window(term)
        access.require_enrolment(session, term.id, student.id)
        if len(set(course_ids)) != len(course_ids):
            raise InvalidPreferences(errors={"course_ids": ["同一课程只能填一次"]})
        courses = {
            c.id: c
            for c in session.scalars(
                sa.select(Course).where(
                    Course.id.in_(course_ids), Course.term_id == term.id, Course.status == "open"
                )
            )
        }
        unknown = [cid for cid in course_ids if cid not in courses]
        if unknown:
            raise InvalidPreferences(errors={"course_ids": [f"本学期没有课程 {unknown}"]})
        level = access.grade_level(session, student)
        wrong = [
            cid
            for cid in course_ids
            if not courses[cid].min_grade <= level <= courses[cid].max_grade
        ]
        if wrong:
            raise GradeNotEligible(errors={"course_ids": wrong})
        row = session.scalar(
            sa.select(Preference).where(
                Preference.term_id == term.id, Preference.student_id == student.id
            )
        )
        before = list(row.course_ids) if row else None
        if row is None:
            row = Preference(term_id=term.id, student_id=student.id, course_ids=[])
            session.add(row)
        row.course_ids, row.updated_by_user_id = list(course_ids), actor.id
        session.flush()
        record(
            session,
            action="preference.set",
            object_type="course_preference",
            object_id=row.id,
            school_id=student.school_id,
            before={"course_ids": before},
            after={"course_ids": row.course_ids},
        )
        return _pref_view(row)


def _pref_view(row: Preference) -> dict:
    return {
        "term_id": row.term_id,
        "student_id": row.student_id,
        "course_ids": row.course_ids,
        "updated_at": row.updated_at,
    }


def get_preferences(term_id: int, student_id: int) -> dict:
    actor = require_user()
    session = get_session()
    student = guardian_student(session, actor, student_id)
    term = _lottery_term(session, term_id, student.school_id)
    row = session.scalar(
        sa.select(Preference).where(
            Preference.term_id == term.id, Preference.student_id == student.id
        )
    )
    if row is None:
        return {"term_id": term.id, "student_id": student.id, "course_ids": [], "updated_at": None}
    return _pref_view(row)


def commit(school_id: int, term_id: int, seed_hash: str) -> dict:
    """Publish sha256(secret seed) before the window closes; it cannot change afterwards."""
    with unit_of_work() as session:
        admin_school(session, current_actor(), school_id)
        term = _lottery_term(session, term_id, school_id)
        if session.scalar(sa.select(LotteryDraw.id).where(LotteryDraw.term_id == term.id)):
            raise LotteryCommitted()
        if now() >= term.selection_closes_at:
            raise LotteryCommitTooLate()
        row = LotteryDraw(
            term_id=term.id,
            school_id=school_id,
            seed_hash=seed_hash.lower(),
            committed_at=now(),
            pseudonym_key=secrets.token_hex(32),
        )
        session.add(row)
        session.flush()
        record(
            session,
            action="lottery.commit",
            object_type="lottery",
            object_id=row.id,
            school_id=school_id,
            after={"term_id": term.id, "seed_hash": row.seed_hash},
        )
        return _public(row)


def _public(row: LotteryDraw) -> dict:
    out = {
        "term_id": row.term_id,
        "seed_hash": row.seed_hash,
        "committed_at": row.committed_at,
        "algorithm": draw.ALGORITHM,
    }
    if row.drawn_at is not None:
        out.update(seed=row.seed, drawn_at=row.drawn_at)
        out["placed"] = len(row.result["placements"])
        out["waitlisted"] = sum(len(w["pupils"]) for w in row.result["waitlists"])
    return out


def draw_lottery(school_id: int, term_id: int, seed: str) -> dict:
    """Reveal the seed after the window closes, run the draw and write the seats."""
    with unit_of_work() as session:
        admin_school(session, current_actor(), school_id)
        term = _lottery_term(session, term_id, school_id)
        row = session.scalar(
            sa.select(LotteryDraw).where(LotteryDraw.term_id == term.id).with_for_update()
        )
        if row is None:
            raise LotteryNotCommitted()
        if row.drawn_at is not None:
            raise LotteryDrawn()
        if now() < term.selection_closes_at:
            raise LotteryWindowOpen()
        if draw.seed_hash(seed) != row.seed_hash:
            raise SeedMismatch(errors={"seed": ["sha256(seed) 与公布的哈希值不符"]})
        inputs, who = _inputs(session, term, row, seed)
        result = draw.run(inputs)
        _apply(session, term, result, who)
        row.seed, row.drawn_at, row.inputs, row.result = seed, now(), inputs, result
        session.flush()
        record(
            session,
            action="lottery.draw",
            object_type="lottery",
            object_id=row.id,
            school_id=school_id,
            after={
                "term_id": term.id,
                "seed": seed,
                "pupils": len(inputs["pupils"]),
                "placements": len(result["placements"]),
            },
        )
        return _public(row)


def _inputs(session, term: Term, row: LotteryDraw, seed: str) -> tuple[dict, dict]:
    courses = list(
        session.scalars(
            sa.select(Course)
            .where(Course.term_id == term.id, Course.status == "open")
            .order_by(Course.id)
        )
    )
    flags = signup_queries.enrolled_flags(session, term.id)
    wishes = session.execute(
        sa.select(Preference, Student)
        .join(Student, Student.id == Preference.student_id)
        .where(
            Preference.term_id == term.id,
            Preference.student_id.in_(signup_queries.enrolled_subquery(term.id)),
        )
    )
    pupils, who = [], {}
    for pref, student in wishes:
        app_flags = flags.get(student.id)
        pid = draw.pseudonym(row.pseudonym_key, student.id)
        who[pid] = student
        pupils.append(
            {
                "id": pid,
                "priority": bool(student.priority_flags or app_flags),
                "preferences": list(pref.course_ids),
            }
        )
    pupils.sort(key=lambda p: p["id"])
    inputs = {
        "algorithm": draw.ALGORITHM_ID,
        "term_id": term.id,
        "seed": seed,
        "max_courses_per_student": term.max_courses_per_student,
        "courses": [
            {"id": c.id, "name": c.name, "seats": c.capacity - c.seats_taken, **access.timing(c)}
            for c in courses
        ],
        "pupils": pupils,
    }
    return inputs, who


def _apply(session, term: Term, result: dict, who: dict) -> None:
    moment = now()
    per_course = Counter()
    touched: dict[int, list[str]] = {}
    for p in result["placements"]:
        student = who[p["pupil"]]
        per_course[p["course_id"]] += 1
        touched.setdefault(student.id, []).append("中签")
        session.add(
            Selection(
                term_id=term.id,
                course_id=p["course_id"],
                student_id=student.id,
                school_id=student.school_id,
                status="confirmed",
                source="lottery",
                confirmed_at=moment,
            )
        )
    for wait in result["waitlists"]:
        for index, pid in enumerate(wait["pupils"], start=1):
            student = who[pid]
            touched.setdefault(student.id, []).append("候补")
            session.add(
                Selection(
                    term_id=term.id,
                    course_id=wait["course_id"],
                    student_id=student.id,
                    school_id=student.school_id,
                    status="waitlisted",
                    source="lottery",
                    queue_no=index,
                )
            )
    for course_id, count in per_course.items():
        taken = session.execute(
            sa.update(Course)
            .where(Course.id == course_id, Course.seats_taken + count <= Course.capacity)
            .values(seats_taken=Course.seats_taken + count)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken != 1:  # a seat changed hands during the draw: refuse rather than oversell
            raise Conflict("座位数在抽签过程中发生变化，请重试")
    session.flush()
    students = {s.id: s for s in who.values()}
    for student_id, outcomes in touched.items():
        won = outcomes.count("中签")
        notify_guardians(
            session,
            student_id,
            kind="lottery_result",
            school_id=term.school_id,
            payload={
                "fields": {
                    "thing1": students[student_id].name,
                    "thing2": f"中签{won}门，候补{len(outcomes) - won}门",
                },
                "page": f"pages/courses/selections?student_id={student_id}",
            },
        )


def _school_term(session, actor, term_id: int) -> Term:
    term = session.get(Term, term_id)
    if term is None or term.school_id not in {g.school_id for g in actor.grants}:
        raise NotFound()
    return term


def public_view(term_id: int) -> dict:
    """Seed hash (and after the draw the seed) for anybody of the school; guardians also
    see their own children's pseudonymous ids to find them in the published inputs."""
    actor = require_user()
    session = get_session()
    term = _school_term(session, actor, term_id)
    if term.selection_mode != "lottery":
        raise NotLotteryTerm()
    row = session.scalar(sa.select(LotteryDraw).where(LotteryDraw.term_id == term.id))
    if row is None:
        return {"term_id": term.id, "seed_hash": None, "algorithm": draw.ALGORITHM}
    out = _public(row)
    kids = session.scalars(
        sa.select(Student.id).where(
            Student.id.in_(guardian_student_ids(session, actor)),
            Student.school_id == term.school_id,
        )
    )
    out["my_pupils"] = [
        {"student_id": sid, "pseudonymous_id": draw.pseudonym(row.pseudonym_key, sid)}
        for sid in kids
    ]
    return out


def published_inputs(term_id: int) -> dict:
    """The draw's inputs and result, for anybody of the school, after the draw."""
    actor = require_user()
    session = get_session()
    term = _school_term(session, actor, term_id)
    row = session.scalar(sa.select(LotteryDraw).where(LotteryDraw.term_id == term.id))
    if row is None or row.drawn_at is None:
        raise LotteryNotDrawn()
    return {"seed_hash": row.seed_hash, "inputs": row.inputs, "result": row.result}


def admin_view(school_id: int, term_id: int) -> dict:
    session = get_session()
    admin_school(session, current_actor(), school_id)
    term = _lottery_term(session, term_id, school_id)
    row = session.scalar(sa.select(LotteryDraw).where(LotteryDraw.term_id == term.id))
    if row is None:
        return {"term_id": term.id, "seed_hash": None, "algorithm": draw.ALGORITHM}
    return _public(row)
