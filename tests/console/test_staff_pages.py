"""Staff records, pay rates and monthly pay sheets in a real browser."""

from __future__ import annotations

import pyotp

from backend.common.clock import today
from backend.staff.models import StaffHours, StaffMember
from tests.console.conftest import shot
from tests.console.test_console import sign_in
from tests.console.world import build


def test_office_pays_staff_for_a_month(live, page, committed):
    w = build(committed)
    w.office.totp_secret, w.office.totp_enabled = pyotp.random_base32(), True
    committed.commit()
    sign_in(page, live, "office-a", w.office.totp_secret)
    page.click("text=教职工报酬")
    page.fill("#staff-add input[name=name]", "李老师")
    page.fill("#staff-add input[name=phone]", "12345")
    page.click("#staff-add button[type=submit]")
    assert page.locator("#staff-add .field-error[data-field=phone]").count() == 1
    page.fill("#staff-add input[name=phone]", "13800001111")
    page.click("#staff-add button[type=submit]")
    assert "李老师" in page.inner_text("#staff")
    page.click("#generate button[type=submit]")  # no rates yet: refused in place
    assert "请先设置本学期的劳务报酬标准" in page.inner_text("section:has(#generate) p.error")
    page.fill("input[name=teaching_per_lesson_yuan]", "60")
    page.fill("input[name=supervision_per_hour_yuan]", "40.5")
    page.fill("input[name=admin_monthly_yuan]", "0")
    page.click("#rates button[type=submit]")
    assert page.input_value("input[name=supervision_per_hour_yuan]") == "40.50"
    teacher = committed.query(StaffMember).filter_by(name="李老师").one()
    committed.add(
        StaffHours(
            school_id=w.a["school"].id,
            term_id=w.term.id,
            staff_id=teacher.id,
            day=today(),
            duty="supervision",
            minutes=90,
            lessons=0,
            source="office",
        )
    )
    committed.commit()
    page.select_option("#generate select[name=period]", today().strftime("%Y-%m"))
    page.click("#generate button[type=submit]")
    assert page.inner_text("#sheet-status") == "草稿"
    assert page.inner_text("#sheet-total") == "60.75"  # 1.5 h x 40.50
    assert "李老师" in page.inner_text("#lines")
    page.click("#approve")
    assert page.inner_text("#sheet-status") == "已审批"
    shot(page, "22-pay-sheet")
    with page.expect_download() as got:
        page.click("#sheet-export")
    assert got.value.suggested_filename.endswith(".xlsx")
    page.click("text=返回教职工与报酬")
    assert "60.75" in page.inner_text("#sheets")
    shot(page, "23-staff")
    # The district's bureau has no school's staff page.
    page.context.clear_cookies()
    sign_in(page, live, "bureau-d", w.bureau.totp_secret)
    assert page.goto(f"{live}/console/schools/{w.a['school'].id}/staff").status == 403
