"""Two schools with one of everything, committed once for the whole matrix module.

Each school gets: a sign-up term with its agreement (applications submitted, approved,
in the posting with an objection, enrolled, rejected, withdrawn, waiting at grade and
school), a lottery term already drawn (and settled), a provider, courses and a
selection, pickup persons with a photo, self-leave, a notice, a live handoff code, a used
one, leave and attendance, issued statements with an offline payment, a refund, an exemption
request, an expense, a disclosure and a WeChat Pay order, a deletion request, a spare
role grant, and a reconciliation run. Everyone of the matrix has a token.

Built through the factories and the HTTP API on real commits (not the per-test outer
transaction), so that ~2,000 checks share one world; `truncate()` empties the tables.
"""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa

from backend.common.clock import now, today
from backend.database import Base
from tests import factories as f
from tests.authz import domains
from tests.authz.school import TARGET, School


def build(app) -> SimpleNamespace:
    """The world, committed: `w.a` and `w.b` (schools), `w.tokens[role]`, `w.ids`."""
    ext = app.extensions["kehou"]
    db = ext["sessionmaker"]()
    client = app.test_client()
    base = f.World(db)
    a = School("a", db, client, base.schools[0])
    b = School("b", db, client, base.schools[1])
    platform = base.platform
    db.commit()
    for s in (a, b):
        s.tokens = {k: f.auth(db, user_row=u) for k, u in s.users.items()}
        s.tokens["office"] = f.auth(db, admin_row=s.office)
    platform_token = f.auth(db, admin_row=platform)
    db.commit()
    for s in (a, b):
        s.terms()
        db.commit()
        s.applications()
        s.courses()
        s.pickup()
        s.fees()
        s.privacy_and_staff()
    district_tokens = _districts(db, a, b)
    for s in (a, b):
        domains.build(s, db)
        db.commit()
    _reconciliation(db)
    db.commit()
    tokens = {
        "anon": {},
        "guardian_A": a.h("guardian"),
        "guardian_other": a.h("guardian_other"),
        "guardian_B": b.h("guardian"),
        "head_teacher_A": a.h("head_teacher"),
        "head_teacher_other_class": a.h("head_teacher_other_class"),
        "class_committee_A": a.h("class_committee"),
        "grade_committee_A": a.h("grade_committee"),
        "school_committee_A": a.h("school_committee"),
        "gate_A": a.h("gate"),
        "gate_B": b.h("gate"),
        "staff_B": b.h("head_teacher"),
        "admin_A": a.h("office"),
        "admin_B": b.h("office"),
        "platform": platform_token,
        **district_tokens,
    }
    ids, ids_b = _ids(a), _ids(b)
    db.close()
    return SimpleNamespace(
        a=a,
        b=b,
        tokens=tokens,
        ids=ids,
        ids_b=ids_b,
        target=TARGET["a"],
        phone=a.guardian_phone,
    )


def _ids(s: School) -> dict:
    """What the matrix's placeholders resolve to, for one school."""
    return {
        "school_id": s.sid,
        "grade_id": s.grade_id,
        "class_id": s.class_id,
        "student_id": s.kid.id,
        "other_family_student_id": s.handed_id,  # guardian_other's enrolled child, same class
        "term_id": s.term.id,
        "lottery_term_id": s.lottery_term.id,
        "agreement_id": s.agreement.id,
        "application_id": s.app_enrolled.id,
        "submitted_application_id": s.app_submitted.id,
        "approved_application_id": s.app_approved.id,
        "publication_id": s.publication_id,
        "objection_id": s.objection_id,
        "provider_id": s.provider.id,
        "course_id": s.course.id,
        "free_course_id": s.course_free.id,
        "lottery_course_id": s.lottery_course.id,
        "selection_id": s.selection_id,
        "person_id": s.person_id,
        "notice_id": s.notice_id,
        "leave_id": s.leave_id,
        "qr_token": s.qr_token,
        "code": s.code,
        "statement_id": s.statement_id,
        "refund_id": s.refund_id,
        "exemption_id": s.exemption_id,
        "disclosure_id": s.disclosure_id,
        "request_id": s.deletion_request_id,
        "grant_id": s.grant_id,
        "binding_code": s.grant_code,
        "day": str(s.today),
        "period": s.period,
        "district_id": s.district_id,
    } | domains.ids(s)


def _districts(db, a: School, b: School) -> dict:
    """School A in one district, school B in another, each with a district admin."""
    from backend.districts.models import District

    tokens = {}
    for s, role in ((a, "district_A"), (b, "district_other")):
        district = District(name=f"{s.key}区教育局", code=f"DIST-{s.key}")
        db.add(district)
        db.flush()
        s.school.district_id = district.id
        s.district_id = district.id
        bureau = f.admin(db)
        bureau.district_id = district.id
        db.flush()
        tokens[role] = f.auth(db, admin_row=bureau)
    db.commit()
    return tokens


def _reconciliation(db):
    """A reconciliation run for today (the admin list answers 404 for days never run)."""
    from backend.payments.models import Reconciliation

    db.add(Reconciliation(bill_date=today(), run_at=now(), bill_rows=0, our_rows=0, differences=0))
    db.commit()


def truncate(app) -> None:
    engine = app.extensions["kehou"]["engine"]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
