"""The office's course catalogue of a term: create, change, list, and the 1+X balance."""

from __future__ import annotations

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor
from backend.auth.scope import admin_school
from backend.common.clock import now
from backend.courses import access
from backend.courses.errors import (
    CapacityBelowTaken,
    InvalidCourse,
    ProviderBlacklisted,
    ProviderInactive,
)
from backend.courses.models import Course, Provider
from backend.courses.queries import weekly_minutes
from backend.database import get_session, unit_of_work
from backend.errors import NotFound

FIELDS = (
    "name",
    "category",
    "kind",
    "weekdays",
    "start_time",
    "end_time",
    "capacity",
    "min_grade",
    "max_grade",
    "fee_fen",
    "provider_id",
    "location",
    "status",
)
MIN_PROVIDERS = 3  # R12: at least three third-party providers per school


def snapshot(row: Course) -> dict:
    return {key: getattr(row, key) for key in FIELDS}


def view(session, row: Course, waitlist_length: int | None = None) -> dict:
    out = snapshot(row)
    if waitlist_length is None:
        waitlist_length = access.waitlist_lengths(session, [row.id]).get(row.id, 0)
    out.update(
        id=row.id,
        term_id=row.term_id,
        school_id=row.school_id,
        seats_taken=row.seats_taken,
        seats_left=row.capacity - row.seats_taken,
        waitlist_length=waitlist_length,
    )
    return out


def _validate(session, term, course: Course) -> None:
    errors = {}
    if course.end_time <= course.start_time:
        errors["end_time"] = ["结束时间须晚于开始时间"]
    elif course.end_time > term.service_end_time:
        errors["end_time"] = [f"不得晚于本学期课后服务结束时间 {term.service_end_time:%H:%M}"]
    if course.min_grade > course.max_grade:
        errors["max_grade"] = ["最高年级不得低于最低年级"]
    if errors:
        raise InvalidCourse(errors=errors)
    course.weekdays = sorted(set(course.weekdays))
    if course.provider_id is not None:
        provider = session.get(Provider, course.provider_id)
        if provider is None or provider.school_id != term.school_id:
            raise InvalidCourse(errors={"provider_id": ["本校没有这个服务机构"]})
        # A closed course may keep a barred provider on record; it may not be opened.
        if course.status == "open" and provider.is_blacklisted(now()):
            raise ProviderBlacklisted()
        if course.status == "open" and provider.status != "active":
            raise ProviderInactive()


def create(school_id: int, term_id: int, data: dict) -> dict:
    with unit_of_work() as session:
        admin_school(session, current_actor(), school_id)
        term = access.term_of_school(session, school_id, term_id)
        data = {"status": "open", **data}
        row = Course(school_id=school_id, term_id=term.id, seats_taken=0, **data)
        _validate(session, term, row)
        session.add(row)
        session.flush()
        record(
            session,
            action="course.create",
            object_type="course",
            object_id=row.id,
            school_id=school_id,
            after=snapshot(row),
        )
        return view(session, row, 0)


def update(school_id: int, term_id: int, course_id: int, data: dict) -> dict:
    """Change a course; the row is locked so capacity is checked against the seats
    actually taken, and a capacity increase promotes waitlisted pupils afterwards."""
    from backend.courses.selection import fill_free_seats

    with unit_of_work() as session:
        admin_school(session, current_actor(), school_id)
        term = access.term_of_school(session, school_id, term_id)
        row = access.course_of_term(session, term, course_id)
        session.refresh(row, with_for_update=True)
        before = snapshot(row)
        for key, value in data.items():
            setattr(row, key, value)
        if row.capacity < row.seats_taken:
            raise CapacityBelowTaken(
                taken=row.seats_taken, errors={"capacity": [f"至少 {row.seats_taken}"]}
            )
        _validate(session, term, row)
        session.flush()
        record(
            session,
            action="course.update",
            object_type="course",
            object_id=row.id,
            school_id=school_id,
            before=before,
            after=snapshot(row),
        )
        grew = row.capacity > before["capacity"]
    if grew:
        # A separate transaction: promotion locks pupils before the course row.
        fill_free_seats(row.id)
    return get(school_id, term_id, course_id)


def list_for_term(school_id: int, term_id: int) -> list[dict]:
    session = get_session()
    admin_school(session, current_actor(), school_id)
    term = access.term_of_school(session, school_id, term_id)
    rows = list(
        session.scalars(sa.select(Course).where(Course.term_id == term.id).order_by(Course.id))
    )
    waits = access.waitlist_lengths(session, [r.id for r in rows])
    return [view(session, r, waits.get(r.id, 0)) for r in rows]


def get(school_id: int, term_id: int, course_id: int) -> dict:
    session = get_session()
    admin_school(session, current_actor(), school_id)
    term = access.term_of_school(session, school_id, term_id)
    row = access.course_of_term(session, term, course_id)
    session.refresh(row)
    return view(session, row)


def balance(school_id: int, term_id: int) -> dict:
    """Weekly minutes of homework help (the "1") against enrichment (the "X"), and the
    warnings the office must see: X under half of the weekly time (R7), fewer than three
    active providers behind the term's courses (R12)."""
    session = get_session()
    admin_school(session, current_actor(), school_id)
    term = access.term_of_school(session, school_id, term_id)
    if term is None:
        raise NotFound()
    courses = list(
        session.scalars(sa.select(Course).where(Course.term_id == term.id, Course.status == "open"))
    )
    minutes = weekly_minutes(courses)
    total = minutes["tutoring"] + minutes["enrichment"]
    share = round(minutes["enrichment"] * 100 / total) if total else None
    warnings = []
    if total and minutes["enrichment"] * 2 < total:
        warnings.append(
            {
                "code": "enrichment_below_half",
                "rule": "R7",
                "message": f"素质拓展类课程仅占每周课后服务时间的{share}%，应不少于50%",
            }
        )
    moment = now()
    provider_ids = {c.provider_id for c in courses if c.provider_id is not None}
    providers = (
        list(session.scalars(sa.select(Provider).where(Provider.id.in_(provider_ids))))
        if provider_ids
        else []
    )
    active = [p for p in providers if p.status == "active" and not p.is_blacklisted(moment)]
    if providers and len(active) < MIN_PROVIDERS:
        warnings.append(
            {
                "code": "fewer_than_three_providers",
                "rule": "R12",
                "message": f"本学期课程仅来自{len(active)}家在用的第三方机构，"
                f"应不少于{MIN_PROVIDERS}家",
            }
        )
    return {
        "term_id": term.id,
        "tutoring_minutes_per_week": minutes["tutoring"],
        "enrichment_minutes_per_week": minutes["enrichment"],
        "total_minutes_per_week": total,
        "enrichment_percent": share,
        "active_providers": len(active),
        "warnings": warnings,
    }
