"""The audit chain: append-only, hash-chained, verifiable, scoped per school."""

from __future__ import annotations

import io
import threading

import sqlalchemy as sa
from openpyxl import load_workbook

from backend.audit.models import AuditLog
from backend.audit.service import record, verify_chain
from tests import factories as f


def _write(db, school_id, n):
    for i in range(n):
        record(
            db,
            action="test.write",
            object_type="thing",
            object_id=i,
            school_id=school_id,
            after={"i": i, "名字": "张三"},
        )
    db.commit()


def test_chain_verifies_and_names_first_tampered_row(app, db):
    s = f.school(db)
    _write(db, s.id, 5)
    ok, broken, checked = verify_chain(db)
    assert ok and checked >= 5
    rows = db.scalars(sa.select(AuditLog).where(AuditLog.chain == s.id).order_by(AuditLog.seq))
    third = list(rows)[2]
    db.execute(sa.update(AuditLog).where(AuditLog.id == third.id).values(after={"i": 99}))
    db.expire_all()
    ok, broken, _ = verify_chain(db)
    assert not ok and broken.id == third.id


def test_deleting_a_row_breaks_the_chain(app, db):
    s = f.school(db)
    _write(db, s.id, 3)
    second = db.scalar(sa.select(AuditLog).where(AuditLog.chain == s.id, AuditLog.seq == 2))
    db.execute(sa.delete(AuditLog).where(AuditLog.id == second.id))
    db.expire_all()
    ok, broken, _ = verify_chain(db)
    assert not ok and broken.seq == 3


def test_verify_command(app, db):
    s = f.school(db)
    _write(db, s.id, 2)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output
    db.execute(
        sa.update(AuditLog).where(AuditLog.chain == s.id, AuditLog.seq == 1).values(action="forged")
    )
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "BROKEN" in result.output


def test_audit_logs_endpoint_is_scoped_to_the_school(client, db):
    w = f.World(db)
    a, b = w.schools
    _write(db, a["school"].id, 3)
    _write(db, b["school"].id, 1)
    h = f.auth(db, admin_row=a["office"])
    r = client.get(f"/admin/api/v1/schools/{a['school'].id}/audit-logs?page_size=2", headers=h)
    assert r.status_code == 200
    assert [row["seq"] for row in r.json] == [3, 2]
    assert '"total": 3' in r.headers["X-Pagination"]
    assert r.json[0]["after"] == {"i": 2, "名字": "张三"}
    assert (
        client.get(f"/admin/api/v1/schools/{b['school'].id}/audit-logs", headers=h).status_code
        == 404
    )
    assert client.get(f"/admin/api/v1/schools/{a['school'].id}/audit-logs").status_code == 401
    teacher = f.auth(db, user_row=a["teacher"])
    assert (
        client.get(
            f"/admin/api/v1/schools/{a['school'].id}/audit-logs", headers=teacher
        ).status_code
        == 401
    )
    platform = f.auth(db, admin_row=w.platform)
    assert (
        client.get(
            f"/admin/api/v1/schools/{b['school'].id}/audit-logs", headers=platform
        ).status_code
        == 200
    )
    r = client.get(f"/admin/api/v1/schools/{a['school'].id}/audit-logs?page_size=101", headers=h)
    assert r.status_code == 422


def test_audit_export_xlsx(client, db):
    w = f.World(db)
    a = w.schools[0]
    _write(db, a["school"].id, 2)
    r = client.get(
        f"/admin/api/v1/schools/{a['school'].id}/audit-logs/export",
        headers=f.auth(db, admin_row=a["office"]),
    )
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data)).active
    values = list(ws.values)
    assert values[0][0] == "序号" and len(values) == 3
    assert values[1][4] == "test.write"


def test_concurrent_writers_never_fork_the_chain(app, committed, requires_pg):
    s = f.school(committed)
    committed.commit()
    factory = app.extensions["kehou"]["sessionmaker"]
    barrier = threading.Barrier(10)

    def writer(i):
        with app.app_context(), factory() as session:
            barrier.wait()
            for j in range(5):
                record(
                    session, action="race", object_type="t", object_id=f"{i}-{j}", school_id=s.id
                )
                session.commit()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seqs = committed.scalars(
        sa.select(AuditLog.seq).where(AuditLog.chain == s.id).order_by(AuditLog.seq)
    ).all()
    assert seqs == list(range(1, 51))
    ok, broken, checked = verify_chain(committed)
    assert ok, broken


def test_rolled_back_rows_never_enter_the_chain(app, db):
    s = f.school(db)
    _write(db, s.id, 2)
    record(db, action="test.lost", object_type="thing", school_id=s.id)
    db.rollback()
    _write(db, s.id, 1)
    actions = db.scalars(
        sa.select(AuditLog.action).where(AuditLog.chain == s.id).order_by(AuditLog.seq)
    ).all()
    assert actions == ["test.write"] * 3
    assert verify_chain(db)[0]
