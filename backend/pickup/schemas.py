"""Request and response schemas of the pickup API."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from backend.common.schemas import Id, Instant, ListQuery, Phone, Relation, Str, StrictSchema
from backend.pickup.models import NOTICE_KINDS
from backend.pickup.states import NOTICE_STATES

HHMM = {"format": "%H:%M"}


def QueryId(**kwargs) -> fields.Integer:
    """An id in the query string (text there, so not strict)."""
    return fields.Integer(validate=validate.Range(min=1, max=2**62), **kwargs)


class StrictBool(fields.Boolean):
    """JSON true or false only (1, "yes" and "true" are refused)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class PickupDateQuery(ListQuery):
    date = fields.Date(metadata={"description": "YYYY-MM-DD; today when omitted"})


class PickupPersonIn(StrictSchema):
    name = Str(required=True, min_len=1, max_len=50)
    relation = Relation(required=True)
    phone = Phone(required=True)
    photo_url = fields.Url(
        schemes={"https"},
        validate=validate.Length(max=500),
        allow_none=True,
        metadata={"description": "an https link; an uploaded photo (…/photo) replaces it"},
    )
    valid_on = fields.Date(
        allow_none=True,
        metadata={"description": "a one-day delegate: may collect the pupil on this date only"},
    )


class PickupPersonOut(ma.Schema):
    id = fields.Integer()
    student_id = fields.Integer()
    name = fields.String()
    relation = fields.String()
    relation_zh = fields.String()
    phone = fields.String(
        metadata={"description": "in full for the guardian who entered it, masked otherwise"}
    )
    phone_masked = fields.String()
    photo_url = fields.String(
        allow_none=True,
        metadata={"description": "our authenticated photo URL (send the bearer token), or a link"},
    )
    valid_on = fields.Date(allow_none=True)
    is_delegate = fields.Boolean()
    created_at = Instant()


class PickupPhotoIn(StrictSchema):
    file = fields.Raw(
        required=True,
        metadata={"type": "string", "format": "binary", "description": "JPEG or PNG, <= 2 MB"},
    )


class SelfLeaveIn(StrictSchema):
    allowed = StrictBool(required=True)


class SelfLeaveOut(ma.Schema):
    student_id = fields.Integer()
    allowed = fields.Boolean()
    updated_at = Instant(allow_none=True)


class NoticeIn(StrictSchema):
    student_id = Id(required=True)
    date = fields.Date(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(NOTICE_KINDS))
    pickup_time = fields.Time(
        allow_none=True,
        metadata={"description": "HH:MM; required for early, optional for self"},
        **HHMM,
    )
    pickup_person_id = Id(allow_none=True, metadata={"description": "required for early"})
    note = Str(max_len=200, allow_none=True)


class PickupPersonBrief(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    relation = fields.String()


class NoticeOut(ma.Schema):
    id = fields.Integer()
    student_id = fields.Integer()
    date = fields.Date()
    kind = fields.String(metadata={"enum": list(NOTICE_KINDS)})
    pickup_time = fields.String(allow_none=True, metadata={"description": "HH:MM"})
    pickup_person_id = fields.Integer(allow_none=True)
    pickup_person = fields.Nested(PickupPersonBrief, allow_none=True)
    note = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(NOTICE_STATES)})
    late = fields.Boolean(
        metadata={"description": "sent after the term's same-day cutoff: the teacher confirms"}
    )
    acknowledged = fields.Boolean()
    acknowledged_at = Instant(allow_none=True)
    replaced_by_id = fields.Integer(allow_none=True)
    created_at = Instant()


class NoticeQuery(ListQuery):
    student_id = QueryId()
    date = fields.Date()


class HandoffCodeIn(StrictSchema):
    pickup_person_id = Id(required=True)


class HandoffCodeOut(ma.Schema):
    id = fields.Integer()
    code = fields.String(metadata={"description": "6 digits, the fallback to type at the gate"})
    qr_token = fields.String(metadata={"description": "signed, single use: show it as a QR code"})
    expires_at = Instant()
    student_id = fields.Integer()
    pickup_person_id = fields.Integer()
    service_date = fields.Date()


class GateIn(StrictSchema):
    code = fields.String(validate=validate.Regexp(r"^[0-9]{6}$", error="6位数字"))
    qr_token = Str(min_len=10, max_len=300)

    @ma.validates_schema
    def _one_of(self, data, **kwargs):
        if ("code" in data) == ("qr_token" in data):
            raise ma.ValidationError("give either code or qr_token", "_schema")


class HandoffIn(GateIn):
    outcome = fields.String(required=True, validate=validate.OneOf(["released", "refused"]))
    reason = Str(max_len=200, allow_none=True)


class GateStudent(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    class_id = fields.Integer()
    class_name = fields.String()
    photo_url = fields.String(allow_none=True)


class GatePerson(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    relation = fields.String()
    relation_zh = fields.String()
    phone_masked = fields.String()
    photo_url = fields.String(allow_none=True)
    is_delegate = fields.Boolean()


class GateCode(ma.Schema):
    id = fields.Integer()
    status = fields.String()
    expires_at = Instant()


class GateVerifyOut(ma.Schema):
    student = fields.Nested(GateStudent)
    person = fields.Nested(GatePerson)
    notice = fields.Nested(NoticeOut, allow_none=True)
    code = fields.Nested(GateCode)
    warnings = fields.List(
        fields.String(),
        metadata={
            "description": "notice_absent, person_differs_from_notice, "
            "late_notice_not_acknowledged: things the gate should look at"
        },
    )


class HandoffOut(ma.Schema):
    id = fields.Integer()
    student_id = fields.Integer()
    outcome = fields.String()
    at = Instant()
    reason = fields.String(allow_none=True)
    student = fields.Nested(GateStudent)
    person = fields.Nested(GatePerson)


class DismissalRowOut(ma.Schema):
    student_id = fields.Integer()
    name = fields.String()
    plan = fields.String(metadata={"enum": list(NOTICE_KINDS)})
    pickup_time = fields.String(allow_none=True, metadata={"description": "HH:MM"})
    person = fields.Nested(PickupPersonBrief, allow_none=True)
    status = fields.String(metadata={"enum": ["in_school", "handed_over", "left", "absent"]})
    late = fields.Boolean()
    acknowledged = fields.Boolean()
    notice_id = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    at_gate = fields.Boolean(metadata={"description": "released by the teacher to the gate"})
    attendance = fields.String(allow_none=True)
    handed_over_at = Instant(allow_none=True)
    left_at = Instant(allow_none=True)


class DismissalOverdueOut(DismissalRowOut):
    overdue_since = Instant()
    alerted = fields.Boolean()


class DismissalReleaseIn(StrictSchema):
    to = fields.String(
        validate=validate.OneOf(["gate", "left"]),
        metadata={"description": "gate, or left (a `self` pupil); by the plan when omitted"},
    )


class AttendanceRecordIn(StrictSchema):
    student_id = Id(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["present", "absent", "leave"]))


class AttendanceIn(StrictSchema):
    records = fields.List(
        fields.Nested(AttendanceRecordIn), required=True, validate=validate.Length(min=1, max=200)
    )


class AttendanceOut(ma.Schema):
    student_id = fields.Integer()
    name = fields.String()
    status = fields.String(allow_none=True)
    approved_leave = fields.Boolean()
    recorded_at = Instant(allow_none=True)


class LeaveIn(StrictSchema):
    student_id = Id(required=True)
    dates = fields.List(fields.Date(), required=True, validate=validate.Length(min=1, max=30))
    reason = Str(required=True, min_len=1, max_len=500)


class LeaveDayOut(ma.Schema):
    date = fields.Date()
    refundable = fields.Boolean()


class LeaveOut(ma.Schema):
    id = fields.Integer()
    student_id = fields.Integer()
    term_id = fields.Integer()
    status = fields.String(metadata={"enum": ["pending", "approved", "rejected", "cancelled"]})
    reason = fields.String()
    comment = fields.String(allow_none=True)
    dates = fields.List(fields.Date())
    days = fields.List(fields.Nested(LeaveDayOut))
    created_at = Instant()
    decided_at = Instant(allow_none=True)


class LeaveQuery(ListQuery):
    student_id = QueryId()
    class_id = QueryId(metadata={"description": "head teacher: the requests of my class"})
    status = fields.String(
        validate=validate.OneOf(["pending", "approved", "rejected", "cancelled"])
    )


class LeaveDecisionIn(StrictSchema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    comment = Str(max_len=500, allow_none=True)
