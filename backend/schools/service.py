"""School office operations: schools, grades, classes, pupils, binding codes, role grants."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from backend.audit.service import record
from backend.auth.context import require_admin
from backend.auth.scope import admin_school, require_platform_admin
from backend.auth.tokens import digest, readable_code
from backend.common.clock import now
from backend.common.privacy import mask_phone
from backend.common.schemas import PHONE_RE
from backend.database import unit_of_work
from backend.errors import NotFound, ValidationFailed, define
from backend.schools.models import (
    Grade,
    GuardianLink,
    RoleGrant,
    RosterGuardian,
    School,
    SchoolClass,
    Student,
    StudentBindingCode,
)

SchoolCodeTaken = define("school_code_taken", 409, "该学校代码已被使用", "School code taken")
StageConflict = define(
    "stage_conflict",
    409,
    "{stage_zh}的课后服务最晚{latest}结束，以下学期仍晚于该时间，请先调整：{terms}",
    "A {stage} school's service ends by {latest}; first change these terms: {terms}",
)
GradeExists = define("grade_exists", 409, "本校已有同名年级", "A grade with this name exists")
ClassExists = define("class_exists", 409, "该年级已有同名班级", "A class with this name exists")
StudentExists = define(
    "student_exists", 409, "本校已有该学号的学生", "A pupil with this student number exists"
)
StudentInactive = define(
    "student_inactive", 409, "该学生已停用，不能生成绑定码", "The pupil is inactive"
)


def _settings():
    return current_app.extensions["kehou"]["settings"]


def _page(session, stmt, page: int, page_size: int, rows=False) -> tuple[list, int]:
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    stmt = stmt.offset((page - 1) * page_size).limit(page_size)
    items = session.execute(stmt).all() if rows else session.scalars(stmt).all()
    return list(items), total


def _flush_unique(session, error_cls) -> None:
    # The pre-checks answer the usual case; the unique constraint settles a race.
    try:
        session.flush()
    except IntegrityError as exc:
        raise error_cls() from exc


def audit(session, action: str, object_id, school_id: int, **changes) -> None:
    """One audit row in the caller's transaction; the object type is the action's first word."""
    changes.setdefault("object_type", action.split(".")[0])
    record(session, action=action, object_id=object_id, school_id=school_id, **changes)


def _school_for(session, school_id: int) -> School:
    return admin_school(session, require_admin(), school_id)


def class_in_school(session, school_id: int, class_id: int, field: str = "class_id"):
    klass = session.get(SchoolClass, class_id)
    if klass is None or klass.school_id != school_id:
        raise ValidationFailed(errors={field: ["本校没有这个班级"]})
    return klass


def grade_in_school(session, school_id: int, grade_id: int, field: str = "grade_id"):
    grade = session.get(Grade, grade_id)
    if grade is None or grade.school_id != school_id:
        raise ValidationFailed(errors={field: ["本校没有这个年级"]})
    return grade


# --- schools, grades, classes -----------------------------------------------------------


def create_school(name: str, code: str, stage: str = "primary") -> dict:
    actor = require_platform_admin(require_admin())
    with unit_of_work() as session:
        if session.scalar(sa.select(School.id).where(School.code == code)):
            raise SchoolCodeTaken()
        row = School(name=name.strip(), code=code, stage=stage)
        session.add(row)
        _flush_unique(session, SchoolCodeTaken)
        after = {"name": row.name, "code": code, "stage": stage}
        audit(session, "school.create", row.id, row.id, after=after, actor=actor)
        return {"id": row.id}


def list_schools(page: int, page_size: int) -> tuple[list[School], int]:
    actor = require_admin()
    with unit_of_work() as session:
        stmt = sa.select(School).order_by(School.id)
        if not actor.is_platform_admin:
            stmt = stmt.where(School.id == actor.school_id)
        return _page(session, stmt, page, page_size)


def get_school(school_id: int) -> School:
    with unit_of_work() as session:
        return _school_for(session, school_id)


def update_school(school_id: int, data: dict) -> School:
    """Change the school's stage; refused while a current term runs later than it allows."""
    from backend.terms.queries import STAGE_ZH, latest_service_end, terms_ending_after

    with unit_of_work() as session:
        school = _school_for(session, school_id)
        stage = data["stage"]
        if stage != school.stage:
            latest = latest_service_end(stage)
            late = terms_ending_after(session, school.id, latest)
            if late:
                raise StageConflict(
                    stage=stage,
                    stage_zh=STAGE_ZH[stage],
                    latest=latest.strftime("%H:%M"),
                    terms=", ".join(map(str, late)),
                )
            before = {"stage": school.stage}
            school.stage = stage
            audit(session, "school.update", school.id, school.id, before=before, after=data)
        return school


def create_grade(school_id: int, name: str, level: int) -> dict:
    with unit_of_work() as session:
        school = _school_for(session, school_id)
        name = name.strip()
        if session.scalar(
            sa.select(Grade.id).where(Grade.school_id == school.id, Grade.name == name)
        ):
            raise GradeExists()
        row = Grade(school_id=school.id, name=name, level=level)
        session.add(row)
        _flush_unique(session, GradeExists)
        audit(session, "grade.create", row.id, school.id, after={"name": name, "level": level})
        return {"id": row.id}


def list_grades(school_id: int, page: int, page_size: int) -> tuple[list[Grade], int]:
    with unit_of_work() as session:
        school = _school_for(session, school_id)
        stmt = (
            sa.select(Grade)
            .where(Grade.school_id == school.id)
            .order_by(Grade.level, Grade.name, Grade.id)
        )
        return _page(session, stmt, page, page_size)


def create_class(school_id: int, grade_id: int, name: str) -> dict:
    with unit_of_work() as session:
        school = _school_for(session, school_id)
        grade = grade_in_school(session, school.id, grade_id)
        name = name.strip()
        if session.scalar(
            sa.select(SchoolClass.id).where(
                SchoolClass.grade_id == grade.id, SchoolClass.name == name
            )
        ):
            raise ClassExists()
        row = SchoolClass(school_id=school.id, grade_id=grade.id, name=name)
        session.add(row)
        _flush_unique(session, ClassExists)
        audit(
            session, "class.create", row.id, school.id, after={"grade_id": grade.id, "name": name}
        )
        return {"id": row.id}


def list_classes(school_id: int, grade_id: int | None, page: int, page_size: int):
    with unit_of_work() as session:
        school = _school_for(session, school_id)
        stmt = (
            sa.select(
                SchoolClass.id,
                SchoolClass.grade_id,
                SchoolClass.name,
                SchoolClass.created_at,
                Grade.name.label("grade_name"),
            )
            .join(Grade, Grade.id == SchoolClass.grade_id)
            .where(SchoolClass.school_id == school.id)
            .order_by(Grade.level, Grade.name, SchoolClass.name, SchoolClass.id)
        )
        if grade_id is not None:
            stmt = stmt.where(SchoolClass.grade_id == grade_id)
        rows, total = _page(session, stmt, page, page_size, rows=True)
        return [row._asdict() for row in rows], total


# --- pupils -----------------------------------------------------------------------------


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


def _student_in_school(session, school_id: int, student_id: int) -> Student:
    student = session.get(Student, student_id)
    if student is None or student.school_id != school_id:
        raise NotFound()
    return student


def create_student(school_id: int, data: dict) -> dict:
    with unit_of_work() as session:
        school = _school_for(session, school_id)
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
        _flush_unique(session, StudentExists)
        guardians = replace_guardians(session, student, data["guardians"])
        session.flush()
        audit(session, "student.create", student.id, school.id, after=snapshot(student, guardians))
        return {"id": student.id}


def list_students(school_id: int, filters: dict, page: int, page_size: int):
    with unit_of_work() as session:
        school = _school_for(session, school_id)
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
        rows, total = _page(session, stmt, page, page_size)
        return student_views(session, rows), total


def get_student(school_id: int, student_id: int) -> dict:
    """One pupil's details; staff reads of a child's record are themselves audited."""
    with unit_of_work() as session:
        school = _school_for(session, school_id)
        student = _student_in_school(session, school.id, student_id)
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
        school = _school_for(session, school_id)
        student = _student_in_school(session, school.id, student_id)
        before = snapshot(student, guardian_rows(session, [student.id])[student.id])
        if "class_id" in data:
            student.class_id = class_in_school(session, school.id, data["class_id"]).id
        if "name" in data:
            student.name = data["name"].strip()
        if "priority_flags" in data:
            student.priority_flags = sorted(set(data["priority_flags"]))
        if "active" in data:
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
        school = _school_for(session, school_id)
        student = _student_in_school(session, school.id, student_id)
        if not student.active:
            raise StudentInactive()
        code = readable_code()
        expires_at = now() + timedelta(hours=_settings().binding_code_ttl_hours)
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


# --- role grants ------------------------------------------------------------------------


def create_role_grant(school_id: int, data: dict) -> dict:
    """A staff/committee role waiting for its holder to bind it with a one-time code."""
    with unit_of_work() as session:
        school = _school_for(session, school_id)
        if data.get("class_id") is not None:
            class_in_school(session, school.id, data["class_id"])
        if data.get("grade_id") is not None:
            grade_in_school(session, school.id, data["grade_id"])
        code = readable_code()
        row = RoleGrant(
            school_id=school.id,
            role=data["role"],
            name=data["name"].strip(),
            class_id=data.get("class_id"),
            grade_id=data.get("grade_id"),
            level=data.get("level"),
            code_hash=digest(code),
            code_expires_at=now() + timedelta(hours=_settings().binding_code_ttl_hours),
        )
        session.add(row)
        session.flush()
        keys = ("role", "name", "class_id", "grade_id", "level")
        audit(session, "role_grant.create", row.id, school.id, after={k: data.get(k) for k in keys})
        return {"id": row.id, "binding_code": code, "expires_at": row.code_expires_at}


def list_role_grants(school_id, filters: dict, page, page_size) -> tuple[list[RoleGrant], int]:
    with unit_of_work() as session:
        school = _school_for(session, school_id)
        stmt = sa.select(RoleGrant).where(RoleGrant.school_id == school.id).order_by(RoleGrant.id)
        if filters.get("role"):
            stmt = stmt.where(RoleGrant.role == filters["role"])
        if not filters.get("include_revoked"):
            stmt = stmt.where(RoleGrant.revoked_at.is_(None))
        rows, total = _page(session, stmt, page, page_size)
        return rows, total


def revoke_role_grant(school_id: int, grant_id: int) -> None:
    """End a role at once (its holder loses it on the next request); repeating is a no-op."""
    with unit_of_work() as session:
        school = _school_for(session, school_id)
        row = session.get(RoleGrant, grant_id)
        if row is None or row.school_id != school.id:
            raise NotFound()
        if row.revoked_at is None:
            row.revoked_at = now()
            audit(
                session,
                "role_grant.revoke",
                row.id,
                school.id,
                before={"revoked_at": None},
                after={"revoked_at": row.revoked_at, "user_id": row.user_id},
            )
