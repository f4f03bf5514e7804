"""The terms domain's error codes (one place, so codes and messages never drift)."""

from backend.errors import define

InvalidTermDates = define(
    "invalid_term_dates", 422, "学期日期或时间窗口不正确", "Term dates or windows are not valid"
)
FeeAboveCap = define(
    "fee_above_cap",
    422,
    "每月收费{fee}元超过本校上限{cap}元",
    "Monthly fee {fee} yuan is above the school's cap of {cap} yuan",
)
TermOverlap = define("term_overlap", 409, "与本校已有学期的日期重叠", "Overlaps another term")
DateOutsideTerm = define("date_outside_term", 422, "该日期不在学期内", "Date is outside the term")
InvalidReviewLevels = define(
    "invalid_review_levels",
    422,
    "审核层级须按 班级→年级→学校 顺序且以学校层级结束",
    "Review levels must follow class -> grade -> school and end at school",
)
ServiceEndTooLate = define(
    "service_end_too_late",
    422,
    "{stage_zh}课后服务最晚{latest}结束",
    "A {stage} school's service must end by {latest}",
)
