"""What a district admin reads of its schools: the overview, its totals and its export.

Aggregates only: no pupil or guardian appears in anything this module returns.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from backend.auth.context import require_admin
from backend.auth.scope import admin_school, district_of
from backend.common.clock import today
from backend.common.xlsx import workbook
from backend.database import unit_of_work
from backend.districts.overview import figures, totals
from backend.schools.models import School
from backend.terms.models import Term

COLUMNS = (
    ("school_id", "学校编号"),
    ("name", "学校"),
    ("term_name", "学期"),
    ("roster_pupils", "在册学生"),
    ("enrolled", "参加人数"),
    ("participation_rate", "参与率"),
    ("enrichment_share", "素质拓展占比"),
    ("active_providers", "第三方机构数"),
    ("monthly_fee_fen", "月收费（分）"),
    ("fee_cap_fen", "收费上限（分）"),
    ("exemptions", "减免人数"),
    ("income_fen", "收入（分）"),
    ("expenses_fen", "支出（分）"),
    ("late_pickups", "逾时未接"),
    ("complaints_open", "未办结投诉"),
    ("complaints_overdue", "超期投诉"),
    ("satisfaction_average", "满意度均分"),
)


def _schools(session, district_id: int, page=None, page_size=None) -> tuple[list[School], int]:
    stmt = sa.select(School).where(School.district_id == district_id).order_by(School.id)
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    if page is not None:
        stmt = stmt.offset((page - 1) * page_size).limit(page_size)
    return list(session.scalars(stmt)), total


def overview(district_id: int, on: date | None, page: int, page_size: int):
    """A page of per-school figures for the terms running on `on` (default today)."""
    with unit_of_work() as session:
        district_of(session, require_admin(), district_id)
        schools, total = _schools(session, district_id, page, page_size)
        return figures(session, schools, on or today()), total


def overview_totals(district_id: int, on: date | None) -> dict:
    """The district's totals over all its schools."""
    with unit_of_work() as session:
        district_of(session, require_admin(), district_id)
        schools, _ = _schools(session, district_id)
        day = on or today()
        return {"on": day} | totals(figures(session, schools, day))


def overview_export(district_id: int, on: date | None):
    """(workbook, filename): one row per school, then the district's totals."""
    with unit_of_work() as session:
        district = district_of(session, require_admin(), district_id)
        schools, _ = _schools(session, district_id)
        day = on or today()
        rows = figures(session, schools, day)
    sums = totals(rows)
    body = [[r[key] for key, _ in COLUMNS] for r in rows]
    body.append(
        ["合计", f"{sums['schools']}所学校", ""] + [sums.get(k, "") for k, _ in COLUMNS[3:]]
    )
    header = [label for _, label in COLUMNS]
    title = f"{district.name}课后服务概况"
    return workbook([(title, header, body)]), f"district-{district_id}-overview-{day}.xlsx"


def annual_report_draft(school_id: int, year: int) -> dict:
    """A draft annual report (年度报告) from the figures of the school's terms in `year`."""
    with unit_of_work() as session:
        school = admin_school(session, require_admin(), school_id)
        terms = session.scalars(
            sa.select(Term)
            .where(
                Term.school_id == school.id,
                Term.starts_on <= date(year, 12, 31),
                Term.ends_on >= date(year, 1, 1),
            )
            .order_by(Term.starts_on)
        ).all()
        sections = []
        for term in terms:
            row = figures(session, [school], min(term.ends_on, date(year, 12, 31)))[0]
            sections.append(_section(term, row))
    body = "\n\n".join(
        [f"{school.name}{year}年度课后服务工作报告（草稿，请学校修改后备案）"]
        + (sections or ["本年度没有课后服务学期。"])
    )
    return {
        "kind": "annual_report",
        "title": f"{school.name}{year}年度课后服务工作报告",
        "body": body,
    }


def _yuan(fen: int | None) -> str:
    return "—" if fen is None else f"{fen / 100:.2f}元"


def _section(term: Term, r: dict) -> str:
    rate = "—" if r["participation_rate"] is None else f"{r['participation_rate'] * 100:.1f}%"
    share = "—" if r["enrichment_share"] is None else f"{r['enrichment_share'] * 100:.1f}%"
    return "\n".join(
        [
            f"【{term.name}】（{term.starts_on} 至 {term.ends_on}）",
            f"一、参与情况：在册学生{r['roster_pupils']}人，参加{r['enrolled']}人，参与率{rate}。",
            f"二、课程安排：素质拓展类课时占比{share}；在用第三方机构{r['active_providers']}家。",
            f"三、收费情况：每生每月{_yuan(r['monthly_fee_fen'])}（上限{_yuan(r['fee_cap_fen'])}），"
            f"减免{r['exemptions']}人。",
            f"四、收支情况：收入{_yuan(r['income_fen'])}，支出{_yuan(r['expenses_fen'])}。",
            f"五、安全管理：逾时未接{r['late_pickups']}人次。",
            f"六、投诉处理：未办结{r['complaints_open']}件，其中超期{r['complaints_overdue']}件。",
        ]
    )


def school_figures(school_id: int, on: date | None = None) -> dict:
    """The overview's row for one school, for its own office (the console's dashboard)."""
    with unit_of_work() as session:
        school = admin_school(session, require_admin(), school_id)
        return figures(session, [school], on or today())[0]
