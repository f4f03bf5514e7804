"""The district's endpoints in the matrix, and a filing and a blacklist entry per school."""

from __future__ import annotations

from backend.common.clock import now
from backend.districts.models import BlacklistEntry, Filing
from tests.authz.roles import DA, DO, PL, admin

D = "/admin/api/v1/districts"
DD = D + "/{district_id}"
S = "/admin/api/v1/schools/{school_id}"
F = S + "/filings"
PDF = b"%PDF-1.4 matrix"


def _reads(method, path, **kw):
    """What the platform and the district's own admin may read; another district 404."""
    return admin(method, path, (PL, DA), rest=403, also={DO: 404}, **kw)


def _decisions(method, path, **kw):
    """The district's own decisions: its admins only (the platform 403, another 404)."""
    return admin(method, path, (DA,), rest=403, also={DO: 404}, **kw)


ROWS = [
    admin("POST", D, (PL,), rest=403, json={"name": "新区", "code": "NEWD"}),
    admin("GET", D, (PL, DA, DO), rest=403),
    _reads("GET", DD),
    admin("PATCH", DD, (PL,), rest=403, json={"requires_plan_approval": True}),
    _reads("GET", DD + "/schools"),
    _reads("GET", DD + "/overview"),
    _reads("GET", DD + "/overview/totals"),
    _reads("GET", DD + "/overview/export"),
    _reads("GET", DD + "/filings"),
    _reads("GET", DD + "/filings/{filing_id}"),
    _reads("GET", DD + "/filings/{filing_id}/attachment"),
    _decisions("POST", DD + "/filings/{filing_id}/decision", json={"decision": "approve"}),
    _reads("GET", DD + "/provider-blacklist"),
    _decisions(
        "POST",
        DD + "/provider-blacklist",
        json={"licence_no": "L-MATRIX", "name": "机构", "reason": "违规"},
    ),
    _decisions("DELETE", DD + "/provider-blacklist/{entry_id}"),
    _reads("GET", DD + "/complaints"),
    _reads("GET", DD + "/complaints/{complaint_id}"),
    _decisions(
        "POST",
        DD + "/complaints/{complaint_id}/reply",
        json={"text": "督办意见", "resolution": "resolved"},
    ),
    admin("POST", F, json={"kind": "emergency_plan", "title": "应急预案", "body": "正文"}),
    admin("GET", F),
    admin("GET", F + "/annual-report-draft", query={"year": "2026"}),
    admin("GET", F + "/{filing_id}"),
    admin("POST", F + "/{filing_id}/resubmit", json={"body": "修改"}),
    admin("PUT", F + "/{filing_id}/attachment", form={"file": PDF}),
    admin("GET", F + "/{filing_id}/attachment"),
]


def build(school, db) -> None:
    """A submitted service plan with its attachment, and a blacklist entry, per district."""
    filing = Filing(
        school_id=school.sid,
        district_id=school.district_id,
        term_id=school.term.id,
        kind="service_plan",
        title="课后服务方案",
        body="方案",
        status="submitted",
        version=1,
        submitted_at=now(),
        attachment=PDF,
        attachment_name="plan.pdf",
        attachment_type="application/pdf",
    )
    entry = BlacklistEntry(
        district_id=school.district_id,
        licence_no=f"L-BAR-{school.key}",
        name="被禁机构",
        reason="违规",
        until=now().date().replace(year=now().year + 6),
    )
    db.add_all([filing, entry])
    db.flush()
    school.filing_id, school.blacklist_id = filing.id, entry.id


def ids(school) -> dict:
    return {"filing_id": school.filing_id, "entry_id": school.blacklist_id}
