"""Writing audit rows into the hash chain, reading them, and verifying the chain."""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from flask import g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from backend.audit.models import AuditChainHead, AuditLog
from backend.common.clock import now
from backend.common.pagination import paginate

GENESIS = "0" * 64
_PENDING = "kehou_audit_pending"


def _canonical(row: AuditLog) -> str:
    return json.dumps(
        {
            "chain": row.chain,
            "seq": row.seq,
            "school_id": row.school_id,
            "actor_kind": row.actor_kind,
            "actor_id": row.actor_id,
            "action": row.action,
            "object_type": row.object_type,
            "object_id": row.object_id,
            "before": row.before,
            "after": row.after,
            "client_ip": row.client_ip,
            "created_at": row.created_at.isoformat(),
            "prev_hash": row.prev_hash,
        },
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )


def compute_hash(row: AuditLog) -> str:
    return hashlib.sha256(_canonical(row).encode()).hexdigest()


def _jsonable(value):
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def record(
    session,
    *,
    action: str,
    object_type: str,
    object_id=None,
    school_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    actor=None,
) -> AuditLog:
    """Append one row to the school's chain as part of the caller's transaction.

    The row is chained when the transaction commits (see seal_pending): only then is the
    chain head locked, so concurrent writers of one school wait on each other for the
    commit alone, not for the rest of their work. A rolled-back transaction leaves none.
    """
    if actor is None and has_request_context():
        actor = g.get("actor")
    row = AuditLog(
        chain=school_id or 0,
        school_id=school_id,
        actor_kind=actor.kind if actor else "system",
        actor_id=actor.id if actor else None,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before=_jsonable(before),
        after=_jsonable(after),
        client_ip=request.remote_addr if has_request_context() else None,
        created_at=now(),
    )
    session.connection()  # the row belongs to this transaction: begin it if not yet begun
    session.info.setdefault(_PENDING, []).append(row)
    return row


def seal_pending(session) -> None:
    """Chain the transaction's audit rows: lock each chain head (in chain order, so two
    transactions writing the same chains cannot deadlock), number, hash, insert."""
    rows = session.info.pop(_PENDING, None)
    if not rows:
        return
    for chain in sorted({row.chain for row in rows}):
        head = _locked_head(session, chain)
        for row in (r for r in rows if r.chain == chain):
            row.seq, row.prev_hash = head.seq + 1, head.hash
            row.hash = compute_hash(row)
            head.seq, head.hash = row.seq, row.hash
            session.add(row)
    session.flush()


def _locked_head(session, chain: int) -> AuditChainHead:
    query = sa.select(AuditChainHead).where(AuditChainHead.chain == chain).with_for_update()
    head = session.scalar(query)
    if head is None:
        _create_head(session, chain)
        head = session.scalar(query)
    return head


@event.listens_for(Session, "before_commit")
def _seal_before_commit(session) -> None:
    seal_pending(session)


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(session, previous_transaction) -> None:
    # A rolled-back savepoint leaves the outer transaction (and its rows) going on.
    if not session.in_transaction():
        session.info.pop(_PENDING, None)


def _create_head(session, chain: int) -> None:
    # Two first writers of a school may race here: insert-if-absent, then lock the row.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(
        insert(AuditChainHead)
        .values(chain=chain, seq=0, hash=GENESIS)
        .on_conflict_do_nothing(index_elements=["chain"])
    )


def verify_chain(session) -> tuple[bool, AuditLog | None, int]:
    """Walk every chain in order; return (ok, first broken row, rows checked)."""
    checked = 0
    chains = session.scalars(sa.select(AuditLog.chain).distinct().order_by(AuditLog.chain))
    for chain in list(chains):
        prev = GENESIS
        expected_seq = 1
        rows = session.scalars(
            sa.select(AuditLog).where(AuditLog.chain == chain).order_by(AuditLog.seq)
        )
        for row in rows:
            checked += 1
            if row.seq != expected_seq or row.prev_hash != prev or compute_hash(row) != row.hash:
                return False, row, checked
            prev = row.hash
            expected_seq += 1
        head = session.get(AuditChainHead, chain)
        if head is None or head.hash != prev or head.seq != expected_seq - 1:
            return False, None, checked
    return True, None, checked


def _filtered(school_id: int, query: dict):
    stmt = sa.select(AuditLog).where(AuditLog.chain == school_id)
    for key in ("action", "object_type", "object_id"):
        if query.get(key):
            stmt = stmt.where(getattr(AuditLog, key) == query[key])
    if query.get("since"):
        stmt = stmt.where(AuditLog.created_at >= query["since"])
    if query.get("until"):
        stmt = stmt.where(AuditLog.created_at < query["until"])
    return stmt


def list_for_school(school_id: int, query: dict, page: int, page_size: int):
    from backend.auth.context import current_actor
    from backend.auth.scope import admin_school
    from backend.database import get_session

    session = get_session()
    admin_school(session, current_actor(), school_id)
    stmt = _filtered(school_id, query)
    return paginate(session, stmt.order_by(AuditLog.seq.desc()), page, page_size)


def export_for_school(school_id: int, query: dict):
    """The school's audit log as an .xlsx (at most 50,000 rows, oldest first)."""
    from backend.auth.context import current_actor
    from backend.auth.scope import admin_school
    from backend.common import xlsx
    from backend.database import get_session

    session = get_session()
    school = admin_school(session, current_actor(), school_id)
    header = ["序号", "时间", "操作者类型", "操作者", "操作", "对象", "对象ID", "IP"]
    header += ["变更前", "变更后"]
    rows = session.scalars(_filtered(school_id, query).order_by(AuditLog.seq).limit(50_000))
    book = xlsx.single_sheet("审计日志", header, (_export_row(row) for row in rows))
    return book, f"audit-{school.code}.xlsx"


def _export_row(row: AuditLog) -> list:
    """One audit entry as a row of the export."""
    from backend.common.clock import SCHOOL_TZ

    return [
        row.seq,
        row.created_at.astimezone(SCHOOL_TZ).strftime("%Y-%m-%d %H:%M:%S"),
        row.actor_kind,
        row.actor_id,
        row.action,
        row.object_type,
        row.object_id,
        row.client_ip,
        json.dumps(row.before, ensure_ascii=False) if row.before else "",
        json.dumps(row.after, ensure_ascii=False) if row.after else "",
    ]
