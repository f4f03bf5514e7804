"""The schools domain's error codes (one place, so codes and messages never drift)."""

from backend.errors import define

BindingCodeInvalid = define(
    "binding_code_invalid", 404, "绑定码无效，请向学校核对", "Binding code not recognised"
)
BindingCodeUsed = define("binding_code_used", 409, "该绑定码已被使用", "Binding code already used")
BindingCodeExpired = define(
    "binding_code_expired", 410, "绑定码已过期，请联系学校重新获取", "Binding code expired"
)
BindingNotVerified = define(
    "binding_not_verified",
    403,
    "无法确认您是该学生的监护人：请先验证手机号（需与学校登记的家长手机一致），或使用学校提供的绑定码",
    "Could not verify you as a guardian: verify the phone on the school roster or use a code",
)
ImportUnreadable = define(
    "import_unreadable",
    422,
    "无法读取该文件：请上传按模板填写的 .xlsx 文件",
    "Unreadable file: upload an .xlsx roster",
)
SchoolCodeTaken = define("school_code_taken", 409, "该学校代码已被使用", "School code taken")
GradeExists = define("grade_exists", 409, "本校已有同名年级", "A grade with this name exists")
ClassExists = define("class_exists", 409, "该年级已有同名班级", "A class with this name exists")
StudentExists = define(
    "student_exists", 409, "本校已有该学号的学生", "A pupil with this student number exists"
)
StudentInactive = define(
    "student_inactive", 409, "该学生已停用，不能生成绑定码", "The pupil is inactive"
)
StageConflict = define(
    "stage_conflict",
    409,
    "{stage_zh}的课后服务最晚{latest}结束，以下学期仍晚于该时间，请先调整：{terms}",
    "A {stage} school's service ends by {latest}; first change these terms: {terms}",
)
ImportTooLarge = define(
    "import_too_large",
    422,
    "表格过大：最多读取{max_rows}行、{max_cols}列（本表声明{rows}行、{cols}列），请分批导入",
    "Sheet too large: at most {max_rows} rows and {max_cols} columns are read "
    "(this sheet declares {rows} rows and {cols} columns); split the file",
)
