"""The staff domain's error codes (one place, so codes and messages never drift)."""

from backend.errors import define

StaffNotInSchool = define(
    "staff_not_found", 422, "教职工不存在或不属于本校", "No such staff member at this school"
)
ProviderNotInSchool = define(
    "provider_not_found", 422, "服务机构不存在或不属于本校", "No such provider at this school"
)
NoTermOnDate = define(
    "no_term_on_date", 422, "该日期不在任何学期内", "The date is not within any term"
)
NotACourseDay = define(
    "not_a_course_day", 422, "该课程在这一天不上课", "The course does not meet on that day"
)
DuplicateHours = define(
    "duplicate_hours",
    409,
    "该教职工这一天的这节课已经记录，不能重复计酬",
    "That lesson is already recorded for this person on that day; nobody is paid twice",
)
AlreadyCorrected = define(
    "already_corrected", 409, "该记录已被更正过", "That entry has already been corrected"
)
RatesMissing = define(
    "pay_rates_missing", 409, "请先设置本学期的劳务报酬标准", "Set the term's pay rates first"
)
AdminPayAboveAverage = define(
    "admin_pay_above_average",
    422,
    "行政（后勤）人员月补助{admin_yuan}元高于当月直接服务人员平均报酬{average_yuan}元",
    "The admin monthly amount {admin_yuan} yuan is above the average {average_yuan} yuan "
    "of the staff who taught that month",
)
NothingToCorrect = define(
    "nothing_to_correct",
    409,
    "与已批准的劳务报酬表相比没有差额",
    "Nothing differs from the approved pay sheet",
)
NegativeCorrection = define(
    "negative_correction",
    422,
    "更正表合计为负数（多发{amount_yuan}元），请追回后另行登记，不能作为支出",
    "The correcting sheet totals a negative {amount_yuan} yuan (overpaid); "
    "recover it separately, it cannot be recorded as an expense",
)
