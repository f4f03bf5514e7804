"""Admin routes for schools, grades, classes, pupils, roster import and role grants."""

from __future__ import annotations

import io
from urllib.parse import quote

from flask import current_app, request, send_file

from backend.auth import admin_service
from backend.auth.admin_schemas import AdminCreateIn, AdminOut
from backend.common.idempotency import idempotent
from backend.common.pagination import Blueprint
from backend.schools import placement, pupils, role_grants, roster_import, structure
from backend.schools.schemas import (
    BindingCodeIn,
    ClassIn,
    ClassOut,
    ClassQuery,
    CodeOut,
    GradeIn,
    GradeOut,
    IdOut,
    ImportFile,
    ImportResultOut,
    RoleGrantCreatedOut,
    RoleGrantIn,
    RoleGrantOut,
    RoleGrantQuery,
    SchoolIn,
    SchoolOut,
    SchoolPatch,
    StudentIn,
    StudentOut,
    StudentPatch,
    StudentQuery,
)

blp = Blueprint(
    "admin_schools",
    __name__,
    url_prefix="/admin/api/v1/schools",
    description="Schools (platform admin), and each school's grades, classes, pupils with "
    "their guardians, the .xlsx roster, one-time binding codes and staff role grants. "
    "A school admin reaches only their own school: other schools' ids answer 404. "
    "Ids in a request body that are not of this school answer 422 on that field.",
)

# Query schemas are passed unknown=None so that their own RAISE applies: webargs would
# otherwise drop a mistyped filter silently and return an unfiltered list.
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Room for the multipart envelope around a file of the largest accepted size.
_UPLOAD_OVERHEAD = 64 * 1024


@blp.before_request
def _allow_roster_upload():
    # The roster file may exceed the app-wide body limit; only this endpoint gets more room.
    if request.endpoint == f"{blp.name}.import_students":
        limit = current_app.extensions["kehou"]["settings"].import_max_bytes
        request.max_content_length = limit + _UPLOAD_OVERHEAD


@blp.route("", methods=["POST"])
@idempotent
@blp.arguments(SchoolIn)
@blp.response(201, IdOut)
def create_school(args):
    """Create a school (platform admin only; 409 `school_code_taken`); `stage` defaults to
    primary, `district_id` places it in a district."""
    return structure.create_school(
        args["name"], args["code"], args.get("district_id"), args["stage"]
    )


@blp.route("", methods=["GET"])
@blp.response(200, SchoolOut(many=True))
@blp.paginate()
def list_schools(pagination_parameters):
    """The schools the caller may run: all for a platform admin, else their own."""
    p = pagination_parameters
    items, p.item_count = structure.list_schools(p.page, p.page_size)
    return items


@blp.route("/<int:school_id>", methods=["GET"])
@blp.response(200, SchoolOut)
def get_school(school_id):
    return structure.get_school(school_id)


@blp.route("/<int:school_id>", methods=["PATCH"])
@blp.arguments(SchoolPatch)
@blp.response(200, SchoolOut)
@blp.alt_response(409, description="stage_conflict: a current term runs later than allowed")
def update_school(args, school_id):
    """Change a school's settings.

    `stage` (its office or the platform): primary schools' service ends by 18:30, middle
    schools' by 19:00 (R5); refused (409 `stage_conflict`, naming the terms) while a current
    or future term runs later than the new stage allows. `name` and `district_id` (the
    district overseeing the school, null for none): the platform admin only (403)."""
    return placement.update_school(school_id, args)


@blp.route("/<int:school_id>/admins", methods=["POST"])
@idempotent
@blp.arguments(AdminCreateIn)
@blp.response(201, AdminOut)
def create_school_admin(args, school_id):
    """Create an office account for the school (platform admin only; 422 `weak_password`)."""
    return admin_service.create_school_admin(school_id, args["username"], args["password"])


@blp.route("/<int:school_id>/admins", methods=["GET"])
@blp.response(200, AdminOut(many=True))
@blp.paginate()
def list_school_admins(school_id, pagination_parameters):
    p = pagination_parameters
    items, p.item_count = admin_service.list_school_admins(school_id, p.page, p.page_size)
    return items


@blp.route("/<int:school_id>/grades", methods=["POST"])
@idempotent
@blp.arguments(GradeIn)
@blp.response(201, IdOut)
def create_grade(args, school_id):
    """Add a grade; `level` 1-6 is primary, 7-9 middle school (409 `grade_exists`)."""
    return structure.create_grade(school_id, args["name"], args["level"])


@blp.route("/<int:school_id>/grades", methods=["GET"])
@blp.response(200, GradeOut(many=True))
@blp.paginate()
def list_grades(school_id, pagination_parameters):
    p = pagination_parameters
    items, p.item_count = structure.list_grades(school_id, p.page, p.page_size)
    return items


@blp.route("/<int:school_id>/classes", methods=["POST"])
@idempotent
@blp.arguments(ClassIn)
@blp.response(201, IdOut)
def create_class(args, school_id):
    """Add a class to a grade of this school (409 `class_exists`)."""
    return structure.create_class(school_id, args["grade_id"], args["name"])


@blp.route("/<int:school_id>/classes", methods=["GET"])
@blp.arguments(ClassQuery, location="query", unknown=None)
@blp.response(200, ClassOut(many=True))
@blp.paginate()
def list_classes(args, school_id, pagination_parameters):
    p = pagination_parameters
    items, p.item_count = structure.list_classes(
        school_id, args.get("grade_id"), p.page, p.page_size
    )
    return items


@blp.route("/<int:school_id>/students", methods=["POST"])
@idempotent
@blp.arguments(StudentIn)
@blp.response(201, IdOut)
def create_student(args, school_id):
    """Add a pupil with 1-4 roster guardians (409 `student_exists` for a taken 学号)."""
    return pupils.create_student(school_id, args)


@blp.route("/<int:school_id>/students", methods=["GET"])
@blp.arguments(StudentQuery, location="query", unknown=None)
@blp.response(200, StudentOut(many=True))
@blp.paginate()
def list_students(args, school_id, pagination_parameters):
    """Pupils, filtered by class and/or `q`; guardian phones are masked."""
    p = pagination_parameters
    items, p.item_count = pupils.list_students(school_id, args, p.page, p.page_size)
    return items


@blp.route("/<int:school_id>/students/<int:student_id>", methods=["GET"])
@blp.response(200, StudentOut)
def get_student(school_id, student_id):
    return pupils.get_student(school_id, student_id)


@blp.route("/<int:school_id>/students/<int:student_id>", methods=["PATCH"])
@blp.arguments(StudentPatch)
@blp.response(200, StudentOut)
def update_student(args, school_id, student_id):
    """Change class, name, guardians (the list is replaced), priority flags or `active`."""
    return pupils.update_student(school_id, student_id, args)


@blp.route("/<int:school_id>/students/import", methods=["POST"])
@blp.arguments(ImportFile, location="files")
@blp.response(200, ImportResultOut)
@blp.alt_response(422, description="import_unreadable: nothing was changed")
def import_students(args, school_id):
    """Import the .xlsx roster (multipart field `file`; see the import template).

    Header row: 学号, 姓名, 班级 (a class name or 年级/班级), 家长姓名, 家长手机,
    关系 (父亲/母亲/祖父/祖母/其他), optional 优先类别. One row per guardian; rows with the
    same 学号 form one pupil whose guardian list is replaced. Every bad row is reported
    with its row number; all good pupils are applied in one transaction.
    """
    upload = args["file"]
    return roster_import.import_roster(school_id, upload.stream, upload.filename)


TEMPLATE_NAME = "学生名单模板.xlsx"
TEMPLATE_ASCII = "roster-template.xlsx"


@blp.route("/<int:school_id>/students/import-template", methods=["GET"])
@blp.doc(
    responses={
        "200": {
            "description": "the .xlsx template",
            "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
        }
    }
)
def import_template(school_id):
    """Download the .xlsx roster template (its 说明 sheet lists this school's classes), named
    学生名单模板.xlsx (filename*, UTF-8) with roster-template.xlsx as the plain filename."""
    data = roster_import.template(school_id)
    response = send_file(io.BytesIO(data), mimetype=XLSX)
    # An ASCII name for old clients (werkzeug's fallback for a Chinese name is ".xlsx"),
    # the Chinese one (RFC 5987) for the rest.
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{TEMPLATE_ASCII}\"; filename*=UTF-8''{quote(TEMPLATE_NAME)}"
    )
    return response


@blp.route("/<int:school_id>/students/<int:student_id>/binding-codes", methods=["POST"])
@blp.arguments(BindingCodeIn)
@blp.response(201, CodeOut)
def create_binding_code(args, school_id, student_id):
    """A one-time code for a family whose phone is not on the roster; shown only once.

    Not idempotent on purpose: a replay would have to keep the code in clear text.
    """
    return pupils.create_binding_code(school_id, student_id, args["relation"])


@blp.route("/<int:school_id>/role-grants", methods=["POST"])
@blp.arguments(RoleGrantIn)
@blp.response(201, RoleGrantCreatedOut)
def create_role_grant(args, school_id):
    """Grant a staff or committee role; its holder binds it with the one-time code.

    head_teacher needs class_id; committee_member needs level (and class_id for class
    level, grade_id for grade level); gate_staff takes neither. The code is shown once.
    """
    return role_grants.create_role_grant(school_id, args)


@blp.route("/<int:school_id>/role-grants", methods=["GET"])
@blp.arguments(RoleGrantQuery, location="query", unknown=None)
@blp.response(200, RoleGrantOut(many=True))
@blp.paginate()
def list_role_grants(args, school_id, pagination_parameters):
    """Role grants with whether (and when) they were bound; codes are never shown again."""
    p = pagination_parameters
    items, p.item_count = role_grants.list_role_grants(school_id, args, p.page, p.page_size)
    return items


@blp.route("/<int:school_id>/role-grants/<int:grant_id>", methods=["DELETE"])
@blp.response(204)
def revoke_role_grant(school_id, grant_id):
    """Revoke a grant: its holder loses the role on their next request."""
    role_grants.revoke_role_grant(school_id, grant_id)
