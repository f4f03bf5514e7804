"""How a term is shown: its fields, current agreement, sign-up state and the office's
warnings (no agreement yet, years without official holiday data)."""

from __future__ import annotations

import sqlalchemy as sa

from backend.common.clock import now
from backend.districts import queries as district_queries
from backend.errors import wants_english
from backend.terms.calendar import uncovered_years
from backend.terms.models import Agreement, Term

FIELDS = (
    "name",
    "starts_on",
    "ends_on",
    "signup_opens_at",
    "signup_closes_at",
    "selection_mode",
    "selection_opens_at",
    "selection_closes_at",
    "publicity_days",
    "review_levels",
    "review_overdue_days",
    "max_courses_per_student",
    "billing_mode",
    "base_fee_fen",
    "service_end_time",
    "pickup_cutoff_time",
    "pickup_grace_minutes",
)

_REASONS = {
    "upcoming": ("报名尚未开始", "Sign-up has not opened yet"),
    "closed": ("报名已截止", "Sign-up has closed"),
    "not_ready": (
        "学校尚未发布服务协议，暂不能报名",
        "The school has not published the service agreement yet; sign-up is not available",
    ),
    "plan_not_approved": (
        "本学期课后服务方案尚未经教育局备案通过，暂不能报名",
        "The district has not yet approved the term's service plan; sign-up is not available",
    ),
}


def _say(zh: str, en: str) -> str:
    return en if wants_english() else zh


def snapshot(term: Term) -> dict:
    """The term's own fields (also what the audit trail records)."""
    return {name: getattr(term, name) for name in FIELDS}


def latest_agreement(session, term_id: int) -> Agreement | None:
    """The agreement version new applicants agree to, if any."""
    return session.scalar(
        sa.select(Agreement).where(Agreement.term_id == term_id).order_by(Agreement.version.desc())
    )


def signup_state(term: Term, agreement: Agreement | None, moment=None) -> str:
    """upcoming, open, closed, or not_ready (window open but no agreement to agree to)."""
    moment = moment or now()
    if moment < term.signup_opens_at:
        return "upcoming"
    if moment >= term.signup_closes_at:
        return "closed"
    return "open" if agreement is not None else "not_ready"


def office_warnings(term: Term, agreement: Agreement | None, state: str) -> list[dict]:
    """What the office should fix or check before families rely on the term."""
    out = []
    if agreement is None and state != "closed":
        out.append(
            {
                "code": "no_agreement",
                "message": _say(
                    "尚未发布服务协议：报名开放后家长也无法报名，请先发布协议",
                    "No service agreement yet: families cannot sign up until one is published",
                ),
            }
        )
    years = uncovered_years(term.starts_on, term.ends_on)
    if years:
        listed = "、".join(map(str, years))
        out.append(
            {
                "code": "holiday_data_missing",
                "years": years,
                "message": _say(
                    f"{listed}年的法定节假日和调休尚未收录：这些日期暂按周一至周五计算，"
                    "请在校历中核对并调整",
                    f"No official holiday data for {', '.join(map(str, years))}: those dates "
                    "count Monday to Friday as service days; check and override the calendar",
                ),
            }
        )
    return out


def term_view(session, term: Term, *, office: bool = False) -> dict:
    """The term with its current agreement and sign-up state (and warnings for the office).

    A district that requires plan approval keeps the term not_ready until it approves the
    term's service plan (R18); the office sees why in `signup_blocked_reason`."""
    agreement = latest_agreement(session, term.id)
    state = signup_state(term, agreement)
    blocked = district_queries.plan_requirement(session, term.school_id, term.id)
    out = snapshot(term)
    reason = _REASONS.get(state)
    if state == "open" and blocked:
        state, reason = "not_ready", _REASONS[blocked]
    out.update(id=term.id, school_id=term.school_id, agreement=agreement, signup_state=state)
    out["signup_state_reason"] = _say(*reason) if reason else None
    if office:
        out["warnings"] = office_warnings(term, agreement, state)
        out["signup_blocked_reason"] = blocked
    return out
