"""Mini-program API for gate staff: verify a handoff code and confirm or refuse."""

from __future__ import annotations

from flask.views import MethodView

from backend.common.idempotency import idempotent
from backend.common.pagination import Blueprint
from backend.extensions import limiter
from backend.pickup import gate
from backend.pickup.schemas import GateIn, GateVerifyOut, HandoffIn, HandoffOut

blp = Blueprint(
    "pickup_gate",
    __name__,
    url_prefix="/api/v1/gate",
    description="The gate (门卫): verify a code, then release the pupil or refuse. Gate staff "
    "only (403 otherwise); another school's code answers 404. Every attempt is logged; "
    "5 wrong 6-digit codes within 15 minutes (a right code in between clears none) lock "
    "code entry for the account for 15 minutes, and 30 wrong codes within 15 minutes from "
    "a school's gate accounts together stop code entry at that school until the window has "
    "room (423 verification_locked, Retry-After); QR codes keep working.",
)
GATE_LIMIT = "60/minute"


@blp.route("/verify")
class Verify(MethodView):
    @limiter.limit(GATE_LIMIT)
    @blp.arguments(GateIn)
    @blp.response(200, GateVerifyOut)
    @blp.alt_response(404, description="code_not_found (also another school's code)")
    @blp.alt_response(409, description="code_used")
    @blp.alt_response(410, description="code_expired, code_void")
    @blp.alt_response(423, description="verification_locked")
    def post(self, data):
        """Who the code is for: the pupil and the person, with photos, and today's notice."""
        return gate.verify(data)


@blp.route("/handoffs")
class Handoffs(MethodView):
    @idempotent
    @limiter.limit(GATE_LIMIT)
    @blp.arguments(HandoffIn)
    @blp.response(201, HandoffOut)
    @blp.alt_response(409, description="code_used, already_handed_over")
    @blp.alt_response(410, description="code_expired, code_void")
    def post(self, data):
        """Release the pupil to the code's person, or refuse (the code becomes void). The
        guardians are told at once either way."""
        return gate.confirm(data)
