"""Mini-program API: sign-up, the three-level review and the public posting (公示)."""

from __future__ import annotations

from flask import request, send_file
from flask.views import MethodView

from backend.common.idempotency import idempotent
from backend.common.pagination import Blueprint, Page
from backend.signup import objections, publication, reports, review, service
from backend.signup.reports import XLSX
from backend.signup.schemas import (
    ApplicationBriefOut,
    ApplicationIn,
    ApplicationOut,
    ApplicationQuery,
    ApplicationSummaryOut,
    ObjectionCreatedOut,
    ObjectionIn,
    PostingOut,
    PublicationOut,
    ResubmitIn,
    ReviewExportQuery,
    ReviewIn,
    ReviewOut,
    ReviewQuery,
    ReviewRowOut,
    SignupTermQuery,
    WithdrawIn,
)

blp = Blueprint(
    "signup",
    __name__,
    url_prefix="/api/v1",
    description="Voluntary sign-up, the class/grade/school review and the public posting",
)


@blp.route("/applications")
class Applications(MethodView):
    @blp.arguments(ApplicationQuery, location="query")
    @blp.response(200, ApplicationBriefOut(many=True))
    @blp.paginate(Page)
    def get(self, query):
        """My children's applications (filter by term_id, student_id), newest first."""
        return service.my_applications(query.get("term_id"), query.get("student_id"))

    @idempotent
    @blp.arguments(ApplicationIn)
    @blp.response(201, ApplicationBriefOut)
    @blp.alt_response(404, description="Not my child, or a term of another school")
    @blp.alt_response(
        409,
        description="application_exists, signup_closed, student_left, signup_not_ready "
        "(the term has no agreement yet; its signup_state is not_ready)",
    )
    @blp.alt_response(422, description="agreement_required, validation_error")
    def post(self, data):
        """Apply for a pupil bound to me (R1/R2): inside the sign-up window, agreeing to an
        agreement version of the term (kept with the time and my address). The application
        waits at the term's first review level. One live application per pupil and term."""
        return service.create_application(data, request.remote_addr)


@blp.route("/applications/<int:application_id>")
class ApplicationItem(MethodView):
    @blp.response(200, ApplicationOut)
    def get(self, application_id):
        """One of my children's applications with its steps: which level decided what and
        why (reviewers are not named)."""
        return service.my_application(application_id)


@blp.route("/applications/<int:application_id>/withdraw", methods=["POST"])
@blp.arguments(WithdrawIn)
@blp.response(200, ApplicationOut)
@blp.alt_response(409, description="application_state_conflict (already withdrawn)")
def withdraw(data, application_id):
    """Withdraw at any time, from any state but withdrawn (R1)."""
    return service.withdraw(application_id, data.get("reason"))


@blp.route("/applications/<int:application_id>/resubmit", methods=["POST"])
@blp.arguments(ResubmitIn)
@blp.response(200, ApplicationOut)
@blp.alt_response(409, description="application_state_conflict (not rejected), term_over")
def resubmit(data, application_id):
    """After a rejection: back to `submitted` at the first review level."""
    return service.resubmit(application_id, data.get("note"))


@blp.route("/reviews")
class Reviews(MethodView):
    @blp.arguments(ReviewQuery, location="query")
    @blp.response(200, ReviewRowOut(many=True))
    @blp.paginate(Page)
    @blp.alt_response(403, description="No review role at that level")
    def get(self, query):
        """What waits at `level` in my scope (class: head teacher or class committee of the
        class; grade: grade committee; school: school committee), priority pupils first.
        `overdue=true` lists only reviews waiting longer than the term allows."""
        return review.waiting_for_me(query["term_id"], query["level"], query.get("overdue"))

    @blp.arguments(ReviewIn)
    @blp.response(200, ReviewOut)
    @blp.alt_response(409, description="review_conflict: offending ids in errors")
    @blp.alt_response(422, description="comment_required (a reject needs a comment)")
    def post(self, data):
        """Decide a batch at one level, all or nothing. A reject needs a comment and
        notifies the guardians."""
        return review.decide(data["level"], data["decisions"])


@blp.route("/reviews/summary")
class ReviewSummary(MethodView):
    @blp.arguments(SignupTermQuery, location="query")
    @blp.response(200, ApplicationSummaryOut)
    def get(self, query):
        """Counts per class, grade and level within my review scope."""
        return reports.reviewer_summary(query["term_id"])


@blp.route("/reviews/export")
class ReviewExport(MethodView):
    @blp.arguments(ReviewExportQuery, location="query")
    @blp.response(200, content_type=XLSX, description="An .xlsx workbook")
    def get(self, query):
        """The applications in my scope at `level` as .xlsx (the 汇总表 passed upwards)."""
        data, name = reports.reviewer_export(query["term_id"], query["level"], query)
        return send_file(data, as_attachment=True, download_name=name, mimetype=XLSX)


@blp.route("/terms/<int:term_id>/publication")
class Publication(MethodView):
    @blp.response(200, PostingOut)
    @blp.alt_response(404, description="Not a school I belong to, or no posting yet")
    def get(self, term_id):
        """The latest posting of the term: masked names and classes only (guardians and
        staff of that school)."""
        return publication.posting(term_id)

    @idempotent
    @blp.response(201, PublicationOut)
    @blp.alt_response(409, description="nothing_to_publish")
    def post(self, term_id):
        """Publish (school committee): every approved application goes in_publicity for the
        term's publicity_days calendar days."""
        return publication.publish_as_committee(term_id)


@blp.route("/terms/<int:term_id>/publication/objections", methods=["POST"])
@idempotent
@blp.arguments(ObjectionIn)
@blp.response(201, ObjectionCreatedOut)
@blp.alt_response(409, description="publicity_closed")
def object_to(data, term_id):
    """Object to the posting while it runs (a guardian of that school)."""
    return objections.object_to(term_id, data)
