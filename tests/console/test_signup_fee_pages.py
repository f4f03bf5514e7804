"""The office's sign-up posting and fee pages in a real Chromium, over the admin use cases."""

from __future__ import annotations

from types import SimpleNamespace

import pyotp
import sqlalchemy as sa

from backend.common.clock import today
from backend.fees.models import Payment, Statement
from backend.signup.models import Application, Objection
from tests import factories as f
from tests.console.conftest import shot
from tests.console.test_console import sign_in
from tests.console.world import account, build


def office_in(page, live, db):
    """School A's world with its office signed in (TOTP enrolled)."""
    w = build(db)
    w.office.totp_secret, w.office.totp_enabled = pyotp.random_base32(), True
    db.commit()
    sign_in(page, live, "office-a", w.office.totp_secret)
    return w


def test_office_filters_publishes_and_answers_an_objection(live, page, committed, app):
    w = office_in(page, live, committed)
    kid, parent = w.a["kids"][0], w.a["parent"]
    waiting_kid = f.student(committed, w.a["classes"][1])
    f.application(committed, w.term, waiting_kid, parent)  # waits at the class level
    approved = committed.scalar(sa.select(Application).where(Application.student_id == kid.id))
    approved.state, approved.level = "approved", None
    committed.commit()
    school_id = w.a["school"].id
    page.click("nav >> text=报名公示")
    assert page.inner_text("#fig-waiting") == "1"
    page.select_option("#applications select[name=state]", "approved")
    page.click("#applications button:has-text('筛选')")
    listed = page.inner_text("#applications table")
    assert kid.name in listed and waiting_kid.name not in listed
    page.click("#publish")
    assert page.inner_text("#done") == "已公示 1 人"
    assert page.inner_text("#fig-publicity") == "1"
    page.click("#finalize")  # the posting period runs 3 days: refused, with its end
    assert "公示期尚未结束" in page.inner_text("main")
    # A parent objects through the mini-program API; the office dismisses it with a reply.
    headers = f.auth(committed, user_row=parent)
    committed.commit()
    r = app.test_client().post(
        f"/api/v1/terms/{w.term.id}/publication/objections",
        json={"text": "该生不符合条件", "application_id": approved.id},
        headers=headers,
    )
    assert r.status_code == 201, r.json
    page.goto(f"{live}/console/schools/{school_id}/signups")
    box = page.locator(f"[data-objection='{r.json['id']}']")
    box.locator("button.secondary").click()  # no reply: refused beside the field
    assert page.locator(".field-error[data-field=response]").count() == 1
    box = page.locator(f"[data-objection='{r.json['id']}']")
    box.locator("textarea[name=response]").fill("经核实符合条件")
    box.locator("button.secondary").click()
    assert "已驳回" in page.inner_text("#objections")
    shot(page, "07-signups-posting")
    committed.expire_all()
    assert committed.get(Objection, r.json["id"]).state == "dismissed"


def test_another_school_office_cannot_answer_the_objection(live, page, committed):
    w = build(committed)
    other = account(committed, "office-b", school=w.b["school"], totp=True)
    committed.commit()
    sign_in(page, live, "office-b", other.totp_secret)
    school_a = w.a["school"].id
    assert page.goto(f"{live}/console/schools/{school_a}/signups").status == 404
    token = page.get_attribute("meta[name=csrf-token]", "content")
    url = f"{live}/console/schools/{school_a}/terms/{w.term.id}/posting"
    refused = page.request.post(url, form={"csrf_token": token, "act": "publish"})
    assert refused.status == 404


def test_office_generates_issues_and_records_an_offline_payment(live, page, committed):
    w = office_in(page, live, committed)
    period = today().strftime("%Y-%m")
    page.click("nav >> text=收费")
    assert "还没有账单" in page.inner_text("#statements")
    page.select_option("#billing select[name=period]", period)
    page.click("#generate")
    assert "请核对草稿后出账" in page.inner_text("#fee-result")
    assert page.inner_text("#fig-drafts") == "2"
    page.click("#issue")
    assert "已向家长发出 2 份" in page.inner_text("#fee-result")
    rows = committed.scalars(
        sa.select(Statement).where(Statement.term_id == w.term.id).order_by(Statement.id)
    ).all()
    billed = sum(s.total_fen for s in rows)
    first = SimpleNamespace(id=rows[0].id, total_fen=rows[0].total_fen)
    committed.rollback()  # end the read: SQLite lets the server write only then
    assert billed > 0
    assert page.inner_text("#fig-billed") == f"{billed // 100:,}.{billed % 100:02d}"
    assert page.inner_text("#fig-rate") == "0.0%"
    form = page.locator(f"#s{first.id} form.pay")
    form.locator("input[name=amount_yuan]").fill("12.3")  # 12.30 yuan = 1230 fen
    form.locator("button").click()
    assert page.locator(f"#s{first.id} .field-error[data-field=reference]").count() == 1
    form = page.locator(f"#s{first.id} form.pay")
    form.locator("input[name=amount_yuan]").fill("12.3")
    form.locator("input[name=reference]").fill("R-0001")
    form.locator("button").click()
    assert page.inner_text(f"#s{first.id} .paid") == "12.30"
    left = first.total_fen - 1230
    assert page.inner_text(f"#s{first.id} .balance") == f"{left // 100:,}.{left % 100:02d}"
    arrears = billed - 1230
    assert page.inner_text("#fig-arrears") == f"{arrears // 100:,}.{arrears % 100:02d}"
    assert page.inner_text("#fig-rate") == f"{1230 / billed * 100:.1f}%"
    page.select_option("#disclosures select[name=period]", period)
    page.click("#disclosures button")
    assert f"已公示 {period} 收支" in page.inner_text("#fee-result")
    shot(page, "08-fees")
    committed.expire_all()
    paid = committed.scalar(sa.select(Payment).where(Payment.statement_id == first.id))
    assert (paid.amount_fen, paid.reference) == (1230, "R-0001")
