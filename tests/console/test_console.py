"""The office console in a real headless Chromium, against the app on a loopback port."""

from __future__ import annotations

import io

import pyotp
import pytest
from openpyxl import Workbook

from tests import factories as f
from tests.console.conftest import shot
from tests.console.world import PASSWORD, build


def sign_in(page, live, username, secret=None):
    """Fill the sign-in form (and the TOTP code when the account has one)."""
    page.goto(f"{live}/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    if secret:
        page.fill("input[name=otp]", pyotp.TOTP(secret).now())
    page.click("main button[type=submit]")


def enrol_totp(page) -> str:
    """On the enrolment page: read the secret, send a code; returns the secret."""
    assert "/console/totp" in page.url
    assert page.locator("img.qr").get_attribute("src").startswith("data:image/svg+xml")
    secret = page.inner_text("#totp-secret").strip()
    page.fill("input[name=otp]", pyotp.TOTP(secret).now())
    page.click("main form button[type=submit]")
    return secret


def test_office_enrols_totp_and_follows_sign_ups_on_the_dashboard(live, page, committed, app):
    w = build(committed)
    sign_in(page, live, "office-a")
    shot(page, "01-totp-enrolment")
    enrol_totp(page)
    assert page.url.endswith(f"/console/schools/{w.a['school'].id}/")
    assert "第一实验小学" in page.inner_text("h1")
    assert page.inner_text("#fig-enrolled") == "2"
    assert page.inner_text("#fig-waiting") == "0"
    page.wait_for_selector("#chart-funnel svg")
    # A family applies through the mini-program API; the dashboard shows it on reload.
    kid = w.a["kids"][2] if len(w.a["kids"]) > 2 else f.student(committed, w.a["classes"][0])
    parent = f.user(committed, phone="13911112222")
    f.guardian_of(committed, parent, kid)
    committed.commit()
    headers = f.auth(committed, user_row=parent)
    committed.commit()
    r = app.test_client().post(
        "/api/v1/applications",
        json={
            "term_id": w.term.id,
            "student_id": kid.id,
            "agreement_id": w.agreement.id,
            "agree": True,
        },
        headers=headers,
    )
    assert r.status_code == 201, r.json
    page.reload()
    assert page.inner_text("#fig-waiting") == "1"
    shot(page, "02-dashboard")


def test_roster_import_shows_the_bad_row_in_place(live, page, committed):
    w = build(committed)
    w.office.totp_secret, w.office.totp_enabled = pyotp.random_base32(), True
    committed.commit()
    sign_in(page, live, "office-a", w.office.totp_secret)
    page.click("text=学生名册")
    book = Workbook()
    sheet = book.active
    klass = f"{w.a['grade'].name}/{w.a['classes'][0].name}"
    sheet.append(["学号", "姓名", "班级", "家长姓名", "家长手机", "关系"])
    sheet.append(["NEW001", "新同学", klass, "新家长", "13700000001", "母亲"])
    sheet.append(["NEW002", "错行同学", klass, "家长", "12345", "母亲"])
    data = io.BytesIO()
    book.save(data)
    page.set_input_files(
        "input[type=file]",
        files=[
            {
                "name": "roster.xlsx",
                "mimeType": "application/octet-stream",
                "buffer": data.getvalue(),
            }
        ],
    )
    page.click("form[enctype] button[type=submit]")
    result = page.inner_text("#import-result")
    assert "新增 1 人" in result
    assert "3" in page.inner_text("#import-result table.errors td:first-child")
    assert "新同学" in page.inner_text("main")
    shot(page, "03-roster-import")


def test_grant_shows_its_binding_code_and_qr_once(live, page, committed):
    w = build(committed)
    w.office.totp_secret, w.office.totp_enabled = pyotp.random_base32(), True
    committed.commit()
    sign_in(page, live, "office-a", w.office.totp_secret)
    page.goto(f"{live}/console/schools/{w.a['school'].id}/grants")
    page.fill("input[name=name]", "李老师")
    page.select_option("select[name=class_id]", str(w.a["classes"][0].id))
    page.click("form button:has-text('生成绑定码')")
    code = page.inner_text("#binding-code").strip()
    assert len(code) >= 8
    assert page.locator("#grant-created img.qr").count() == 1
    shot(page, "04-role-grant")
    page.goto(f"{live}/console/schools/{w.a['school'].id}/grants")  # shown once only
    assert page.locator("#binding-code").count() == 0
    page.fill("input[name=name]", "王老师")
    page.click("form button:has-text('生成绑定码')")  # a head teacher without a class
    assert page.locator(".error").count() >= 1


def test_csrf_less_post_and_another_school_are_refused(live, page, committed):
    w = build(committed)
    w.office.totp_secret, w.office.totp_enabled = pyotp.random_base32(), True
    committed.commit()
    sign_in(page, live, "office-a", w.office.totp_secret)
    url = f"{live}/console/schools/{w.a['school'].id}/grants"
    refused = page.request.post(url, form={"role": "gate_staff", "name": "门卫"})
    assert refused.status == 403
    other = page.goto(f"{live}/console/schools/{w.b['school'].id}/")
    assert other.status == 404
    assert "找不到" in page.inner_text("main")
    assert page.goto(f"{live}/console/districts/{w.district.id}/").status == 403


def test_district_admin_sees_both_schools_and_decides_a_filing(live, page, committed):
    w = build(committed)
    from backend.common.clock import now
    from backend.districts.models import Filing

    committed.add(
        Filing(
            school_id=w.a["school"].id,
            district_id=w.district.id,
            term_id=w.term.id,
            kind="service_plan",
            title="第一实验小学课后服务方案",
            body="方案正文",
            status="submitted",
            version=1,
            submitted_at=now(),
        )
    )
    committed.commit()
    sign_in(page, live, "bureau-d", w.bureau.totp_secret)
    assert f"/console/districts/{w.district.id}/" in page.url
    assert page.inner_text("#fig-schools") == "2"
    table = page.inner_text("#overview")
    assert "第一实验小学" in table and "第二实验小学" in table
    page.wait_for_selector("#chart-district svg")
    shot(page, "05-district-overview")
    page.click("text=第一实验小学课后服务方案")
    page.click("button:has-text('退回修改')")
    assert page.locator(".error").count() == 1  # returning needs a comment
    page.fill("textarea[name=comment]", "请补充安全预案")
    page.click("button:has-text('退回修改')")
    assert f"/console/districts/{w.district.id}/" in page.url
    assert "没有待审的备案" in page.inner_text("main")
    kid = w.a["kids"][0]
    assert page.goto(f"{live}/console/schools/{w.a['school'].id}/roster").status == 403
    assert kid.name not in page.content()


@pytest.mark.parametrize("path", ["/console/", "/console/schools/1/roster"])
def test_pages_need_a_sign_in(live, page, path):
    page.goto(live + path)
    assert "/console/login" in page.url


def test_office_sets_up_a_term_from_nothing(live, page, committed):
    from tests import factories as fac
    from tests.console.world import account

    school = fac.school(committed)
    grade = fac.grade(committed, school)
    fac.klass(committed, grade)
    office = account(committed, "office-new", school=school, totp=True)
    committed.commit()
    sign_in(page, live, "office-new", office.totp_secret)
    page.click("#start-setup")
    page.fill("input[name=name]", "2027年春季学期")
    page.fill("input[name=starts_on]", "2027-02-22")
    page.fill("input[name=ends_on]", "2027-06-30")
    page.fill("input[name=signup_opens_at]", "2027-02-01T08:00")
    page.fill("input[name=signup_closes_at]", "2027-02-10T18:00")
    page.fill("input[name=selection_opens_at]", "2027-02-12T08:00")
    page.fill("input[name=selection_closes_at]", "2027-02-15T18:00")
    page.fill("input[name=base_fee_fen]", "99999")  # above the cap: refused beside the field
    page.click("#new-term button[type=submit]")
    assert "上限" in page.inner_text("#new-term")
    page.fill("input[name=base_fee_fen]", "6000")
    page.click("#new-term button[type=submit]")
    assert "2027年春季学期" in page.inner_text("h1")
    page.fill("#agreement textarea[name=body]", "家长自愿参加课后服务……")
    page.click("#agreement button[type=submit]")
    assert "已有第1版" in page.inner_text("#agreement")
    page.fill("#calendar input[name=date]", "2027-03-05")
    page.click("#calendar button[type=submit]")
    assert "2027-03-05" in page.inner_text("#calendar")
    page.fill("#provider input[name=name]", "星光体育")
    page.fill("#provider input[name=licence_no]", "91410000TEST")
    page.fill("#provider input[name=qualification]", "体育培训许可")
    page.click("#provider button[type=submit]")
    page.fill("#course input[name=name]", "篮球")
    page.fill("#course input[name=category]", "体育")
    page.check("#course input[name=weekdays][value='1']")
    page.select_option("#course select[name=provider_id]", label="星光体育")
    page.click("#course button[type=submit]")
    assert "篮球" in page.inner_text("#courses")
    # One provider behind the term's courses: the R12 warning is shown.
    assert page.locator("#provider .warn[data-rule=R12]").count() == 1
    shot(page, "06-term-setup")
