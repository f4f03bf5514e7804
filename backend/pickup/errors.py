"""Pickup's domain errors (one definition each, all through the shared catalogue)."""

from __future__ import annotations

from backend.errors import define
from backend.signup.errors import NotEnrolled as NotEnrolled  # one wording, signup's

NotAServiceDay = define(
    "not_a_service_day", 422, "该日期没有课后服务", "There is no after-school service on that day"
)
DateInPast = define("date_in_past", 422, "不能选择已经过去的日期", "The date is in the past")
InvalidPickupPerson = define(
    "invalid_pickup_person",
    422,
    "接送人不在该学生当日有效的授权名单中",
    "The person is not an authorised pickup person of the pupil on that day",
)
InvalidPickupTime = define(
    "invalid_pickup_time", 422, "接送时间不符合要求", "The pickup time does not fit the plan"
)
PickupPersonExists = define(
    "pickup_person_exists", 409, "该手机号已在接送人名单中", "This phone is already on the list"
)
TooManyPickupPersons = define(
    "too_many_pickup_persons",
    409,
    "接送人最多{limit}位，请先删除不再接送的人",
    "At most {limit} pickup persons; remove one first",
)
PhotoTooLarge = define(
    "photo_too_large", 413, "照片不能超过{limit}MB", "The photo is larger than {limit} MB"
)
UnsupportedPhotoType = define(
    "unsupported_photo_type", 415, "照片须为 JPEG 或 PNG 格式", "The photo must be JPEG or PNG"
)
PhotoUnreadable = define(
    "photo_unreadable",
    422,
    "照片无法读取，请重新拍摄或换一张 JPEG/PNG 照片",
    "The photo cannot be read; upload another JPEG or PNG",
)
PhotoTooManyPixels = define(
    "photo_too_many_pixels",
    422,
    "照片像素过多（最多{limit_wan}万像素）",
    "The photo has too many pixels (at most {limit_mp} megapixels)",
)
SelfLeaveNotAllowed = define(
    "self_leave_not_allowed",
    409,
    "家长尚未同意该学生自行离校",
    "A guardian has not allowed the pupil to leave alone",
)
PastCutoff = define(
    "past_cutoff",
    409,
    "已过当天{cutoff}的截止时间，无法取消；如有变化请重新提交（将标记为迟交）",
    "Past the {cutoff} cutoff; submit a new notice instead (it will be marked late)",
)
NoticeClosed = define("notice_closed", 409, "该接送通知已结束", "The notice is no longer open")
AlreadyHandedOver = define(
    "already_handed_over", 409, "该学生今天已离校", "The pupil has already left school today"
)
StudentAbsent = define("student_absent", 409, "该学生今天缺勤或请假", "The pupil is absent today")
TooManyCodes = define(
    "too_many_codes",
    409,
    "今天已生成{limit}个有效接送码，请使用已有的接送码",
    "{limit} handoff codes are already active today; use one of them",
)
CodeNotFound = define("code_not_found", 404, "接送码无效", "Handoff code not recognised")
CodeUsed = define("code_used", 409, "该接送码已使用", "The handoff code was already used")
CodeExpired = define("code_expired", 410, "该接送码已过期", "The handoff code has expired")
CodeVoid = define(
    "code_void",
    410,
    "该接送码已作废，请家长重新生成",
    "The handoff code is void; ask for a new one",
)
VerificationLocked = define(
    "verification_locked",
    423,
    "接送码输入错误次数过多，请{minutes}分钟后再试，或扫描二维码",
    "Too many wrong codes; try again in {minutes} minutes or scan the QR code",
)
LeaveOverlap = define(
    "leave_overlap", 409, "所选日期已有请假申请", "A leave request already covers these dates"
)
LeaveAlreadyDecided = define(
    "leave_already_decided", 409, "该请假申请已处理", "The leave request was already decided"
)
LeaveCommentRequired = define(
    "leave_comment_required", 422, "不批准时请填写原因", "A rejection needs a comment"
)
DateInFuture = define("date_in_future", 422, "不能登记未来日期的考勤", "The date is in the future")
AbsentButReleased = define(
    "attendance_contradicts_release",
    409,
    "以下学生今天已放学离校（已在校门交接或由班主任放行），不能记为缺席：{student_ids}",
    "These pupils left school today (handed over at the gate or released by the teacher) "
    "and cannot be marked absent: {student_ids}",
)
