"""Today's dismissal, complaints, filings and the audit chain in a real Chromium."""

from __future__ import annotations

from datetime import time

import pyotp
import sqlalchemy as sa

from backend.audit.models import AuditLog
from backend.common.clock import now, today
from backend.complaints.models import Complaint
from backend.districts.models import Filing
from tests import factories as f
from tests.console.conftest import shot
from tests.console.test_console import sign_in
from tests.console.world import account, build
from tests.pickup.conftest import build as pickup_world
from tests.pickup.conftest import close_on, issue_code


def hand_over(client, ns, kid):
    """A guardian's code for `kid`, scanned at the gate: the pupil is collected."""
    body = {"name": "王奶奶", "relation": "grandmother", "phone": f"135{f.n():08d}"}
    r = client.post(f"/api/v1/students/{kid.id}/pickup-persons", json=body, headers=ns.h_parent)
    assert r.status_code == 201, r.json
    person = r.json
    code = issue_code(client, ns, person["id"], student=kid)
    r = client.post(
        "/api/v1/gate/handoffs",
        json={"code": code["code"], "outcome": "released"},
        headers=ns.h_gate,
    )
    assert r.status_code in (200, 201), r.json


def test_dismissal_board_counts_per_class_and_refreshes_itself(live, page, committed, app):
    # Service ended at midnight with no grace: everyone still in school is overdue.
    w = pickup_world(committed, end=time(0, 0), grace=0)
    a = w.a
    office = account(committed, "office-pk", school=a.school, totp=True)
    f.guardian_of(committed, a.parent, a.classmate)
    committed.commit()
    client = app.test_client()
    hand_over(client, a, a.kid)
    sign_in(page, live, "office-pk", office.totp_secret)
    page.click("nav >> text=今日放学")
    board = page.locator("#dismissal-board")
    assert board.get_attribute("hx-trigger") == "every 10s"
    assert board.get_attribute("hx-get").endswith(f"/schools/{a.school.id}/dismissal/board")
    first = page.locator(f"tr[data-class='{a.classes[0].id}']")
    assert first.locator(".in-school").inner_text() == "1"
    assert a.classmate.name in first.locator(".overdue").inner_text()
    assert a.kid.name not in first.locator(".overdue").inner_text()
    assert page.inner_text("#tot-in-school") == "2"
    assert page.inner_text("#tot-overdue") == "2"
    shot(page, "09-dismissal")
    # The classmate is collected; the board's own htmx request brings the new counts.
    hand_over(client, a, a.classmate)
    page.evaluate(
        "htmx.ajax('GET', htmx.find('#dismissal-board').getAttribute('hx-get'),"
        " {target: '#dismissal-board', swap: 'outerHTML'})"
    )
    page.wait_for_function("document.querySelector('#tot-in-school').innerText === '1'")
    assert page.locator("#dismissal-board").get_attribute("hx-trigger") == "every 10s"
    # Another school's office sees neither the page nor the partial.
    page.context.clear_cookies()
    other = account(committed, "office-pk-b2", school=w.b.school, totp=True)
    committed.commit()
    sign_in(page, live, "office-pk-b2", other.totp_secret)
    assert page.goto(f"{live}/console/schools/{a.school.id}/dismissal").status == 404
    assert page.goto(f"{live}/console/schools/{a.school.id}/dismissal/board").status == 404


def test_complaints_hide_anonymous_filers_and_are_answered(live, page, committed, app):
    w = build(committed)
    office = w.office
    office.totp_secret, office.totp_enabled = pyotp.random_base32(), True
    kid, parent = w.a["kids"][0], w.a["parent"]
    headers = f.auth(committed, user_row=parent)
    committed.commit()
    client, school_id = app.test_client(), w.a["school"].id
    body = {"school_id": school_id, "category": "safety"}
    hidden = client.post(
        "/api/v1/complaints",
        json={**body, "text": "放学时门口拥堵", "anonymous": True},
        headers=headers,
    )
    named = client.post(
        "/api/v1/complaints",
        json={**body, "category": "fees", "text": "收费有疑问", "student_id": kid.id},
        headers=headers,
    )
    assert hidden.status_code == 201 and named.status_code == 201, (hidden.json, named.json)
    sign_in(page, live, "office-a", office.totp_secret)
    page.click("nav >> text=投诉")
    assert page.inner_text("#fig-submitted") == "2"
    anon = page.locator(f"#c{hidden.json['id']}")
    assert anon.locator(".filer").inner_text() == "匿名"
    assert kid.name not in anon.inner_text()
    assert kid.name in page.inner_text(f"#c{named.json['id']}")
    page.select_option("select[name=category]", "safety")
    page.click("button:has-text('筛选')")
    assert page.locator("[data-complaint]").count() == 1
    page.locator(f"#c{hidden.json['id']} button.accept").click()
    page.locator(f"#c{hidden.json['id']} button.reply").click()  # no text: refused in place
    assert page.locator(f"#c{hidden.json['id']} .field-error[data-field=text]").count() == 1
    page.fill(f"#c{hidden.json['id']} textarea[name=text]", "已安排教师在门口疏导")
    page.locator(f"#c{hidden.json['id']} button.reply").click()
    assert "已解决" in page.inner_text(f"#c{hidden.json['id']}")
    shot(page, "10-complaints")
    committed.expire_all()
    assert committed.get(Complaint, hidden.json["id"]).status == "resolved"
    # Another school's office cannot take it up.
    page.context.clear_cookies()
    other = account(committed, "office-b", school=w.b["school"], totp=True)
    committed.commit()
    sign_in(page, live, "office-b", other.totp_secret)
    assert page.goto(f"{live}/console/schools/{school_id}/complaints").status == 404
    token = page.get_attribute("meta[name=csrf-token]", "content")
    url = f"{live}/console/schools/{school_id}/complaints/{named.json['id']}/accept"
    assert page.request.post(url, form={"csrf_token": token}).status == 404


def test_filings_draft_resubmit_and_the_audit_chain_state(live, page, committed):
    w = build(committed)
    w.office.totp_secret, w.office.totp_enabled = pyotp.random_base32(), True
    school_id = w.a["school"].id
    returned = Filing(
        school_id=school_id,
        district_id=w.district.id,
        term_id=w.term.id,
        kind="service_plan",
        title="课后服务方案",
        body="初稿",
        status="returned",
        version=1,
        submitted_at=now(),
        comment="请补充安全预案",
    )
    committed.add(returned)
    committed.commit()
    sign_in(page, live, "office-a", w.office.totp_secret)
    page.click("nav >> text=备案")
    page.fill("#new-filing textarea[name=body]", "正文")
    page.click("#new-filing button[type=submit]")  # no title: refused beside the field
    assert page.locator("#new-filing .field-error[data-field=title]").count() == 1
    box = page.locator(f"[data-filing='{returned.id}']")
    assert "请补充安全预案" in box.inner_text()
    box.locator("textarea[name=body]").fill("修改稿：含安全预案")
    box.locator("button").click()
    box = page.locator(f"[data-filing='{returned.id}']")
    assert "第2版" in box.inner_text() and "待审核" in box.inner_text()
    page.click("#annual-draft")
    assert "年度课后服务工作报告" in page.input_value("#new-filing input[name=title]")
    assert page.locator("#new-filing select[name=kind]").input_value() == "annual_report"
    page.click("#new-filing button[type=submit]")
    assert page.locator("[data-filing]").count() == 2
    shot(page, "11-filings")
    # The audit page verifies the hash chain; a row changed behind its back is caught.
    page.click("nav >> text=操作日志")
    assert page.get_attribute("#chain-state", "data-ok") == "true"
    shot(page, "12-audit-chain")
    first = committed.scalar(
        sa.select(AuditLog).where(AuditLog.chain == school_id).order_by(AuditLog.seq)
    )
    committed.execute(sa.update(AuditLog).where(AuditLog.id == first.id).values(action="x"))
    committed.commit()
    page.reload()
    assert page.get_attribute("#chain-state", "data-ok") == "false"
    assert f"第 {first.seq} 条" in page.inner_text("#chain-state")


def test_the_nav_fits_a_tablet_and_a_laptop(live, page, committed):
    w = build(committed)
    w.office.totp_secret, w.office.totp_enabled = pyotp.random_base32(), True
    committed.commit()
    sign_in(page, live, "office-a", w.office.totp_secret)
    for width, height in ((1280, 800), (768, 1024)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live}/console/schools/{w.a['school'].id}/fees")
        links = page.locator("header.top nav a")
        assert links.count() == 12  # every school page, none off screen (the nav wraps)
        boxes = [links.nth(i).bounding_box() for i in range(links.count())]
        assert all(b["x"] >= 0 and b["x"] + b["width"] <= width for b in boxes)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, "13-tablet-nav")
    page.click("nav >> text=今日放学")  # a tablet user still reaches every page
    assert "今日放学" in page.inner_text("h1")


def test_a_day_without_service_says_so_instead_of_an_error(live, page, committed):
    w = build(committed)
    w.office.totp_secret, w.office.totp_enabled = pyotp.random_base32(), True
    close_on(committed, w.term, today())
    committed.commit()
    sign_in(page, live, "office-a", w.office.totp_secret)
    response = page.goto(f"{live}/console/schools/{w.a['school'].id}/dismissal")
    assert response.status == 200
    assert "不是课后服务日" in page.inner_text("#dismissal-board")


def test_office_reads_attendance_and_leave_but_not_another_schools(live, page, committed):
    from backend.common.clock import today
    from backend.pickup.models import LeaveDay, LeaveRequest

    w = build(committed)
    w.office.totp_secret, w.office.totp_enabled = pyotp.random_base32(), True
    kid = w.a["kids"][0]
    request = LeaveRequest(
        student_id=kid.id,
        school_id=w.a["school"].id,
        class_id=kid.class_id,
        term_id=w.term.id,
        reason="发烧",
        status="approved",
        requested_by=w.a["parent"].id,
    )
    committed.add(request)
    committed.flush()
    committed.add(
        LeaveDay(
            leave_request_id=request.id,
            student_id=kid.id,
            term_id=w.term.id,
            day=today(),
            refundable=False,
        )
    )
    committed.commit()
    sign_in(page, live, "office-a", w.office.totp_secret)
    page.click("nav >> text=出勤请假")
    page.select_option("#attendance select[name=class_id]", str(kid.class_id))
    page.click("#attendance button[type=submit]")
    sheet = page.inner_text("#attendance table")
    assert kid.name in sheet and "是" in sheet  # on approved leave today
    assert "发烧" in page.inner_text("#leave") and "已批准" in page.inner_text("#leave")
    shot(page, "14-attendance-leave")
    other = page.goto(f"{live}/console/schools/{w.b['school'].id}/attendance")
    assert other.status == 404
