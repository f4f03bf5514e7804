"""A month of lessons to a pay sheet, to the fen; the R17 rules; approval into the term's
expenses, disclosures and settlement; correcting sheets; exports."""

from __future__ import annotations

import io

import openpyxl
import sqlalchemy as sa

from backend.audit.models import AuditLog
from tests.staff.helpers import ADMIN, SEPT, course_teacher, hours, setup, staff, take, teach

RATES = {"teaching_per_lesson_fen": 8000, "supervision_per_hour_fen": 3000}
C1_DAYS = ["2026-09-07", "2026-09-09", "2026-09-14", "2026-09-16"]
C1_DAYS += ["2026-09-21", "2026-09-23", "2026-09-28", "2026-09-30"]


def _rates(client, s, admin_monthly_fen):
    return client.put(
        f"{ADMIN}/{s.sid}/terms/{s.tid}/pay-rates",
        json={**RATES, "admin_monthly_fen": admin_monthly_fen},
        headers=s.office,
    )


def _sheet(client, s, period=SEPT, headers=None):
    return client.post(
        f"{ADMIN}/{s.sid}/terms/{s.tid}/pay-sheets",
        json={"period": period},
        headers=headers or s.office,
    )


def _september(client, db):
    """The worked example's month (primary school: a lesson is 40 minutes).

    张老师 (teacher) and 外聘甲 (external, 星光体育 paid by workload) teach 足球 (Mon/Wed):
    its teacher takes attendance at 8 meetings (Sept 7, 9, 14, 16, 21, 23, 28, 30), so
    each of them has 8 lessons = 8 x 80.00 = 640.00 yuan, 320 minutes.
    李老师 teaches 书法 (Tue/Thu): attendance at 4 meetings (Sept 8, 10, 15, 17) =
    4 x 80.00 = 320.00; plus supervision entered as 120 min and corrected to 90 min:
    90 x 30.00 / 60 = 45.00 -> 365.00 yuan, 160 + 90 = 250 minutes.
    王老师 (teacher) has 2 lessons entered by the office (书法, Sept 22 and 24) = 160.00 and
    120 minutes of admin duty: he taught, so no separate admin amount -> 160.00, 200 min.
    赵会计 (admin) has 3 x 60 minutes of admin duty -> the admin monthly amount 450.00.
    外聘乙 of 未来科技 (paid as a package of 1,500.00 a month) teaches 机器人 (Fri):
    3 meetings (Sept 4, 11, 18; the 25th is a holiday) -> one line 未来科技 1,500.00.
    Average of those who taught: (640 + 640 + 365 + 160) / 4 = 451.25 >= 450.00 admin.
    Total: 640 + 640 + 365 + 160 + 450 + 1500 = 3,755.00 yuan = 375500 fen.
    """
    s = setup(db, client)
    zhang, li, wang = (staff(client, s, n) for n in ("张老师", "李老师", "王老师"))
    zhao = staff(client, s, "赵会计", kind="admin")
    ext1 = staff(client, s, "外聘甲", kind="external", provider_id=s.p1.id)
    ext2 = staff(client, s, "外聘乙", kind="external", provider_id=s.p2.id)
    r = client.put(
        f"{ADMIN}/{s.sid}/providers/{s.p2.id}/pay-terms",
        json={"mode": "package", "package_monthly_fen": 150000},
        headers=s.office,
    )
    assert r.status_code == 200 and r.json["mode"] == "package"
    teach(client, s, s.c1.id, [zhang, ext1])
    teach(client, s, s.c2.id, [li])
    teach(client, s, s.c3.id, [ext2])
    t_zhang, t_li, t_ext2 = (course_teacher(db, s, x) for x in (zhang, li, ext2))
    marks = [{"student_id": k.id, "status": "present"} for k in s.kids]
    for day in C1_DAYS:
        assert take(client, t_zhang, s.c1.id, day, marks).status_code == 200
    for day in ("2026-09-08", "2026-09-10", "2026-09-15", "2026-09-17"):
        assert take(client, t_li, s.c2.id, day, []).status_code == 200
    for day in ("2026-09-04", "2026-09-11", "2026-09-18"):
        assert take(client, t_ext2, s.c3.id, day, []).status_code == 200
    sup = hours(client, s, li, "2026-09-15", 120, "supervision").json
    r = client.post(
        f"{ADMIN}/{s.sid}/staff-hours/{sup['id']}/corrections",
        json={"minutes": 90, "reason": "看护实际90分钟"},
        headers=s.office,
    )
    assert r.status_code == 201 and r.json["negation"]["minutes"] == -120
    for day in ("2026-09-22", "2026-09-24"):
        assert hours(client, s, wang, day, 40, "teaching", s.c2.id).status_code == 201
    assert hours(client, s, wang, "2026-09-23", 120, "admin").status_code == 201
    for day in ("2026-09-07", "2026-09-08", "2026-09-09"):
        assert hours(client, s, zhao, day, 60, "admin").status_code == 201
    s.staff = dict(zhang=zhang, li=li, wang=wang, zhao=zhao, ext1=ext1, ext2=ext2)
    return s


def test_a_month_of_lessons_gives_the_hand_computed_sheet(client, db):
    s = _september(client, db)
    assert _rates(client, s, 45000).status_code == 200
    r = _sheet(client, s)
    assert r.status_code == 201, r.json
    assert r.json["status"] == "draft" and r.json["period"] == SEPT
    got = {
        (x["name"], x["kind"]): (x["lessons"], x["minutes"], x["amount_fen"])
        for x in r.json["lines"]
    }
    assert got == {
        ("张老师", "teacher"): (8, 320, 64000),
        ("外聘甲", "external"): (8, 320, 64000),
        ("李老师", "teacher"): (4, 250, 36500),
        ("王老师", "teacher"): (2, 200, 16000),
        ("赵会计", "admin"): (0, 180, 45000),
        ("未来科技", "provider"): (3, 120, 150000),
    }
    assert r.json["total_fen"] == 375500
    wang = next(x for x in r.json["lines"] if x["name"] == "王老师")
    assert wang["admin_fen"] == 0 and "不另发行政补助" in wang["note"]
    package = next(x for x in r.json["lines"] if x["kind"] == "provider")
    assert package["staff_id"] is None and package["provider_id"] == s.p2.id


def test_admin_amount_above_the_teaching_average_is_refused(client, db):
    s = _september(client, db)
    _rates(client, s, 46000)
    r = _sheet(client, s)
    assert r.status_code == 422 and r.json["error"] == "admin_pay_above_average"
    assert "460.00" in r.json["message"] and "451.25" in r.json["message"]
    r = _sheet(client, s, headers={**s.office, "Accept-Language": "en"})
    assert "460.00" in r.json["message"] and "451.25" in r.json["message"]
    assert "行政" not in r.json["message"]
    _rates(client, s, 45125)  # exactly the average is allowed
    assert _sheet(client, s).status_code == 201


def test_admin_and_teaching_the_same_month_gets_no_separate_admin_amount(client, db):
    s = _september(client, db)
    _rates(client, s, 45000)
    hours(client, s, s.staff["zhao"], "2026-09-29", 40, "teaching", s.c2.id)
    lines = _sheet(client, s).json["lines"]
    zhao = next(x for x in lines if x["name"] == "赵会计")
    assert (zhao["lessons"], zhao["admin_fen"], zhao["amount_fen"]) == (1, 0, 8000)


def test_approved_total_is_the_months_expense_in_disclosure_and_settlement(client, db):
    s = _september(client, db)
    _rates(client, s, 45000)
    sheet = _sheet(client, s).json
    url = f"{ADMIN}/{s.sid}/terms/{s.tid}/pay-sheets/{sheet['id']}/approve"
    r = client.post(url, headers=s.office)
    assert r.status_code == 200 and r.json["status"] == "approved"
    assert client.post(url, headers=s.office).json["error"] == "illegal_transition"
    expenses = client.get(f"{ADMIN}/{s.sid}/terms/{s.tid}/expenses", headers=s.office).json
    assert [(e["category"], e["amount_fen"], e["spent_on"]) for e in expenses] == [
        ("staff_pay", 375500, "2026-09-30")
    ]
    disclosure = client.post(
        f"{ADMIN}/{s.sid}/terms/{s.tid}/disclosures", json={"period": SEPT}, headers=s.office
    ).json["report"]
    assert disclosure["staff_pay_fen"] == 375500
    assert disclosure["expenses_by_category"]["staff_pay"] == 375500
    october = client.post(
        f"{ADMIN}/{s.sid}/terms/{s.tid}/disclosures", json={"period": "2026-10"}, headers=s.office
    ).json["report"]
    assert october["staff_pay_fen"] == 0
    settled = client.post(f"{ADMIN}/{s.sid}/terms/{s.tid}/settlement", headers=s.office).json
    assert settled["expenses_fen"] == 375500 and settled["status"] == "deficit"
    audit = db.scalars(sa.select(AuditLog.action).where(AuditLog.school_id == s.sid)).all()
    assert {"pay_sheet.generate", "pay_sheet.approve", "staff_hours.correct"} <= set(audit)


def test_an_approved_month_is_corrected_only_by_a_difference_sheet(client, db):
    s = _september(client, db)
    _rates(client, s, 45000)
    first = _sheet(client, s).json
    client.post(f"{ADMIN}/{s.sid}/terms/{s.tid}/pay-sheets/{first['id']}/approve", headers=s.office)
    r = _sheet(client, s)
    assert r.status_code == 409 and r.json["error"] == "nothing_to_correct"
    # Sept 2 was held but not entered: one more lesson for 张老师.
    assert (
        hours(client, s, s.staff["zhang"], "2026-09-02", 40, "teaching", s.c1.id).status_code == 201
    )
    dup = hours(client, s, s.staff["zhang"], "2026-09-02", 40, "teaching", s.c1.id)
    assert dup.status_code == 409 and dup.json["error"] == "duplicate_hours"
    fix = _sheet(client, s).json
    assert fix["corrects_id"] == first["id"]
    assert [(x["name"], x["lessons"], x["minutes"], x["amount_fen"]) for x in fix["lines"]] == [
        ("张老师", 1, 40, 8000)
    ]
    assert fix["total_fen"] == 8000
    client.post(f"{ADMIN}/{s.sid}/terms/{s.tid}/pay-sheets/{fix['id']}/approve", headers=s.office)
    expenses = client.get(f"{ADMIN}/{s.sid}/terms/{s.tid}/expenses", headers=s.office).json
    assert sorted(e["amount_fen"] for e in expenses) == [8000, 375500]
    first_again = client.get(
        f"{ADMIN}/{s.sid}/terms/{s.tid}/pay-sheets/{first['id']}", headers=s.office
    ).json
    assert first_again["total_fen"] == 375500  # the approved sheet itself never changed


def test_exports_for_the_bursar_and_the_spending_ledger(client, db):
    s = _september(client, db)
    _rates(client, s, 45000)
    sheet = _sheet(client, s).json
    client.post(f"{ADMIN}/{s.sid}/terms/{s.tid}/pay-sheets/{sheet['id']}/approve", headers=s.office)
    client.post(
        f"{ADMIN}/{s.sid}/terms/{s.tid}/expenses",
        json={
            "category": "materials",
            "amount_fen": 1250,
            "spent_on": "2026-10-08",
            "note": "=1+1",
        },
        headers=s.office,
    )
    r = client.get(
        f"{ADMIN}/{s.sid}/terms/{s.tid}/pay-sheets/{sheet['id']}/export", headers=s.office
    )
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(r.data)).active
    rows = [list(row) for row in ws.iter_rows(values_only=True)]
    header = rows.index(["姓名", "类别", "课时数", "时长（小时）", "标准", "金额（元）", "签字"])
    zhang = next(row for row in rows if row[0] == "张老师")
    assert zhang[1:6] == ["教师", 8, "5.33", "80.00元/课时", "640.00"]
    totals = next(row for row in rows if row[0] == "合计")
    assert totals[5] == "3755.00" and header > 0
    r = client.get(f"{ADMIN}/{s.sid}/terms/{s.tid}/spending-ledger/export", headers=s.office)
    book = openpyxl.load_workbook(io.BytesIO(r.data))
    detail = [list(x) for x in book["支出台账"].iter_rows(values_only=True)]
    assert detail[1][:4] == ["2026-09-30", "2026-09", "劳务报酬（核定发放表）", "3755.00"]
    assert detail[2][4] == "'=1+1"  # a formula typed by the office stays text
    summary = [list(x) for x in book["按月分类汇总"].iter_rows(values_only=True)]
    assert summary[-1][0] == "合计" and summary[-1][-1] == "3767.50"


def test_staff_pay_cannot_be_typed_in_by_hand(client, db):
    s = setup(db, client)
    r = client.post(
        f"{ADMIN}/{s.sid}/terms/{s.tid}/expenses",
        json={"category": "staff_pay", "amount_fen": 100, "spent_on": "2026-09-30"},
        headers=s.office,
    )
    assert r.status_code == 422


def test_sheet_needs_rates_and_a_month_of_the_term(client, db):
    s = setup(db, client)
    assert _sheet(client, s).json["error"] == "pay_rates_missing"
    _rates(client, s, 0)
    assert _sheet(client, s, period="2027-03").status_code == 422
    assert _sheet(client, s, period="term").status_code == 422
    empty = _sheet(client, s).json
    assert empty["lines"] == [] and empty["total_fen"] == 0
    # Generating again recomputes the one draft of the month.
    assert _sheet(client, s).json["id"] == empty["id"]


def test_wrong_callers_of_pay_sheets(client, db):
    s = setup(db, client)
    base = f"{ADMIN}/{s.sid}/terms/{s.tid}"
    assert (
        client.put(
            f"{base}/pay-rates", json={**RATES, "admin_monthly_fen": 1}, headers=s.office_b
        ).status_code
        == 404
    )
    assert (
        client.post(f"{base}/pay-sheets", json={"period": SEPT}, headers=s.parent).status_code
        == 401
    )
    _rates(client, s, 0)
    sheet = _sheet(client, s).json
    assert client.get(f"{base}/pay-sheets/{sheet['id']}", headers=s.office_b).status_code == 404
    assert (
        client.post(f"{base}/pay-sheets/{sheet['id']}/approve", headers=s.office_b).status_code
        == 404
    )
    assert client.get(f"{base}/pay-sheets/{sheet['id']}", headers=s.platform).status_code == 200
