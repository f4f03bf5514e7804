"""The overview: the schools' own figures, aggregated; the export; no pupil data."""

from __future__ import annotations

import io
from datetime import date, timedelta

from openpyxl import load_workbook

from backend.common.clock import today
from backend.pickup.models import PickupAlert
from tests import factories as f
from tests.districts.helpers import ADMIN, world
from tests.fees.helpers import generate, issue_all, statement_of

SCHOOL = "/admin/api/v1/schools"


def _money(client, db, w):
    """September statements issued, two paid offline, one refunded, an expense, an exemption."""
    s = w.s
    assert generate(client, s).status_code in (200, 201)
    assert issue_all(client, s).status_code == 200
    for i, kid in enumerate(s.kids[:2]):
        st = statement_of(db, kid)
        r = client.post(
            f"{SCHOOL}/{s.sid}/statements/{st.id}/payments",
            json={
                "amount_fen": st.total_fen,
                "paid_on": "2026-09-10",
                "reference": f"R{i}",
                "method": "cash",
            },
            headers=s.office,
        )
        assert r.status_code == 201, r.json
    st = statement_of(db, s.kids[0])
    r = client.post(
        f"{SCHOOL}/{s.sid}/statements/{st.id}/refunds",
        json={"amount_fen": 1234, "reason": "请假退费"},
        headers=s.office,
    )
    assert r.status_code == 201, r.json
    r = client.post(
        f"{SCHOOL}/{s.sid}/terms/{s.tid}/expenses",
        json={"category": "materials", "amount_fen": 5000, "spent_on": "2026-09-20"},
        headers=s.office,
    )
    assert r.status_code == 201, r.json


def test_overview_figures_match_the_schools_own(client, db):
    w = world(db)
    s = w.s
    _money(client, db, w)
    for kind in ("enrichment", "enrichment", "tutoring"):
        f.course(db, s.term, kind=kind)
    for _ in range(3):
        f.provider(db, s.school)
    f.provider(db, s.school, status="inactive")
    db.add(
        PickupAlert(
            student_id=s.kids[0].id, school_id=s.sid, class_id=s.kids[0].class_id, day=today()
        )
    )
    db.add(
        PickupAlert(
            student_id=s.kids[1].id,
            school_id=s.sid,
            class_id=s.kids[1].class_id,
            day=today() - timedelta(days=1),
        )
    )
    db.flush()
    r = client.get(f"{ADMIN}/districts/{w.d.id}/overview", headers=w.da)
    assert r.status_code == 200, r.json
    rows = {row["school_id"]: row for row in r.json}
    assert set(rows) == {w.a_id, w.b_id}  # never the third school
    a = rows[w.a_id]
    summary = client.get(
        f"{SCHOOL}/{s.sid}/terms/{s.tid}/applications/summary", headers=s.office
    ).json
    assert a["enrolled"] == summary["totals"]["enrolled"] == 3
    students = client.get(f"{SCHOOL}/{s.sid}/students", headers=s.office)
    assert a["roster_pupils"] == int(
        students.headers["X-Pagination"].split('"total": ')[1].split(",")[0].rstrip("}")
    )
    assert a["participation_rate"] == round(3 / a["roster_pupils"], 4)
    report = client.post(
        f"{SCHOOL}/{s.sid}/terms/{s.tid}/disclosures", json={"period": "term"}, headers=s.office
    ).json["report"]
    assert a["income_fen"] == report["net_income_fen"] > 0
    assert a["expenses_fen"] == report["expenses_fen"] == 5000
    assert a["exemptions"] == report["exemptions"]
    providers = client.get(f"{SCHOOL}/{s.sid}/providers", headers=s.office).json
    assert (
        a["active_providers"]
        == sum(1 for p in providers if p["status"] == "active" and not p["blacklisted"])
        == 3
    )
    assert a["enrichment_share"] == round(2 / 3, 4)
    assert (a["monthly_fee_fen"], a["fee_cap_fen"]) == (8000, s.school.monthly_fee_cap_fen)
    assert a["late_pickups"] == 2
    b = rows[w.b_id]
    assert (b["term_id"], b["enrolled"], b["income_fen"]) == (None, 0, 0)
    totals = client.get(f"{ADMIN}/districts/{w.d.id}/overview/totals", headers=w.da).json
    assert totals["schools"] == 2
    assert totals["enrolled"] == 3
    assert totals["income_fen"] == a["income_fen"]
    assert totals["roster_pupils"] == a["roster_pupils"] + b["roster_pupils"]


def test_overview_on_a_day_without_a_running_term(client, db):
    w = world(db)
    r = client.get(f"{ADMIN}/districts/{w.d.id}/overview?on=2030-01-01", headers=w.da)
    assert r.status_code == 200
    assert all(row["term_id"] is None and row["enrolled"] == 0 for row in r.json)
    assert (
        client.get(f"{ADMIN}/districts/{w.d.id}/overview?on=nope", headers=w.da).status_code == 422
    )


def test_overview_export_has_a_row_per_school_and_the_totals_and_no_pupil(client, db):
    w = world(db)
    kid = w.s.kids[0]
    kid.name = '=HYPERLINK("http://x.example","欧阳")'
    db.flush()
    r = client.get(f"{ADMIN}/districts/{w.d.id}/overview/export", headers=w.da)
    assert r.status_code == 200
    assert r.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(r.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["学校编号", "学校", "学期"]
    assert sorted(v[0] for v in values[1:3]) == sorted([w.a_id, w.b_id])
    assert values[-1][0] == "合计"
    text = repr(values)
    assert "欧阳" not in text and "HYPERLINK" not in text
    assert (
        client.get(f"{ADMIN}/districts/{w.d.id}/overview/export", headers=w.s.office).status_code
        == 403
    )
    assert (
        client.get(f"{ADMIN}/districts/{w.d.id}/overview/export", headers=w.de).status_code == 404
    )


def test_annual_report_draft_is_built_from_the_term_figures(client, db):
    w = world(db)
    r = client.get(
        f"{SCHOOL}/{w.a_id}/filings/annual-report-draft?year={date.today().year}",
        headers=w.s.office,
    )
    assert r.status_code == 200, r.json
    assert r.json["kind"] == "annual_report"
    assert "参加3人" in r.json["body"]
    assert w.s.term.name in r.json["body"]
    assert (
        client.get(
            f"{SCHOOL}/{w.a_id}/filings/annual-report-draft?year=2026", headers=w.da
        ).status_code
        == 403
    )


def test_overview_satisfaction_matches_the_schools_survey_results(client, db):
    from backend.common.clock import now
    from backend.surveys.models import SERVICE, Survey, SurveyQuestion, empty_tally

    w = world(db)
    s = w.s
    survey = Survey(
        school_id=s.sid,
        term_id=s.tid,
        title="满意度测评",
        opens_at=now() - timedelta(days=10),
        closes_at=now() - timedelta(days=1),
    )
    db.add(survey)
    db.flush()
    question = SurveyQuestion(survey_id=survey.id, position=1, text="总体满意度", kind="score")
    db.add(question)
    db.flush()
    tally = empty_tally(survey.id, SERVICE, None, question.id)
    tally.responses, tally.n3, tally.n4, tally.n5 = 6, 1, 2, 3  # (3 + 8 + 15) / 6 = 4.33
    db.add(tally)
    db.flush()
    rows = client.get(f"{ADMIN}/districts/{w.d.id}/overview", headers=w.da).json
    figure = next(r for r in rows if r["school_id"] == w.a_id)["satisfaction_average"]
    results = client.get(f"{SCHOOL}/{w.a_id}/surveys/{survey.id}/results", headers=s.office).json
    service = next(x for x in results["subjects"] if x["kind"] == "service")
    assert figure == round(service["average"], 2) == 4.33
    tally.responses, tally.n3, tally.n4, tally.n5 = 4, 1, 1, 2  # under 5: no figure at all
    db.flush()
    rows = client.get(f"{ADMIN}/districts/{w.d.id}/overview", headers=w.da).json
    assert next(r for r in rows if r["school_id"] == w.a_id)["satisfaction_average"] is None
