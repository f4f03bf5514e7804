"""The office's pupils: the roster record, its guardians, and binding codes for families."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor
from backend.auth.tokens import digest, readable_code
from backend.common.clock import now
from backend.common.pagination import paginate
from backend.common.privacy import mask_phone
from backend.common.schemas import PHONE_RE
from backend.database import unit_of_work
from backend.schools.access import (
    audit,
    class_in_school,
    flush_unique,
    school_for,
    settings,
    student_in_school,
)
from backend.schools.errors import StudentExists, StudentInactive
from backend.schools.models import (
    Grade,
    GuardianLink,
    RosterGuardian,
    SchoolClass,
    Student,
    StudentBindingCode,
)
from backend.signup.leaving import leave_service


def guardian_rows(session, student_ids) -> dict[int, list[RosterGuardian]]:
    out: dict[int, list[RosterGuardian]] = {sid: [] for sid in student_ids}
    if student_ids:
        rows = session.scalars(
            sa.select(RosterGuardian)
            .where(RosterGuardian.student_id.in_(student_ids))
            .order_by(RosterGuardian.id)
        )
        for row in rows:
            out[row.student_id].append(row)
    return out


def snapshot(student: Student, guardians) -> dict:
    """What an audit row keeps of a pupil (phones masked: audit logs are read by staff)."""
    return {
        "student_no": student.student_no,
        "name": student.name,
        "class_id": student.class_id,
        "priority_flags": sorted(student.priority_flags or []),
        "active": bool(student.active),
        "guardians": [
            {"name": g.name, "phone": mask_phone(g.phone), "relation": g.relation}
            for g in guardians
        ],
    }


def replace_guardians(session, student: Student, guardians: list[dict]) -> list[RosterGuardian]:
    old = session.scalars(sa.select(RosterGuardian).where(RosterGuardian.student_id == student.id))
    for row in old:
        session.delete(row)
    session.flush()  # the deletes first: a kept phone would hit the unique constraint
    rows = [
        RosterGuardian(
            student_id=student.id, name=g["name"].strip(), phone=g["phone"], relation=g["relation"]
        )
        for g in guardians
    ]
    session.add_all(rows)
    return rows


def student_views(session, students: list[Student]) -> list[dict]:
    ids = [s.id for s in students]
    guardians = guardian_rows(session, ids)
    classes = {
        row.id: row
        for row in session.execute(
            sa.select(
                SchoolClass.id,
                SchoolClass.name,
                Grade.id.label("grade_id"),
                Grade.name.label("grade_name"),
            )
            .join(Grade, Grade.id == SchoolClass.grade_id)
            .where(SchoolClass.id.in_({s.class_id for s in students}))
        )
    }
    bound = session.execute(
        sa.select(GuardianLink.student_id, sa.func.count())
        .where(GuardianLink.student_id.in_(ids))
        .group_by(GuardianLink.student_id)
    )
    bound = dict(bound.all())
    views = []
    for s in students:
        klass = classes[s.class_id]
        views.append(
            {
                "id": s.id,
                "student_no": s.student_no,
                "name": s.name,
                "class_id": s.class_id,
                "class_name": klass.name,
                "grade_id": klass.grade_id,
                "grade_name": klass.grade_name,
                "priority_flags": list(s.priority_flags or []),
                "active": bool(s.active),
                "guardians": [
                    {"name": g.name, "phone_masked": mask_phone(g.phone), "relation": g.relation}
                    for g in guardians[s.id]
                ],
                "bound_guardians": bound.get(s.id, 0),
                "created_at": s.created_at,
            }
        )
    return views


def create_student(school_id: int, data: dict) -> dict:
    with unit_of_work() as session:
        school = school_for(session, school_id)
        klass = class_in_school(session, school.id, data["class_id"])
        student_no = data["student_no"].strip()
        if session.scalar(
            sa.select(Student.id).where(
                Student.school_id == school.id, Student.student_no == student_no
            )
        ):
            raise StudentExists()
        student = Student(
            school_id=school.id,
            class_id=klass.id,
            student_no=student_no,
            name=data["name"].strip(),
            priority_flags=sorted(set(data["priority_flags"])),
            active=True,
        )
        session.add(student)
        flush_unique(session, StudentExists)
        guardians = replace_guardians(session, student, data["guardians"])
        session.flush()
        audit(session, "student.create", student.id, school.id, after=snapshot(student, guardians))
        return {"id": student.id}


def list_students(school_id: int, filters: dict, page: int, page_size: int):
    with unit_of_work() as session:
        school = school_for(session, school_id)
        stmt = sa.select(Student).where(Student.school_id == school.id)
        if filters.get("class_id") is not None:
            stmt = stmt.where(Student.class_id == filters["class_id"])
        if filters.get("active") is not None:
            stmt = stmt.where(Student.active.is_(filters["active"]))
        q = (filters.get("q") or "").strip()
        if q:
            match = sa.or_(
                Student.name.icontains(q, autoescape=True),
                Student.student_no.icontains(q, autoescape=True),
            )
            if re.fullmatch(PHONE_RE, q):
                # The office is often on the phone with a parent: find the pupil by it.
                by_phone = sa.select(RosterGuardian.student_id).where(RosterGuardian.phone == q)
                match = sa.or_(match, Student.id.in_(by_phone))
            stmt = stmt.where(match)
        stmt = stmt.order_by(Student.class_id, Student.student_no, Student.id)
        rows, total = paginate(session, stmt, page, page_size)
        return student_views(session, rows), total


def get_student(school_id: int, student_id: int) -> dict:
    """One pupil's details; staff reads of a child's record are themselves audited."""
    with unit_of_work() as session:
        school = school_for(session, school_id)
        student = student_in_school(session, school.id, student_id)
        record(
            session,
            action="student.read",
            object_type="student",
            object_id=student.id,
            school_id=school.id,
        )
        return student_views(session, [student])[0]


def update_student(school_id: int, student_id: int, data: dict) -> dict:
    with unit_of_work() as session:
        school = school_for(session, school_id)
        student = student_in_school(session, school.id, student_id)
        before = snapshot(student, guardian_rows(session, [student.id])[student.id])
        if "class_id" in data:
            student.class_id = class_in_school(session, school.id, data["class_id"]).id
        if "name" in data:
            student.name = data["name"].strip()
        if "priority_flags" in data:
            student.priority_flags = sorted(set(data["priority_flags"]))
        if "active" in data:
            if student.active and not data["active"]:  # removal from the roster: a leaving
                leave_service(session, student.id, reason="roster_removal", actor=current_actor())
            student.active = data["active"]
        if "guardians" in data:
            replace_guardians(session, student, data["guardians"])
        session.flush()
        after = snapshot(student, guardian_rows(session, [student.id])[student.id])
        if after != before:
            audit(session, "student.update", student.id, school.id, before=before, after=after)
        return student_views(session, [student])[0]


def create_binding_code(school_id: int, student_id: int, relation: str) -> dict:
    """A one-time code for a family whose phone is not on the roster (shown once)."""
    with unit_of_work() as session:
        school = school_for(session, school_id)
        student = student_in_school(session, school.id, student_id)
        if not student.active:
            raise StudentInactive()
        code = readable_code()
        expires_at = now() + timedelta(hours=settings().binding_code_ttl_hours)
        row = StudentBindingCode(
            student_id=student.id, code_hash=digest(code), relation=relation, expires_at=expires_at
        )
        session.add(row)
        session.flush()
        audit(
            session,
            "student.binding_code",
            row.id,
            school.id,
            after={"student_id": student.id, "relation": relation, "expires_at": expires_at},
            object_type="student_binding_code",
        )
        return {"binding_code": code, "expires_at": expires_at}
