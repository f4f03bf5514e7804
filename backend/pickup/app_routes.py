"""Mini-program API for guardians: pickup persons, self-leave, notices and handoff codes."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView

from backend.common.idempotency import idempotent
from backend.common.pagination import Blueprint, Page
from backend.extensions import limiter
from backend.pickup import codes, notices, persons
from backend.pickup.schemas import (
    HandoffCodeIn,
    HandoffCodeOut,
    NoticeIn,
    NoticeOut,
    NoticeQuery,
    PickupPersonIn,
    PickupPersonOut,
    PickupPhotoIn,
    SelfLeaveIn,
    SelfLeaveOut,
)

blp = Blueprint(
    "pickup",
    __name__,
    url_prefix="/api/v1",
    description="Pickup (接送): authorised persons, self-leave permission, pickup notices and "
    "handoff codes, kept by the pupil's guardians. Other families' pupils answer 404.",
)
# Room for the multipart envelope around the largest accepted photo.
_PHOTO_BODY_LIMIT = persons.PHOTO_MAX_BYTES + 64 * 1024


@blp.before_request
def _allow_photo_upload():
    # Photos may exceed the app-wide body limit; only the upload endpoint gets the room.
    if request.endpoint == f"{blp.name}.PersonPhoto" and request.method == "POST":
        request.max_content_length = _PHOTO_BODY_LIMIT


@blp.route("/students/<int:student_id>/pickup-persons")
class Persons(MethodView):
    @blp.response(200, PickupPersonOut(many=True))
    @blp.paginate(Page)
    def get(self, student_id):
        """The pupil's authorised pickup persons (standing ones and upcoming delegates)."""
        return persons.list_persons(student_id)

    @idempotent
    @blp.arguments(PickupPersonIn)
    @blp.response(201, PickupPersonOut)
    @blp.alt_response(409, description="pickup_person_exists, too_many_pickup_persons")
    def post(self, data, student_id):
        """Authorise a person; with `valid_on` a one-day delegate (e.g. after the gate refused
        someone). The other guardians are told."""
        return persons.add_person(student_id, data)


@blp.route("/students/<int:student_id>/pickup-persons/<int:person_id>")
class Person(MethodView):
    @blp.response(204)
    def delete(self, student_id, person_id):
        """Remove a person; their open handoff codes become void. The other guardians are told."""
        persons.remove_person(student_id, person_id)


@blp.route("/students/<int:student_id>/pickup-persons/<int:person_id>/photo")
class PersonPhoto(MethodView):
    @blp.response(
        200,
        content_type="image/jpeg",
        description="The photo (JPEG or PNG) for the pupil's guardians, the school's gate "
        "staff and the pupil's head teacher.",
    )
    def get(self, student_id, person_id):
        """The person's photo (send the bearer token, e.g. with wx.downloadFile)."""
        data, content_type, sha = persons.photo_file(student_id, person_id)
        response = Response(data, mimetype=content_type)
        response.headers["Cache-Control"] = "private, max-age=86400"
        response.headers["ETag"] = f'"{sha}"'
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @blp.arguments(PickupPhotoIn, location="files")
    @blp.response(200, PickupPersonOut)
    @blp.alt_response(413, description="photo_too_large (over 2 MB)")
    @blp.alt_response(415, description="unsupported_photo_type (the bytes are not JPEG/PNG)")
    @blp.alt_response(
        422,
        description="photo_unreadable (does not decode as the image its bytes claim) or "
        "photo_too_many_pixels (over 40 million pixels)",
    )
    def post(self, files, student_id, person_id):
        """Upload (or replace) the person's photo: multipart field `file`, JPEG or PNG.

        The photo is decoded and re-encoded in its own format: metadata (Exif, GPS,
        comments, colour profiles) is dropped, an Exif rotation is applied, and a photo
        larger than 1600 px on its longer side is scaled down. The served bytes are the
        re-encoded ones."""
        return persons.upload_photo(student_id, person_id, files["file"].stream)


@blp.route("/students/<int:student_id>/self-leave")
class SelfLeave(MethodView):
    @blp.response(200, SelfLeaveOut)
    def get(self, student_id):
        """Whether a guardian allowed the pupil to leave school alone."""
        return persons.get_self_leave(student_id)

    @blp.arguments(SelfLeaveIn)
    @blp.response(200, SelfLeaveOut)
    def put(self, data, student_id):
        """Grant or withdraw the standing self-leave permission (withdrawing cancels open
        `self` notices from today on)."""
        return persons.set_self_leave(student_id, data["allowed"])


@blp.route("/pickup-notices")
class Notices(MethodView):
    @blp.arguments(NoticeQuery, location="query", unknown=None)
    @blp.response(200, NoticeOut(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """My children's notices, newest first, replaced and cancelled ones included."""
        p = pagination_parameters
        items, p.item_count = notices.list_notices(
            query.get("student_id"), query.get("date"), p.page, p.page_size
        )
        return items

    @idempotent
    @limiter.limit("30/minute")
    @blp.arguments(NoticeIn)
    @blp.response(201, NoticeOut)
    @blp.alt_response(403, description="not_enrolled")
    @blp.alt_response(409, description="self_leave_not_allowed, already_handed_over")
    @blp.alt_response(422, description="not_a_service_day, date_in_past, invalid_pickup_person")
    def post(self, data):
        """Tell the school how the pupil leaves on a service day: `early` (time and person),
        `regular` (at service end), `self` (alone; needs the self-leave permission) or
        `absent`. One open notice per pupil per day: a new one replaces it (`replaced`).
        After the term's same-day cutoff the notice is accepted with `late: true` and the
        head teacher confirms it."""
        return notices.create_notice(data)


@blp.route("/pickup-notices/<int:notice_id>")
class Notice(MethodView):
    @blp.response(204)
    @blp.alt_response(409, description="past_cutoff, notice_closed")
    def delete(self, notice_id):
        """Cancel a notice before the day's cutoff (after it, send a new notice)."""
        notices.cancel_notice(notice_id)


@blp.route("/pickup-notices/<int:notice_id>/acknowledge")
class NoticeAck(MethodView):
    @blp.response(200, NoticeOut)
    @blp.alt_response(409, description="notice_closed")
    def post(self, notice_id):
        """Head teacher: confirm a (late) notice of a pupil of my class."""
        return notices.acknowledge(notice_id)


@blp.route("/students/<int:student_id>/handoff-codes")
class HandoffCodes(MethodView):
    @idempotent
    @limiter.limit("30/minute")
    @blp.arguments(HandoffCodeIn)
    @blp.response(201, HandoffCodeOut)
    @blp.alt_response(409, description="already_handed_over, too_many_codes")
    @blp.alt_response(422, description="not_a_service_day, invalid_pickup_person")
    def post(self, data, student_id):
        """Today's single-use handoff code for one authorised person: a signed QR token and
        a 6-digit fallback, valid until used or the day ends. A refused code is void.
        With an Idempotency-Key a repeat within 24 hours returns the same code; the stored
        answer is sealed with that key (no code at rest), and after 24 hours the key
        issues a new code."""
        return codes.issue_code(student_id, data["pickup_person_id"])
