"""The sign-up domain's error codes (declared once, raised by the services)."""

from __future__ import annotations

from backend.errors import define

SignupClosed = define(
    "signup_closed", 409, "当前不在报名时间内", "Sign-up is not open for this term"
)
SignupNotReady = define(
    "signup_not_ready",
    409,
    "学校尚未发布本学期的服务协议，暂不能报名",
    "The school has not published this term's service agreement; sign-up is not available",
)
AgreementRequired = define(
    "agreement_required",
    422,
    "请先阅读并同意本学期的课后服务协议",
    "You must agree to this term's service agreement",
)
ApplicationExists = define(
    "application_exists",
    409,
    "该学生本学期已有报名申请",
    "This pupil already has an application for this term",
)
StudentLeft = define(
    "student_left", 409, "该学生已不在校，无法报名", "The pupil has left the school"
)
ApplicationStateConflict = define(
    "application_state_conflict",
    409,
    "申请当前状态不能进行此操作",
    "The application's state does not allow this",
)
TermOver = define("term_over", 409, "本学期已结束", "The term is over")
ReviewConflict = define(
    "review_conflict",
    409,
    "部分申请已被处理或不在您的审核范围内，本次审核未生效，请刷新后重试",
    "Some decisions are not allowed; nothing was applied",
)
CommentRequired = define(
    "comment_required", 422, "不批准时请填写原因", "A comment is required to reject"
)
NothingToPublish = define(
    "nothing_to_publish", 409, "没有待公示的申请", "No approved application to publish"
)
PublicityClosed = define(
    "publicity_closed", 409, "当前不在公示期内", "The posting is not open for objections"
)
PublicityNotOver = define(
    "publicity_not_over", 409, "公示期尚未结束", "The posting period is not over yet"
)
NoPublication = define("no_publication", 404, "本学期尚未公示", "This term has no posting yet")
ObjectionAnswered = define(
    "objection_answered", 409, "该异议已处理", "The objection has already been answered"
)
ObjectionNeedsApplication = define(
    "objection_needs_application",
    422,
    "请指明异议所涉及的申请",
    "Name the application the upheld objection concerns",
)
# Pickup and courses raise it too: enrolment is signup's, so is the one wording.
NotEnrolled = define(
    "not_enrolled", 403, "该学生未参加本学期课后服务", "The pupil is not enrolled in this term"
)
