"""Mini-program schemas for /me, children and role binding."""

from __future__ import annotations

from marshmallow import fields, validate

from backend.common.schemas import Str, StrictSchema


class RoleBindingIn(StrictSchema):
    binding_code = Str(required=True, min_len=4, max_len=32)


class RoleOut(StrictSchema):
    role = fields.String(
        metadata={
            "enum": ["guardian", "head_teacher", "committee_member", "gate_staff", "course_teacher"]
        }
    )
    school_id = fields.Integer()
    class_id = fields.Integer()
    grade_id = fields.Integer()
    level = fields.String(validate=validate.OneOf(["class", "grade", "school"]))
    staff_id = fields.Integer(metadata={"description": "course_teacher: the staff record"})


class ChildIn(StrictSchema):
    student_no = Str(required=True, min_len=1, max_len=32)
    name = Str(required=True, min_len=1, max_len=50)
    binding_code = Str(min_len=4, max_len=32, allow_none=True)


class ChildOut(StrictSchema):
    student_id = fields.Integer()
    name = fields.String()
    student_no = fields.String()
    class_id = fields.Integer()
    class_name = fields.String()
    grade_name = fields.String()
    school_id = fields.Integer()
    school_name = fields.String()
    relation = fields.String(
        metadata={"enum": ["father", "mother", "grandfather", "grandmother", "other"]}
    )


class MeOut(StrictSchema):
    id = fields.Integer()
    roles = fields.List(fields.Nested(RoleOut))
    phone_masked = fields.String(allow_none=True)
    children = fields.List(fields.Nested(ChildOut))
