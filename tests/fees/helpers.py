"""Builders shared by the fee tests: a September 2026 term (22 service days) and shortcuts."""

from __future__ import annotations

from datetime import date, datetime, time
from types import SimpleNamespace

import sqlalchemy as sa

from backend.common.clock import SCHOOL_TZ
from backend.fees.models import Statement, StatementLine
from backend.terms import calendar as cal
from tests import factories as f

ADMIN = "/admin/api/v1/schools"
SEPT = "2026-09"


def at(day: date, hour: int = 8) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SCHOOL_TZ)


def setup(db, *, billing_mode="monthly", base_fee_fen=8000, pupils=3):
    """World + an autumn 2026 term of school A with enrolled pupils (kids[0] has a parent)."""
    w = f.World(db)
    a = w.schools[0]
    term = f.term(
        db,
        a["school"],
        starts_on=date(2026, 9, 1),
        ends_on=date(2027, 1, 15),
        billing_mode=billing_mode,
        base_fee_fen=base_fee_fen,
    )
    kids = list(a["kids"])
    while len(kids) < pupils:
        kids.append(f.student(db, a["classes"][0]))
    apps = [f.enrolled(db, term, kid) for kid in kids[:pupils]]
    for app in apps:
        app.enrolled_at = at(date(2026, 8, 25))
    db.flush()
    return SimpleNamespace(
        w=w,
        a=a,
        b=w.schools[1],
        school=a["school"],
        sid=a["school"].id,
        term=term,
        tid=term.id,
        kids=kids[:pupils],
        apps=apps,
        office=f.auth(db, admin_row=a["office"]),
        office_b=f.auth(db, admin_row=w.schools[1]["office"]),
        platform=f.auth(db, admin_row=w.platform),
        parent=f.auth(db, user_row=a["parent"]),
        parent_b=f.auth(db, user_row=w.schools[1]["parent"]),
    )


def sept_days(db, term) -> list[date]:
    return cal.service_days(db, term, date(2026, 9, 1), date(2026, 9, 30))


def generate(client, s, period=SEPT, headers=None):
    return client.post(
        f"{ADMIN}/{s.sid}/terms/{s.tid}/statements/generate",
        json={"period": period},
        headers=headers or s.office,
    )


def issue_all(client, s, period=SEPT):
    return client.post(
        f"{ADMIN}/{s.sid}/terms/{s.tid}/statements/issue",
        json={"period": period},
        headers=s.office,
    )


def statement_of(db, student, period=SEPT) -> Statement:
    return db.scalar(
        sa.select(Statement).where(
            Statement.student_id == student.id,
            Statement.period == period,
            Statement.status != "void",
        )
    )


def lines_of(db, st) -> list[tuple[str, int]]:
    rows = db.scalars(
        sa.select(StatementLine)
        .where(StatementLine.statement_id == st.id)
        .order_by(StatementLine.id)
    )
    return [(ln.kind, ln.amount_fen) for ln in rows]


def assert_totals_consistent(db):
    """Every statement's total is the sum of its lines, and its money matches its records."""
    from backend.fees.models import Payment, Refund

    for st in db.scalars(sa.select(Statement)):
        db.refresh(st)
        assert st.total_fen == sum(a for _, a in lines_of(db, st)), st.id
        paid = db.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Payment.amount_fen), 0)).where(
                Payment.statement_id == st.id, Payment.status == "paid"
            )
        )
        refunded = db.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Refund.amount_fen), 0)).where(
                Refund.statement_id == st.id, Refund.status != "failed"
            )
        )
        assert (st.paid_fen, st.refunded_fen) == (paid, refunded), st.id
        assert st.refunded_fen <= st.paid_fen


def pay(client, s, statement_id, amount, reference="R1", method="cash", paid_on="2026-09-10"):
    return client.post(
        f"{ADMIN}/{s.sid}/statements/{statement_id}/payments",
        json={
            "amount_fen": amount,
            "paid_on": paid_on,
            "reference": reference,
            "method": method,
        },
        headers=s.office,
    )
