"""Staff records kept by the office, who teaches each course, provider pay terms."""

from __future__ import annotations

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor
from backend.auth.scope import admin_school
from backend.common.pagination import paginate
from backend.courses.models import Course, Provider
from backend.database import get_session, unit_of_work
from backend.errors import NotFound
from backend.staff.errors import ProviderNotInSchool, StaffNotInSchool
from backend.staff.models import CourseStaff, ProviderPayTerms, StaffMember
from backend.staff.queries import course_staff_ids


def office_school(session, school_id: int):
    """The school the calling admin runs (403/404 otherwise)."""
    return admin_school(session, current_actor(), school_id)


def staff_in_school(session, school_id: int, staff_id: int) -> StaffMember:
    """A staff record of the school, else 422 staff_not_found naming the field."""
    row = session.get(StaffMember, staff_id)
    if row is None or row.school_id != school_id:
        raise StaffNotInSchool(errors={"staff_id": [staff_id]})
    return row


def provider_in_school(session, school_id: int, provider_id: int) -> Provider:
    """A provider of the school, else 422 provider_not_found."""
    row = session.get(Provider, provider_id)
    if row is None or row.school_id != school_id:
        raise ProviderNotInSchool(errors={"provider_id": [provider_id]})
    return row


def staff_view(row: StaffMember) -> dict:
    """The staff record as the office sees it."""
    return {
        "id": row.id,
        "name": row.name,
        "kind": row.kind,
        "phone": row.phone,
        "provider_id": row.provider_id,
        "created_at": row.created_at,
    }


def create_staff(school_id: int, data: dict) -> dict:
    """Record a teacher, an admin (logistics) person or a provider's external staff."""
    with unit_of_work() as session:
        school = office_school(session, school_id)
        if data["kind"] == "external":
            provider_in_school(session, school.id, data["provider_id"])
        row = StaffMember(
            school_id=school.id,
            name=data["name"].strip(),
            kind=data["kind"],
            phone=data.get("phone"),
            provider_id=data.get("provider_id") if data["kind"] == "external" else None,
        )
        session.add(row)
        session.flush()
        view = staff_view(row)
        record(
            session,
            action="staff.create",
            object_type="staff_member",
            object_id=row.id,
            school_id=school.id,
            after={k: view[k] for k in ("name", "kind", "provider_id")},
        )
        return view


def list_staff(school_id: int, query: dict, page: int, page_size: int):
    """The school's staff records, optionally of one kind."""
    session = get_session()
    school = office_school(session, school_id)
    stmt = sa.select(StaffMember).where(StaffMember.school_id == school.id)
    if query.get("kind"):
        stmt = stmt.where(StaffMember.kind == query["kind"])
    rows, total = paginate(session, stmt.order_by(StaffMember.id), page, page_size)
    return [staff_view(r) for r in rows], total


def _school_course(session, school_id: int, course_id: int) -> Course:
    course = session.get(Course, course_id)
    if course is None or course.school_id != school_id:
        raise NotFound()
    return course


def set_course_staff(school_id: int, course_id: int, staff_ids: list[int]) -> dict:
    """Name who teaches a course (replaces the list; lessons already recorded stay)."""
    with unit_of_work() as session:
        school = office_school(session, school_id)
        course = _school_course(session, school.id, course_id)
        wanted = sorted(set(staff_ids))
        for staff_id in wanted:
            staff_in_school(session, school.id, staff_id)
        before = course_staff_ids(session, course.id)
        session.execute(sa.delete(CourseStaff).where(CourseStaff.course_id == course.id))
        session.add_all(CourseStaff(course_id=course.id, staff_id=s) for s in wanted)
        session.flush()
        record(
            session,
            action="course.staff",
            object_type="course",
            object_id=course.id,
            school_id=school.id,
            before={"staff_ids": before},
            after={"staff_ids": wanted},
        )
        return {"course_id": course.id, "staff_ids": wanted}


def get_course_staff(school_id: int, course_id: int) -> dict:
    """Who teaches a course."""
    session = get_session()
    school = office_school(session, school_id)
    course = _school_course(session, school.id, course_id)
    return {"course_id": course.id, "staff_ids": course_staff_ids(session, course.id)}


def set_provider_pay_terms(school_id: int, provider_id: int, data: dict) -> dict:
    """How a provider's external staff are paid: by workload, or one monthly package."""
    with unit_of_work() as session:
        school = office_school(session, school_id)
        provider = session.get(Provider, provider_id)
        if provider is None or provider.school_id != school.id:
            raise NotFound()
        row = session.scalar(
            sa.select(ProviderPayTerms)
            .where(ProviderPayTerms.provider_id == provider.id)
            .with_for_update()
        )
        before = None
        if row is None:
            row = ProviderPayTerms(school_id=school.id, provider_id=provider.id)
            session.add(row)
        else:
            before = {"mode": row.mode, "package_monthly_fen": row.package_monthly_fen}
        row.mode = data["mode"]
        row.package_monthly_fen = data.get("package_monthly_fen") if row.mode == "package" else None
        session.flush()
        after = {"mode": row.mode, "package_monthly_fen": row.package_monthly_fen}
        record(
            session,
            action="provider.pay_terms",
            object_type="provider",
            object_id=provider.id,
            school_id=school.id,
            before=before,
            after=after,
        )
        return {"provider_id": provider.id, **after}
