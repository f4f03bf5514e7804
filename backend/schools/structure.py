"""A school's structure: the school itself, its grades and its classes."""

from __future__ import annotations

import sqlalchemy as sa

from backend.auth.context import require_admin
from backend.auth.scope import require_platform_admin
from backend.common.pagination import paginate
from backend.database import unit_of_work
from backend.schools.access import audit, flush_unique, grade_in_school, school_for
from backend.schools.errors import ClassExists, GradeExists, SchoolCodeTaken
from backend.schools.models import Grade, School, SchoolClass
from backend.schools.placement import check_district


def create_school(
    name: str, code: str, district_id: int | None = None, stage: str = "primary"
) -> dict:
    """Platform admin: a new school, optionally in a district (409 school_code_taken)."""
    actor = require_platform_admin(require_admin())
    with unit_of_work() as session:
        check_district(session, district_id)
        if session.scalar(sa.select(School.id).where(School.code == code)):
            raise SchoolCodeTaken()
        row = School(name=name.strip(), code=code, district_id=district_id, stage=stage)
        session.add(row)
        flush_unique(session, SchoolCodeTaken)
        after = {"name": row.name, "code": code, "district_id": district_id, "stage": stage}
        audit(session, "school.create", row.id, row.id, after=after, actor=actor)
        return {"id": row.id}


def list_schools(page: int, page_size: int) -> tuple[list[School], int]:
    actor = require_admin()
    with unit_of_work() as session:
        stmt = sa.select(School).order_by(School.id)
        if actor.is_district_admin:
            stmt = stmt.where(School.district_id == actor.district_id)
        elif not actor.is_platform_admin:
            stmt = stmt.where(School.id == actor.school_id)
        return paginate(session, stmt, page, page_size)


def get_school(school_id: int) -> School:
    with unit_of_work() as session:
        return school_for(session, school_id)


def create_grade(school_id: int, name: str, level: int) -> dict:
    with unit_of_work() as session:
        school = school_for(session, school_id)
        name = name.strip()
        if session.scalar(
            sa.select(Grade.id).where(Grade.school_id == school.id, Grade.name == name)
        ):
            raise GradeExists()
        row = Grade(school_id=school.id, name=name, level=level)
        session.add(row)
        flush_unique(session, GradeExists)
        audit(session, "grade.create", row.id, school.id, after={"name": name, "level": level})
        return {"id": row.id}


def list_grades(school_id: int, page: int, page_size: int) -> tuple[list[Grade], int]:
    with unit_of_work() as session:
        school = school_for(session, school_id)
        stmt = (
            sa.select(Grade)
            .where(Grade.school_id == school.id)
            .order_by(Grade.level, Grade.name, Grade.id)
        )
        return paginate(session, stmt, page, page_size)


def create_class(school_id: int, grade_id: int, name: str) -> dict:
    with unit_of_work() as session:
        school = school_for(session, school_id)
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
        flush_unique(session, ClassExists)
        audit(
            session, "class.create", row.id, school.id, after={"grade_id": grade.id, "name": name}
        )
        return {"id": row.id}


def list_classes(school_id: int, grade_id: int | None, page: int, page_size: int):
    with unit_of_work() as session:
        school = school_for(session, school_id)
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
        rows, total = paginate(session, stmt, page, page_size, rows=True)
        return [row._asdict() for row in rows], total
