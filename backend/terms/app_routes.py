"""Mini-program API: the terms of my children's (or my staff role's) schools."""

from __future__ import annotations

from flask.views import MethodView

from backend.common.pagination import Blueprint, Page
from backend.terms import service
from backend.terms.schemas import CalendarDayOut, CalendarQuery, TermOut

blp = Blueprint("terms", __name__, url_prefix="/api/v1/terms", description="Terms")


@blp.route("")
class Terms(MethodView):
    @blp.response(200, TermOut(many=True))
    @blp.paginate(Page)
    def get(self):
        """Terms of the schools I belong to (as guardian or staff), newest first.

        `signup_state` says whether a family can sign up now: upcoming, open, closed, or
        not_ready (the window is open but the school has not published the agreement yet;
        `signup_state_reason` says so). Offer sign-up only when it is open."""
        return service.app_terms()


@blp.route("/<int:term_id>")
class TermItem(MethodView):
    @blp.response(200, TermOut)
    def get(self, term_id):
        """One term, with the agreement a guardian signs when applying and its
        `signup_state` (open only when the window is open and an agreement exists)."""
        return service.app_term_view(term_id)


@blp.route("/<int:term_id>/calendar")
class TermCalendar(MethodView):
    @blp.arguments(CalendarQuery, location="query")
    @blp.response(200, CalendarDayOut(many=True))
    @blp.paginate(Page)
    def get(self, query, term_id):
        """Service days of the term (for planning pickups and leave). A date of a year
        without official holiday data counts Monday to Friday and carries a `warning`."""
        return service.app_calendar(term_id, query.get("start"), query.get("end"))
