"""Admin request/response schemas: schools, grades, classes, pupils, codes, role grants."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from backend.common.schemas import (
    Id,
    Instant,
    Int,
    ListQuery,
    Phone,
    Relation,
    Str,
    StrictSchema,
)
from backend.schools.models import GRANTABLE_ROLES, LEVELS, PRIORITY_FLAGS


class StrictBool(fields.Boolean):
    """true/false only: no "yes", 1 or "1" (strict input like strict integers)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class QueryBool(fields.Boolean):
    """A query-string flag: exactly `true` or `false`."""

    def __init__(self, **kwargs):
        super().__init__(truthy={"true"}, falsy={"false"}, **kwargs)


def QueryId(**kwargs) -> fields.Integer:
    """An id in the query string (which only carries text, so not strict)."""
    return fields.Integer(validate=validate.Range(min=1, max=2**62), **kwargs)


class IdOut(ma.Schema):
    id = Id(required=True)


STAGES = ("primary", "middle")
_STAGE_DOC = (
    "primary (小学: service ends by 18:30) or middle (初中: by 19:00); R5 checks every "
    "term's service_end_time and calendar end times against it"
)


class SchoolIn(StrictSchema):
    name = Str(min_len=1, max_len=100, required=True)
    code = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9_\-]{1,32}$", error="学校代码为1-32位字母、数字、_ 或 -"
        ),
    )
    district_id = Int(allow_none=True, metadata={"description": "the overseeing district"})
    stage = fields.String(
        load_default="primary",
        validate=validate.OneOf(STAGES),
        metadata={"description": _STAGE_DOC},
    )


class SchoolPatch(StrictSchema):
    name = Str(min_len=1, max_len=100, metadata={"description": "platform admin only"})
    district_id = Int(
        allow_none=True, metadata={"description": "platform admin only; null: no district"}
    )
    stage = fields.String(
        validate=validate.OneOf(STAGES),
        metadata={"description": _STAGE_DOC + " (the school's office or the platform)"},
    )

    @ma.validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("请至少修改一项")


class SchoolOut(ma.Schema):
    id = Id()
    name = fields.String()
    code = fields.String()
    district_id = fields.Integer(allow_none=True)
    monthly_fee_cap_fen = fields.Integer()
    stage = fields.String(metadata={"description": _STAGE_DOC})
    created_at = Instant()


class GradeIn(StrictSchema):
    name = Str(min_len=1, max_len=50, required=True)
    level = Int(
        required=True,
        validate=validate.Range(min=1, max=9),
        metadata={"description": "1-6 primary, 7-9 middle school"},
    )


class GradeOut(ma.Schema):
    id = Id()
    name = fields.String()
    level = fields.Integer()
    created_at = Instant()


class ClassIn(StrictSchema):
    grade_id = Id(required=True)
    name = Str(min_len=1, max_len=50, required=True)


class ClassQuery(ListQuery):
    grade_id = QueryId()


class ClassOut(ma.Schema):
    id = Id()
    grade_id = Id()
    grade_name = fields.String()
    name = fields.String()
    created_at = Instant()


class GuardianIn(StrictSchema):
    name = Str(min_len=1, max_len=50, required=True)
    phone = Phone(required=True)
    relation = Relation(required=True)


def _guardians(**kwargs):
    return fields.List(fields.Nested(GuardianIn), validate=validate.Length(min=1, max=4), **kwargs)


def _flags(**kwargs):
    return fields.List(
        fields.String(validate=validate.OneOf(PRIORITY_FLAGS)),
        validate=validate.Length(max=len(PRIORITY_FLAGS)),
        metadata={"description": "R4 priority: " + ", ".join(PRIORITY_FLAGS)},
        **kwargs,
    )


class _GuardianPhonesUnique:
    @ma.validates_schema
    def _unique_phones(self, data, **kwargs):
        phones = [g["phone"] for g in data.get("guardians") or []]
        if len(phones) != len(set(phones)):
            raise ma.ValidationError("同一学生的家长手机号不能重复", "guardians")


class StudentIn(_GuardianPhonesUnique, StrictSchema):
    student_no = Str(min_len=1, max_len=32, required=True)
    name = Str(min_len=1, max_len=50, required=True)
    class_id = Id(required=True)
    guardians = _guardians(required=True)
    priority_flags = _flags(load_default=list)


class StudentPatch(_GuardianPhonesUnique, StrictSchema):
    name = Str(min_len=1, max_len=50)
    class_id = Id()
    guardians = _guardians(metadata={"description": "replaces the whole list"})
    priority_flags = _flags()
    active = StrictBool()


class StudentQuery(ListQuery):
    class_id = QueryId()
    q = Str(
        max_len=50,
        metadata={"description": "part of the name or student number, or a full guardian phone"},
    )
    active = QueryBool(metadata={"description": "omit for all pupils"})


class GuardianOut(ma.Schema):
    name = fields.String()
    phone_masked = fields.String(metadata={"description": "138****0000; never the full phone"})
    relation = fields.String()


class StudentOut(ma.Schema):
    id = Id()
    student_no = fields.String()
    name = fields.String()
    class_id = Id()
    class_name = fields.String()
    grade_id = Id()
    grade_name = fields.String()
    priority_flags = fields.List(fields.String())
    active = fields.Boolean()
    guardians = fields.List(fields.Nested(GuardianOut))
    bound_guardians = fields.Integer(metadata={"description": "WeChat users bound as guardian"})
    created_at = Instant()


class ImportFile(StrictSchema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ImportRowError(ma.Schema):
    row = fields.Integer(metadata={"description": "spreadsheet row number (header = 1)"})
    message = fields.String()


class ImportResultOut(ma.Schema):
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    errors = fields.List(fields.Nested(ImportRowError))


class BindingCodeIn(StrictSchema):
    relation = Relation(load_default="other")


class CodeOut(ma.Schema):
    binding_code = fields.String(metadata={"description": "shown once; stored hashed"})
    expires_at = Instant()


class RoleGrantIn(StrictSchema):
    role = fields.String(required=True, validate=validate.OneOf(GRANTABLE_ROLES))
    name = Str(
        min_len=1, max_len=50, required=True, metadata={"description": "the person the code is for"}
    )
    class_id = Id()
    grade_id = Id()
    level = fields.String(validate=validate.OneOf(LEVELS))
    staff_id = Id(metadata={"description": "course_teacher: the staff record (R17)"})

    @ma.validates_schema
    def _shape(self, data, **kwargs):
        role, level = data.get("role"), data.get("level")
        wanted = {"class_id": False, "grade_id": False, "level": False}
        wanted["staff_id"] = role == "course_teacher"
        if role == "head_teacher":
            wanted["class_id"] = True
        elif role == "committee_member":
            wanted["level"] = True
            wanted["class_id"] = level == "class"
            wanted["grade_id"] = level == "grade"
        errors = {}
        for key, needed in wanted.items():
            if needed and data.get(key) is None:
                errors[key] = ["该角色需要填写此项"]
            elif not needed and data.get(key) is not None:
                errors[key] = ["该角色不应填写此项"]
        if errors:
            raise ma.ValidationError(errors)


class RoleGrantCreatedOut(ma.Schema):
    id = Id()
    binding_code = fields.String(metadata={"description": "shown once; stored hashed"})
    expires_at = Instant()


class RoleGrantQuery(ListQuery):
    role = fields.String(validate=validate.OneOf(GRANTABLE_ROLES))
    include_revoked = QueryBool(load_default=False)


class RoleGrantOut(ma.Schema):
    id = Id()
    role = fields.String()
    name = fields.String()
    class_id = fields.Integer(allow_none=True)
    grade_id = fields.Integer(allow_none=True)
    level = fields.String(allow_none=True)
    staff_id = fields.Integer(allow_none=True)
    bound = fields.Function(lambda grant: grant.user_id is not None, metadata={"type": "boolean"})
    bound_at = Instant(allow_none=True)
    code_expires_at = Instant()
    revoked_at = Instant(allow_none=True)
    created_at = Instant()
