"""The office's lottery page in a real browser: commit, draw with the seed, read the result."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pyotp

from backend.common.clock import now
from backend.courses.models import Preference
from backend.terms.models import Term
from tests import factories as f
from tests.console.conftest import shot
from tests.console.test_console import sign_in
from tests.console.world import build

SEED = "kehou-2026-autumn-seed"


def test_office_commits_then_draws_the_lottery(live, page, committed):
    w = build(committed)
    term = f.term(committed, w.a["school"], name="2027年春季学期", selection_mode="lottery")
    chess = f.course(committed, term, name="国际象棋", capacity=1, seats_taken=0)
    for kid in w.a["kids"][:2]:  # two pupils want the one seat
        f.enrolled(committed, term, kid)
        committed.add(Preference(term_id=term.id, student_id=kid.id, course_ids=[chess.id]))
    w.office.totp_secret, w.office.totp_enabled = pyotp.random_base32(), True
    committed.commit()
    sign_in(page, live, "office-a", w.office.totp_secret)
    page.click("text=学期设置")
    page.click("a.to-lottery")
    assert page.locator("a.to-lottery").count() == 0  # on the lottery page now
    page.fill("input[name=seed_hash]", "not-a-hash")
    page.click("#commit button[type=submit]")
    assert page.locator(".field-error[data-field=seed_hash]").count() == 1
    digest = hashlib.sha256(SEED.encode()).hexdigest()
    page.fill("input[name=seed_hash]", digest.upper())
    page.click("#commit button[type=submit]")
    assert page.inner_text("#seed-hash") == digest
    page.fill("input[name=seed]", SEED)
    page.click("#draw button[type=submit]")  # the window is still open: refused in place
    assert "选课" in page.inner_text("#drawing p.error")
    row = committed.get(Term, term.id)
    row.selection_closes_at = now() - timedelta(minutes=1)
    committed.commit()
    page.fill("input[name=seed]", "another-seed-123")
    page.click("#draw button[type=submit]")
    assert page.locator(".field-error[data-field=seed]").count() == 1
    page.fill("input[name=seed]", SEED)
    page.click("#draw button[type=submit]")
    assert page.inner_text("#seed") == SEED
    assert (page.inner_text("#fig-placed"), page.inner_text("#fig-waitlisted")) == ("1", "1")
    assert f"/api/v1/terms/{term.id}/lottery/inputs" in page.inner_text("#inputs-path")
    shot(page, "24-lottery")
    # The district's bureau cannot run a school's lottery.
    page.context.clear_cookies()
    sign_in(page, live, "bureau-d", w.bureau.totp_secret)
    url = f"{live}/console/schools/{w.a['school'].id}/terms/{term.id}/lottery"
    assert page.goto(url).status == 403
