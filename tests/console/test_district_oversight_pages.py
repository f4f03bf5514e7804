"""The district's complaint oversight and blacklist pages in a real browser."""

from __future__ import annotations

from datetime import timedelta

import pyotp

from backend.common.clock import now
from backend.complaints.models import Complaint
from tests import factories as f
from tests.console.conftest import shot
from tests.console.test_console import sign_in
from tests.console.world import build


def _escalated(db, w) -> Complaint:
    """An escalated, overdue complaint at school A, filed by a parent."""
    parent = f.user(db, phone="13955550001")
    row = Complaint(
        school_id=w.a["school"].id,
        tracking_no="TS-0001",
        category="fees",
        text="收费标准没有公示",
        anonymous=False,
        filer_user_id=parent.id,
        filer_name="王家长",
        status="escalated",
        due_at=now() - timedelta(days=2),
        escalated_at=now() - timedelta(days=1),
    )
    db.add(row)
    db.commit()
    return row


def test_district_replies_to_an_escalated_complaint(live, page, committed):
    w = build(committed)
    c = _escalated(committed, w)
    sign_in(page, live, "bureau-d", w.bureau.totp_secret)
    page.click("#to-complaints")
    card = page.locator(f"#c{c.id}")
    assert "收费标准没有公示" in card.inner_text() and "第一实验小学" in card.inner_text()
    assert "王家长" not in page.content()  # never the filer to the district
    card.locator("button.reply").click()
    assert page.inner_text(f"#c{c.id} .field-error[data-field=text]") == "此项必填"
    shot(page, "20-district-complaints")
    page.locator(f"#c{c.id} textarea[name=text]").fill("已督促学校公示收费标准")
    page.locator(f"#c{c.id} button.reply").click()
    # Answered, it leaves the district's list (neither escalated nor overdue any more).
    assert page.locator(f"#c{c.id}").count() == 0
    assert "没有上报或超期的投诉" in page.inner_text("main")
    committed.expire_all()
    answered = committed.get(Complaint, c.id)
    assert (answered.status, answered.replied_by) == ("resolved", "district")


def test_district_blacklists_and_lifts_a_licence(live, page, committed):
    w = build(committed)
    sign_in(page, live, "bureau-d", w.bureau.totp_secret)
    page.click("#to-blacklist")
    page.fill("input[name=licence_no]", "91110000XYZ")
    page.click("#blacklist-add button[type=submit]")
    assert page.locator(".field-error[data-field=name]").count() == 1
    assert page.input_value("input[name=licence_no]") == "91110000XYZ"
    page.fill("input[name=name]", "某某培训公司")
    page.fill("textarea[name=reason]", "违规收费")
    page.click("#blacklist-add button[type=submit]")
    row = page.locator("#blacklist tbody tr")
    assert row.count() == 1 and "生效中" in row.inner_text()
    shot(page, "21-district-blacklist")
    row.locator("button.lift").click()
    assert "已解除" in page.locator("#blacklist tbody tr .state").inner_text()
    # A school's office has no district pages at all.
    page.context.clear_cookies()
    w.office.totp_secret, w.office.totp_enabled = pyotp.random_base32(), True
    committed.commit()
    sign_in(page, live, "office-a", w.office.totp_secret)
    for path in ("blacklist", "complaints"):
        assert page.goto(f"{live}/console/districts/{w.district.id}/{path}").status == 403
