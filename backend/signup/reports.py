"""Counts, lists and .xlsx exports of a term's applications for committees and the office."""

from __future__ import annotations

import io
from collections import Counter, defaultdict

import sqlalchemy as sa

from backend.auth.context import current_actor, require_user
from backend.auth.scope import admin_school
from backend.common import xlsx
from backend.common.clock import SCHOOL_TZ
from backend.common.pagination import paginate
from backend.database import get_session
from backend.errors import NotFound
from backend.schools.models import Grade, SchoolClass
from backend.signup import states
from backend.signup.codes import DECISION_ZH, EXEMPTION_ZH, LEVEL_ZH, PRIORITY_ZH, STATE_ZH
from backend.signup.models import Application, ReviewStep
from backend.signup.review import overdue_cutoff, rows_view, waiting_query
from backend.signup.scope import reviewer_term, scope_clause
from backend.terms.models import Term

COUNT_KEYS = (
    "submitted",
    "waiting",
    "overdue",
    "approved",
    "rejected",
    "withdrawn",
    "in_publicity",
    "enrolled",
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _office_term(session, school_id: int, term_id: int) -> Term:
    admin_school(session, current_actor(), school_id)
    term = session.get(Term, term_id)
    if term is None or term.school_id != school_id:
        raise NotFound()
    return term


def _counts(rows, cutoff) -> dict:
    c = Counter()
    for _id, _class_id, state, _level, waiting_since in rows:
        c["submitted"] += 1
        if state in states.WAITING_STATES:
            c["waiting"] += 1
            if waiting_since is not None and waiting_since < cutoff:
                c["overdue"] += 1
        elif state in states.PASSED_STATES:
            c["approved"] += 1
        if state in ("rejected", "withdrawn", "in_publicity", "enrolled"):
            c[state] += 1
    return {key: c[key] for key in COUNT_KEYS}


def _summary(session, term: Term, where) -> dict:
    rows = session.execute(
        sa.select(
            Application.id,
            Application.class_id,
            Application.state,
            Application.level,
            Application.waiting_since,
        ).where(Application.term_id == term.id, where)
    ).all()
    cutoff = overdue_cutoff(term)
    classes = list(
        session.scalars(
            sa.select(SchoolClass)
            .where(SchoolClass.school_id == term.school_id)
            .order_by(SchoolClass.grade_id, SchoolClass.name)
        )
    )
    grades = {
        g.id: g for g in session.scalars(sa.select(Grade).where(Grade.school_id == term.school_id))
    }
    by_class = defaultdict(list)
    for row in rows:
        by_class[row[1]].append(row)
    class_out, grade_rows = [], defaultdict(list)
    for klass in classes:
        if klass.id not in by_class:
            continue
        grade_rows[klass.grade_id] += by_class[klass.id]
        class_out.append(
            {
                "class_id": klass.id,
                "class_name": klass.name,
                "grade_id": klass.grade_id,
                **_counts(by_class[klass.id], cutoff),
            }
        )
    grade_out = [
        {"grade_id": gid, "grade_name": grades[gid].name, **_counts(grade_rows[gid], cutoff)}
        for gid in sorted(grade_rows, key=lambda g: (grades[g].level, grades[g].name))
    ]
    return {
        "term_id": term.id,
        "totals": _counts(rows, cutoff),
        "by_level": _by_level(session, term, rows, cutoff),
        "by_grade": grade_out,
        "by_class": class_out,
    }


def _by_level(session, term: Term, rows, cutoff) -> list[dict]:
    ids = [r[0] for r in rows]
    decided = defaultdict(set)
    if ids:
        steps = session.execute(
            sa.select(ReviewStep.application_id, ReviewStep.level, ReviewStep.decision).where(
                ReviewStep.application_id.in_(ids),
                ReviewStep.decision.in_(("approve", "reject")),
            )
        )
        for app_id, level, decision in steps:
            decided[(level, decision)].add(app_id)
    out = []
    for level in term.review_levels or ["class", "grade", "school"]:
        waiting = [r for r in rows if r[2] in states.WAITING_STATES and r[3] == level]
        out.append(
            {
                "level": level,
                "waiting": len(waiting),
                "overdue": sum(1 for r in waiting if r[4] is not None and r[4] < cutoff),
                "approved": len(decided[(level, "approve")]),
                "rejected": len(decided[(level, "reject")]),
            }
        )
    return out


def reviewer_summary(term_id: int) -> dict:
    """Counts within the caller's review scope (every level they review at)."""
    actor = require_user()
    session = get_session()
    term, grants = reviewer_term(session, actor, term_id, None)
    return _summary(session, term, scope_clause(grants))


def office_summary(school_id: int, term_id: int) -> dict:
    session = get_session()
    term = _office_term(session, school_id, term_id)
    return _summary(session, term, sa.true())


def _office_query(term: Term, query: dict):
    if query.get("overdue") is not None:
        stmt = waiting_query(term, query.get("level"), overdue=query["overdue"])
    else:
        stmt = sa.select(Application).where(Application.term_id == term.id)
        if query.get("level"):
            stmt = stmt.where(
                Application.level == query["level"],
                Application.state.in_(states.WAITING_STATES),
            )
    if query.get("state"):
        stmt = stmt.where(Application.state == query["state"])
    if query.get("class_id"):
        stmt = stmt.where(Application.class_id == query["class_id"])
    if query.get("grade_id"):
        stmt = stmt.where(
            Application.class_id.in_(
                sa.select(SchoolClass.id).where(SchoolClass.grade_id == query["grade_id"])
            )
        )
    return stmt


def office_list(school_id: int, term_id: int, query: dict, page: int, page_size: int):
    session = get_session()
    term = _office_term(session, school_id, term_id)
    stmt = _office_query(term, query)
    apps, total = paginate(session, stmt.order_by(Application.id), page, page_size)
    return rows_view(session, term, apps), total


def office_application(school_id: int, term_id: int, application_id: int) -> dict:
    """One application with its full history, reviewers included (the office's view)."""
    session = get_session()
    term = _office_term(session, school_id, term_id)
    app = session.get(Application, application_id)
    if app is None or app.term_id != term.id:
        raise NotFound()
    row = rows_view(session, term, [app])[0]
    steps = session.scalars(
        sa.select(ReviewStep)
        .where(ReviewStep.application_id == app.id)
        .order_by(ReviewStep.decided_at, ReviewStep.id)
    )
    row["history"] = [
        {
            "level": s.level,
            "decision": s.decision,
            "comment": s.comment,
            "decided_at": s.decided_at,
            "role": s.actor_role,
            "actor_kind": s.actor_kind,
            "actor_id": s.actor_id,
            "state": s.to_state,
            "objection_id": s.objection_id,
        }
        for s in steps
    ]
    row["client_ip"] = app.client_ip
    row["agreement_id"] = app.agreement_id
    row["agreed_at"] = app.agreed_at
    return row


def office_export(school_id: int, term_id: int, query: dict):
    session = get_session()
    term = _office_term(session, school_id, term_id)
    apps = list(session.scalars(_office_query(term, query).order_by(Application.id)))
    return _workbook(rows_view(session, term, apps)), _filename(term, query.get("level"))


def reviewer_export(term_id: int, level: str, query: dict):
    """Every application of the term inside the caller's scope at `level` (汇总表)."""
    actor = require_user()
    session = get_session()
    term, grants = reviewer_term(session, actor, term_id, level)
    stmt = sa.select(Application).where(Application.term_id == term.id, scope_clause(grants))
    if query.get("waiting"):
        stmt = stmt.where(Application.level == level, Application.state.in_(states.WAITING_STATES))
    if query.get("state"):
        stmt = stmt.where(Application.state == query["state"])
    apps = list(session.scalars(stmt.order_by(Application.class_id, Application.id)))
    return _workbook(rows_view(session, term, apps)), _filename(term, level)


def _filename(term: Term, level: str | None) -> str:
    return f"applications-term{term.id}-{level or 'all'}.xlsx"


def _fmt(dt) -> str:
    return dt.astimezone(SCHOOL_TZ).strftime("%Y-%m-%d %H:%M") if dt else ""


HEADER = [
    "申请编号",
    "班级",
    "学生",
    "状态",
    "待审层级",
    "优先保障",
    "申请减免",
    "提交时间",
    "等待自",
    "是否超期",
    "最近处理",
    "意见",
]


def _workbook(rows: list[dict]) -> io.BytesIO:
    """The applications as the office's and reviewers' sheet (报名申请)."""
    return xlsx.single_sheet("报名申请", HEADER, [_export_row(r) for r in rows])


def _export_row(r: dict) -> list:
    """One application as a row of the sheet (its latest decision and comment)."""
    last = r["history"][-1] if r["history"] else None
    exemption = r["exemption_category"]
    return [
        r["id"],
        r["class_name"],
        r["student_name"],
        STATE_ZH.get(r["state"], r["state"]),
        LEVEL_ZH.get(r["level"], "") if r["level"] else "",
        "、".join(PRIORITY_ZH.get(f, f) for f in r["priority_flags"]),
        EXEMPTION_ZH.get(exemption, "") if exemption else "",
        _fmt(r["created_at"]),
        _fmt(r["waiting_since"]),
        "是" if r["overdue"] else "",
        DECISION_ZH.get(last["decision"], last["decision"]) if last else "",
        (last or {}).get("comment") or "",
    ]
