"""Request and response schemas of staff hours and pay (R17)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from backend.common.schemas import PHONE_RE, Fen, Id, Instant, Int, Str, StrictSchema
from backend.schools.schemas import ListQuery, QueryId
from backend.staff.models import DUTIES, KINDS, LINE_KINDS, MARKS, PROVIDER_MODES


class StaffIn(StrictSchema):
    name = Str(min_len=1, max_len=50, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    phone = fields.String(validate=validate.Regexp(PHONE_RE, error="手机号格式不正确"))
    provider_id = Id(metadata={"description": "required for (and only for) external staff"})

    @ma.validates_schema
    def _provider(self, data, **kwargs):
        external = data.get("kind") == "external"
        if external and data.get("provider_id") is None:
            raise ma.ValidationError({"provider_id": ["外聘人员需要填写所属机构"]})
        if not external and data.get("provider_id") is not None:
            raise ma.ValidationError({"provider_id": ["仅外聘人员填写所属机构"]})


class StaffOut(ma.Schema):
    id = Id()
    name = fields.String()
    kind = fields.String()
    phone = fields.String(allow_none=True)
    provider_id = fields.Integer(allow_none=True)
    created_at = Instant()


class StaffQuery(ListQuery):
    kind = fields.String(validate=validate.OneOf(KINDS))


class CourseStaffIn(StrictSchema):
    staff_ids = fields.List(Id(), required=True, validate=validate.Length(max=20))


class CourseStaffOut(ma.Schema):
    course_id = fields.Integer()
    staff_ids = fields.List(fields.Integer())


class ProviderPayTermsIn(StrictSchema):
    mode = fields.String(required=True, validate=validate.OneOf(PROVIDER_MODES))
    package_monthly_fen = Fen(metadata={"description": "package: the provider's monthly amount"})

    @ma.validates_schema
    def _package(self, data, **kwargs):
        if data.get("mode") == "package" and data.get("package_monthly_fen") is None:
            raise ma.ValidationError({"package_monthly_fen": ["包干结算需要填写月包干金额"]})


class ProviderPayTermsOut(ma.Schema):
    provider_id = fields.Integer()
    mode = fields.String()
    package_monthly_fen = fields.Integer(allow_none=True)


class HoursIn(StrictSchema):
    staff_id = Id(required=True)
    date = fields.Date(required=True)
    minutes = Int(required=True, validate=validate.Range(min=1, max=24 * 60))
    duty = fields.String(required=True, validate=validate.OneOf(DUTIES))
    course_id = Id(metadata={"description": "teaching: the course of the lesson"})
    note = Str(max_len=300)

    @ma.validates_schema
    def _course(self, data, **kwargs):
        teaching = data.get("duty") == "teaching"
        if teaching and data.get("course_id") is None:
            raise ma.ValidationError({"course_id": ["授课记录需要填写课程"]})
        if not teaching and data.get("course_id") is not None:
            raise ma.ValidationError({"course_id": ["仅授课记录填写课程"]})


class HoursOut(ma.Schema):
    id = Id()
    staff_id = fields.Integer()
    term_id = fields.Integer()
    date = fields.Date()
    duty = fields.String()
    minutes = fields.Integer()
    lessons = fields.Integer()
    course_id = fields.Integer(allow_none=True)
    source = fields.String(metadata={"description": "attendance | office | correction"})
    corrects_id = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    created_at = Instant()


class HoursQuery(ListQuery):
    staff_id = QueryId()
    term_id = QueryId()
    from_ = fields.Date(data_key="from")
    to = fields.Date()


class CorrectionIn(StrictSchema):
    reason = Str(min_len=1, max_len=300, required=True)
    minutes = Int(
        validate=validate.Range(min=1, max=24 * 60),
        metadata={"description": "the right figure; omit to cancel the entry"},
    )


class CorrectionOut(ma.Schema):
    corrected = fields.Nested(HoursOut)
    negation = fields.Nested(HoursOut)
    replacement = fields.Nested(HoursOut, allow_none=True)


class RatesIn(StrictSchema):
    teaching_per_lesson_fen = Fen(required=True)
    supervision_per_hour_fen = Fen(required=True)
    admin_monthly_fen = Fen(required=True)


class RatesOut(ma.Schema):
    term_id = fields.Integer()
    teaching_per_lesson_fen = fields.Integer()
    supervision_per_hour_fen = fields.Integer()
    admin_monthly_fen = fields.Integer()


class PaySheetIn(StrictSchema):
    period = fields.String(
        required=True,
        validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="格式为 YYYY-MM"),
    )


class PayLineOut(ma.Schema):
    staff_id = fields.Integer(allow_none=True)
    provider_id = fields.Integer(allow_none=True)
    name = fields.String()
    kind = fields.String(validate=validate.OneOf(LINE_KINDS))
    lessons = fields.Integer()
    minutes = fields.Integer()
    teaching_fen = fields.Integer()
    supervision_fen = fields.Integer()
    admin_fen = fields.Integer()
    amount_fen = fields.Integer()
    note = fields.String(allow_none=True)


class PaySheetRowOut(ma.Schema):
    id = Id()
    term_id = fields.Integer()
    period = fields.String()
    status = fields.String(metadata={"description": "draft | approved"})
    corrects_id = fields.Integer(allow_none=True)
    total_fen = fields.Integer()
    approved_at = Instant(allow_none=True)
    created_at = Instant()


class PaySheetOut(PaySheetRowOut):
    rates = fields.Dict()
    expense_id = fields.Integer(allow_none=True)
    lines = fields.List(fields.Nested(PayLineOut))


class DateQuery(StrictSchema):
    date = fields.Date(metadata={"description": "YYYY-MM-DD; today when omitted"})


class DateListQuery(ListQuery):
    date = fields.Date(metadata={"description": "YYYY-MM-DD; today when omitted"})


class MarkIn(StrictSchema):
    student_id = Id(required=True)
    status = fields.String(required=True, validate=validate.OneOf(MARKS))


class CourseAttendanceIn(StrictSchema):
    records = fields.List(fields.Nested(MarkIn), required=True, validate=validate.Length(max=500))


class RosterRowOut(ma.Schema):
    student_id = fields.Integer()
    name = fields.String()
    class_id = fields.Integer()
    class_name = fields.String()
    approved_leave = fields.Boolean()
    status = fields.String(allow_none=True, metadata={"description": "null until marked"})


class ClassCourseMarkOut(ma.Schema):
    student_id = fields.Integer()
    name = fields.String()
    course_id = fields.Integer()
    course_name = fields.String()
    status = fields.String()
