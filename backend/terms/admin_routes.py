"""Admin API: terms, their calendar overrides and agreement versions."""

from __future__ import annotations

from datetime import date

from flask.views import MethodView

from backend.common.pagination import Blueprint, Page
from backend.terms import service
from backend.terms.schemas import (
    AgreementIn,
    AgreementOut,
    CalendarDayIn,
    CalendarDayOut,
    CalendarQuery,
    TermIn,
    TermOut,
    TermPatch,
)

blp = Blueprint(
    "terms_admin",
    __name__,
    url_prefix="/admin/api/v1/schools",
    description="Terms, calendar and agreements",
)


@blp.route("/<int:school_id>/terms")
class Terms(MethodView):
    @blp.response(200, TermOut(many=True))
    @blp.paginate(Page)
    def get(self, school_id):
        """The school's terms, newest first, each with its `signup_state` and `warnings`
        (no_agreement, holiday_data_missing)."""
        return service.admin_terms(school_id)

    @blp.arguments(TermIn)
    @blp.response(201, TermOut)
    def post(self, data, school_id):
        """Create a term. Windows must be in order; a monthly fee above the school's cap
        is refused (422 fee_above_cap); terms of one school may not overlap (409); the service
        may not end after 18:30 at a primary school or 19:00 at a middle school (422
        service_end_too_late, R5). The answer carries `warnings`: until its agreement is
        published a term's sign-up is not_ready for families."""
        return service.create_term(school_id, data)


@blp.route("/<int:school_id>/terms/<int:term_id>")
class TermItem(MethodView):
    @blp.response(200, TermOut)
    def get(self, school_id, term_id):
        """One term with its current agreement, `signup_state` and `warnings`: no_agreement
        (families cannot sign up yet) and holiday_data_missing (a year of the term has no
        official holiday data: its public holidays count as service days until overridden)."""
        return service.admin_term(school_id, term_id)

    @blp.arguments(TermPatch)
    @blp.response(200, TermOut)
    def patch(self, data, school_id, term_id):
        """Change a term; the result is validated as a whole."""
        return service.update_term(school_id, term_id, data)


@blp.route("/<int:school_id>/terms/<int:term_id>/calendar")
class TermCalendar(MethodView):
    @blp.arguments(CalendarQuery, location="query")
    @blp.response(200, CalendarDayOut(many=True))
    @blp.paginate(Page)
    def get(self, query, school_id, term_id):
        """Every date of the term: service day or not, end time, and why. Dates of a year
        without official holiday data (source weekdays_only) carry a `warning`."""
        return service.admin_calendar(school_id, term_id, query.get("start"), query.get("end"))


@blp.route("/<int:school_id>/terms/<int:term_id>/calendar/<string:day>")
class TermCalendarDay(MethodView):
    @blp.arguments(CalendarDayIn)
    @blp.response(200, CalendarDayOut)
    def put(self, data, school_id, term_id, day):
        """Override one date (a closure, a make-up day, a seasonal end time; R5 bounds the
        end time by the school's stage, 422 service_end_too_late)."""
        return service.set_calendar_day(school_id, term_id, _parse_day(day), data)


@blp.route("/<int:school_id>/terms/<int:term_id>/agreements")
class Agreements(MethodView):
    @blp.response(200, AgreementOut(many=True))
    @blp.paginate(Page)
    def get(self, school_id, term_id):
        """All agreement versions of the term."""
        return service.agreements(school_id, term_id)

    @blp.arguments(AgreementIn)
    @blp.response(201, AgreementOut)
    def post(self, data, school_id, term_id):
        """Publish a new agreement version (earlier applicants keep theirs)."""
        return service.add_agreement(school_id, term_id, data)


def _parse_day(value: str) -> date:
    from backend.errors import ValidationFailed

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(errors={"date": ["日期格式应为 YYYY-MM-DD"]}) from None
