"""Filings (备案): a school files plans, fee standards and its annual report; the district decides.

Every step is one row of the filing's history and one audit row in the school's chain, so
the school's office sees each decision in its own audit log as well as on the filing.
"""

from __future__ import annotations

import sqlalchemy as sa

from backend.audit.service import record
from backend.auth.context import require_admin
from backend.auth.scope import admin_school, district_admin_of, district_of
from backend.common.clock import now
from backend.common.pagination import paginate
from backend.common.states import IllegalTransition, step
from backend.database import unit_of_work
from backend.districts.errors import FilingNotPending, NoDistrict
from backend.districts.models import Filing, FilingEvent
from backend.districts.states import FILING_TRANSITIONS
from backend.errors import NotFound, ValidationFailed
from backend.terms.models import Term

MAX_ATTACHMENT = 10 * 1024 * 1024
ATTACHMENT_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "image/jpeg": "jpg",
    "image/png": "png",
}


def view(session, row: Filing, *, history: bool = False) -> dict:
    out = {
        key: getattr(row, key)
        for key in (
            "id",
            "school_id",
            "district_id",
            "term_id",
            "kind",
            "title",
            "body",
            "status",
            "version",
            "attachment_name",
            "submitted_at",
            "decided_at",
            "comment",
        )
    }
    if history:
        events = session.scalars(
            sa.select(FilingEvent).where(FilingEvent.filing_id == row.id).order_by(FilingEvent.id)
        )
        out["history"] = [
            {
                "at": e.at,
                "action": e.action,
                "status": e.status,
                "version": e.version,
                "comment": e.comment,
                "by": e.by,
            }
            for e in events
        ]
    return out


def _move(session, row: Filing, action: str, by: str, comment: str | None = None) -> None:
    """One step of the state table, its history row and its audit row."""
    before = row.status
    try:
        row.status = step(FILING_TRANSITIONS, row.status, action)
    except IllegalTransition:
        raise FilingNotPending(state=row.status) from None
    moment = now()
    if action in ("approve", "return"):
        row.decided_at, row.comment = moment, comment
    session.add(
        FilingEvent(
            filing_id=row.id,
            at=moment,
            action=action,
            status=row.status,
            version=row.version,
            comment=comment,
            by=by,
        )
    )
    record(
        session,
        action=f"filing.{action}",
        object_type="filing",
        object_id=row.id,
        school_id=row.school_id,
        before={"status": before},
        after={"status": row.status, "version": row.version, "comment": comment},
    )


def submit(school_id: int, data: dict) -> dict:
    """The school files a document with its district (409 no_district without one)."""
    with unit_of_work() as session:
        school = admin_school(session, require_admin(), school_id)
        if school.district_id is None:
            raise NoDistrict()
        term_id = data.get("term_id")
        if term_id is not None:
            term = session.get(Term, term_id)
            if term is None or term.school_id != school.id:
                raise ValidationFailed(errors={"term_id": ["本校没有这个学期"]})
        elif data["kind"] == "service_plan":
            raise ValidationFailed(errors={"term_id": ["课后服务方案须注明学期"]})
        row = Filing(
            school_id=school.id,
            district_id=school.district_id,
            term_id=term_id,
            kind=data["kind"],
            title=data["title"].strip(),
            body=data["body"],
            status="submitted",
            version=1,
            submitted_at=now(),
        )
        session.add(row)
        session.flush()
        session.add(
            FilingEvent(
                filing_id=row.id,
                at=row.submitted_at,
                action="submit",
                status="submitted",
                version=1,
                by="school",
            )
        )
        record(
            session,
            action="filing.submit",
            object_type="filing",
            object_id=row.id,
            school_id=school.id,
            after={"kind": row.kind, "title": row.title, "term_id": term_id},
        )
        return view(session, row)


def _school_filing(session, school_id: int, filing_id: int, *, lock=False) -> Filing:
    admin_school(session, require_admin(), school_id)
    stmt = sa.select(Filing).where(Filing.id == filing_id, Filing.school_id == school_id)
    row = session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        raise NotFound()
    return row


def resubmit(school_id: int, filing_id: int, data: dict) -> dict:
    """A returned filing, corrected, goes back to the district as a new version."""
    with unit_of_work() as session:
        row = _school_filing(session, school_id, filing_id, lock=True)
        for key in ("title", "body"):
            if data.get(key) is not None:
                setattr(row, key, data[key])
        row.version += 1
        row.submitted_at, row.decided_at = now(), None
        _move(session, row, "resubmit", "school", data.get("note"))
        return view(session, row, history=True)


def attach(school_id: int, filing_id: int, name: str, content_type: str, data: bytes) -> dict:
    """Attach (or replace) the filing's document while the district has not approved it."""
    with unit_of_work() as session:
        row = _school_filing(session, school_id, filing_id, lock=True)
        _check_file(content_type, data)
        if row.status == "approved":
            raise FilingNotPending(state=row.status)
        row.attachment, row.attachment_type = data, content_type
        row.attachment_name = name[:200] or f"filing-{row.id}.{ATTACHMENT_TYPES[content_type]}"
        record(
            session,
            action="filing.attach",
            object_type="filing",
            object_id=row.id,
            school_id=row.school_id,
            after={"attachment_name": row.attachment_name, "bytes": len(data)},
        )
        return view(session, row)


def _check_file(content_type: str, data: bytes) -> None:
    """422 for a type we do not keep, an empty file or one over 10 MB."""
    if content_type not in ATTACHMENT_TYPES:
        raise ValidationFailed(errors={"file": ["仅支持 PDF、Word、Excel、JPEG 或 PNG 文件"]})
    if not data:
        raise ValidationFailed(errors={"file": ["文件为空"]})
    if len(data) > MAX_ATTACHMENT:
        raise ValidationFailed(errors={"file": ["文件不得超过10MB"]})


def school_filings(school_id: int, query: dict, page: int, page_size: int):
    with unit_of_work() as session:
        admin_school(session, require_admin(), school_id)
        stmt = _filtered(sa.select(Filing).where(Filing.school_id == school_id), query)
        rows, total = paginate(session, stmt.order_by(Filing.id.desc()), page, page_size)
        return [view(session, r) for r in rows], total


def school_filing(school_id: int, filing_id: int) -> dict:
    with unit_of_work() as session:
        return view(session, _school_filing(session, school_id, filing_id), history=True)


def _filtered(stmt, query: dict):
    for key in ("status", "kind", "term_id", "school_id"):
        if query.get(key) is not None:
            stmt = stmt.where(getattr(Filing, key) == query[key])
    return stmt


def district_filings(district_id: int, query: dict, page: int, page_size: int):
    """The district's filings, newest first, filtered by status, kind or school."""
    with unit_of_work() as session:
        district_of(session, require_admin(), district_id)
        stmt = _filtered(sa.select(Filing).where(Filing.district_id == district_id), query)
        rows, total = paginate(session, stmt.order_by(Filing.id.desc()), page, page_size)
        return [view(session, r) for r in rows], total


def _district_filing(session, district_id: int, filing_id: int, *, lock=False) -> Filing:
    stmt = sa.select(Filing).where(Filing.id == filing_id, Filing.district_id == district_id)
    row = session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        raise NotFound()
    return row


def district_filing(district_id: int, filing_id: int) -> dict:
    with unit_of_work() as session:
        district_of(session, require_admin(), district_id)
        return view(session, _district_filing(session, district_id, filing_id), history=True)


def attachment(filing_id: int, *, school_id=None, district_id=None) -> tuple[bytes, str, str]:
    """(bytes, name, type) of a filing's document, for its school or its district."""
    with unit_of_work() as session:
        if school_id is not None:
            row = _school_filing(session, school_id, filing_id)
        else:
            district_of(session, require_admin(), district_id)
            row = _district_filing(session, district_id, filing_id)
        if row.attachment is None:
            raise NotFound()
        return row.attachment, row.attachment_name, row.attachment_type


def decide(district_id: int, filing_id: int, data: dict) -> dict:
    """The district approves a filing or returns it with a comment (required to return)."""
    if data["decision"] == "return" and not (data.get("comment") or "").strip():
        raise ValidationFailed(errors={"comment": ["退回时须说明理由"]})
    with unit_of_work() as session:
        district_admin_of(session, require_admin(), district_id)
        row = _district_filing(session, district_id, filing_id, lock=True)
        _move(session, row, data["decision"], "district", data.get("comment"))
        return view(session, row, history=True)
