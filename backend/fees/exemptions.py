"""Fee exemptions (R9): a family's request, the office's decision, and its effect on bills."""

from __future__ import annotations

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import current_actor, require_user
from backend.auth.scope import admin_school, guardian_student
from backend.common.clock import now
from backend.common.pagination import paginate
from backend.database import get_session, unit_of_work
from backend.errors import NotFound
from backend.fees.access import ensure_not_settled, office_term
from backend.fees.errors import CommentRequired, ExemptionDecided, ExemptionExists
from backend.fees.issuing import notify_statements
from backend.fees.models import EXEMPTION_CATEGORIES, EXEMPTION_CATEGORY_ZH, FeeExemption, Statement
from backend.fees.statements import build
from backend.fees.states import exemption_next
from backend.notifications.outbox import notify_guardians
from backend.schools.models import School, Student
from backend.signup import queries as signup_queries
from backend.signup.models import Application
from backend.terms.models import Term


def exemption_view(row: FeeExemption) -> dict:
    return {
        "id": row.id,
        "term_id": row.term_id,
        "student_id": row.student_id,
        "category": row.category,
        "category_name": EXEMPTION_CATEGORY_ZH[row.category],
        "evidence_note": row.evidence_note,
        "status": row.status,
        "percent": row.percent,
        "comment": row.comment,
        "source": row.source,
        "created_at": row.created_at,
        "decided_at": row.decided_at,
    }


def _live(session, term_id: int, student_id: int) -> FeeExemption | None:
    return session.scalar(
        sa.select(FeeExemption).where(
            FeeExemption.term_id == term_id,
            FeeExemption.student_id == student_id,
            FeeExemption.status != "rejected",
        )
    )


def request_exemption(student_id: int, data: dict) -> dict:
    actor = require_user()
    with unit_of_work() as session:
        student = guardian_student(session, actor, student_id)
        term = session.get(Term, data["term_id"])
        if term is None or term.school_id != student.school_id:
            raise NotFound(errors={"term_id": ["找不到该学期"]})
        # The pupil row lock serializes two guardians asking at once (one request wins).
        session.get(Student, student.id, with_for_update=True)
        if _live(session, term.id, student.id) is not None:
            raise ExemptionExists()
        row = FeeExemption(
            school_id=student.school_id,
            term_id=term.id,
            student_id=student.id,
            category=data["category"],
            evidence_note=data["evidence_note"],
            status="pending",
            source="guardian",
            requested_by=actor.id,
        )
        session.add(row)
        session.flush()
        record(
            session,
            action="exemption.request",
            object_type="exemption",
            object_id=row.id,
            school_id=student.school_id,
            after={"student_id": student.id, "term_id": term.id, "category": row.category},
        )
        return exemption_view(row)


def family_exemptions(student_id: int) -> list[dict]:
    actor = require_user()
    session = get_session()
    guardian_student(session, actor, student_id)
    rows = session.scalars(
        sa.select(FeeExemption)
        .where(FeeExemption.student_id == student_id)
        .order_by(FeeExemption.id.desc())
    )
    return [exemption_view(r) for r in rows]


def _sync_from_applications(session, school_id: int) -> None:
    """A category chosen on the sign-up form is a request too: it appears as pending here
    (once per application; not when the family already has a live request)."""
    candidates = (
        session.execute(
            sa.select(Application)
            .outerjoin(FeeExemption, FeeExemption.application_id == Application.id)
            .where(
                Application.school_id == school_id,
                Application.exemption_category.in_(EXEMPTION_CATEGORIES),
                signup_queries.live_clause(),
                FeeExemption.id.is_(None),
            )
        )
        .scalars()
        .all()
    )
    if not candidates:
        return
    session.get(School, school_id, with_for_update=True)  # one office sync at a time
    for app in candidates:
        if _live(session, app.term_id, app.student_id) is not None:
            continue
        session.add(
            FeeExemption(
                school_id=school_id,
                term_id=app.term_id,
                student_id=app.student_id,
                category=app.exemption_category,
                evidence_note=(app.note or "报名时申请减免")[:500],
                status="pending",
                source="application",
                requested_by=app.applicant_user_id,
                application_id=app.id,
            )
        )
        session.flush()


def office_exemptions(school_id: int, query: dict, page: int, page_size: int):
    """(a page of the school's exemption requests, total), oldest first."""
    with unit_of_work() as session:
        admin_school(session, current_actor(), school_id)
        _sync_from_applications(session, school_id)
        stmt = sa.select(FeeExemption).where(FeeExemption.school_id == school_id)
        for key in ("term_id", "status", "student_id"):
            if query.get(key) is not None:
                stmt = stmt.where(getattr(FeeExemption, key) == query[key])
        rows, total = paginate(session, stmt.order_by(FeeExemption.id), page, page_size)
        return [exemption_view(r) for r in rows], total


def _apply_to_statements(session, term, row: FeeExemption) -> list[int]:
    """Bring each of the pupil's live statements of the term up to date with the approved
    exemption; the ids of the issued ones that got an adjustment line."""
    periods = session.scalars(
        sa.select(Statement.period)
        .where(
            Statement.term_id == term.id,
            Statement.student_id == row.student_id,
            Statement.status != "void",
        )
        .order_by(Statement.period)
    ).all()
    applied = []
    for period in periods:
        result = build(session, term, period, [row.student_id])
        applied += [a["statement_id"] for a in result["adjusted"]]
    return applied


def _tell_guardians(session, row: FeeExemption) -> None:
    """The pupil's guardians learn the decision (and the comment, or the percentage)."""
    notify_guardians(
        session,
        row.student_id,
        kind="exemption_decided",
        school_id=row.school_id,
        payload={
            "fields": {
                "thing1": f"课后服务费减免（{EXEMPTION_CATEGORY_ZH[row.category]}）",
                "phrase2": "已批准" if row.status == "approved" else "未批准",
                "thing3": (row.comment or (f"减免{row.percent}%" if row.percent else "")),
            },
            "page": "pages/fees/exemptions",
        },
    )


def decide(school_id: int, exemption_id: int, data: dict) -> dict:
    """Approve (full by default, or a percentage) or reject. An approval is applied at
    once to the pupil's statements of the term: drafts are recomputed, issued ones get
    an adjustment line."""
    actor = current_actor()
    with unit_of_work() as session:
        admin_school(session, actor, school_id)
        row = session.scalar(
            sa.select(FeeExemption).where(
                FeeExemption.id == exemption_id, FeeExemption.school_id == school_id
            )
        )
        if row is None:
            raise NotFound()
        term = office_term(session, school_id, row.term_id, lock=True)
        session.refresh(row, with_for_update=True)
        if row.status != "pending":
            raise ExemptionDecided()
        decision = data["decision"]
        if decision == "reject" and not (data.get("comment") or "").strip():
            raise CommentRequired(errors={"comment": ["不批准时请填写原因"]})
        if decision == "approve":
            ensure_not_settled(session, term.id)
        row.status = exemption_next(row.status, decision)
        row.percent = data.get("percent", 100) if decision == "approve" else None
        row.comment = data.get("comment")
        row.decided_at, row.decided_by = now(), actor.id
        session.flush()
        applied = _apply_to_statements(session, term, row) if row.status == "approved" else []
        if applied:
            notify_statements(session, applied, kind="statement_adjusted", note="减免已计入账单")
        _tell_guardians(session, row)
        record(
            session,
            action=f"exemption.{decision}",
            object_type="exemption",
            object_id=row.id,
            school_id=school_id,
            before={"status": "pending"},
            after={
                "status": row.status,
                "percent": row.percent,
                "comment": row.comment,
                "adjusted_statements": applied,
            },
        )
        return exemption_view(row)
