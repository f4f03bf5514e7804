"""The course domain's error codes (one place, so codes and messages never drift)."""

from backend.errors import define
from backend.signup.errors import NotEnrolled as NotEnrolled  # one wording, signup's

CourseFull = define("course_full", 409, "该课程名额已满", "The course is full")
TimeConflict = define(
    "time_conflict", 409, "与已选课程「{other}」时间冲突", "Clashes with {other} already chosen"
)
AlreadySelected = define("already_selected", 409, "已经选过这门课程", "Already selected")
SelectionClosed = define(
    "selection_closed", 409, "当前不在选课时间内", "Course selection is not open now"
)
MaxCoursesReached = define(
    "max_courses_reached",
    409,
    "每名学生最多选{limit}门课程",
    "At most {limit} courses per pupil",
)
GradeNotEligible = define(
    "grade_not_eligible", 422, "该课程不面向该学生所在年级", "The course is not open to this grade"
)
LotteryTerm = define(
    "lottery_term",
    409,
    "本学期选课采用抽签方式，请在选课时间内填写志愿",
    "This term selects by lottery: rank your preferences instead",
)
NotLotteryTerm = define(
    "not_lottery_term",
    409,
    "本学期选课为先到先得，无需抽签",
    "This term is first come first served",
)
ProviderBlacklisted = define(
    "provider_blacklisted",
    409,
    "该服务机构已被列入黑名单，不得开设课程",
    "The provider is blacklisted and may not run courses",
)
ProviderInactive = define(
    "provider_inactive", 409, "该服务机构已停用", "The provider is not active"
)
ProviderExists = define(
    "provider_exists", 409, "本校已有同名服务机构", "A provider with this name exists"
)
InvalidCourse = define(
    "invalid_course", 422, "课程设置有误，请检查", "The course settings are not valid"
)
CapacityBelowTaken = define(
    "capacity_below_taken",
    409,
    "已有{taken}名学生选课，容量不能低于此数",
    "{taken} seats are taken: capacity cannot go below that",
)
SelectionNotDroppable = define(
    "selection_not_droppable", 409, "本学期已结束，不能退课", "The term is over"
)
InvalidPreferences = define(
    "invalid_preferences", 422, "志愿填写有误，请检查", "The preferences are not valid"
)
LotteryNotCommitted = define(
    "lottery_not_committed", 409, "学校尚未公布抽签种子的哈希值", "No seed hash committed yet"
)
LotteryCommitted = define(
    "lottery_already_committed",
    409,
    "抽签种子哈希已公布，不能更改",
    "The seed hash is already committed",
)
LotteryCommitTooLate = define(
    "lottery_commit_too_late",
    409,
    "选课已截止，不能再公布种子哈希",
    "Selection has closed: too late to commit a seed hash",
)
LotteryWindowOpen = define(
    "lottery_window_open",
    409,
    "选课尚未截止，不能抽签",
    "Selection is still open: draw after it closes",
)
LotteryDrawn = define("lottery_already_drawn", 409, "本学期已经抽签", "The lottery has been drawn")
LotteryNotDrawn = define("lottery_not_drawn", 404, "尚未抽签", "The lottery has not been drawn yet")
SeedMismatch = define(
    "seed_mismatch",
    422,
    "种子与事先公布的哈希值不符",
    "sha256(seed) does not match the committed seed hash",
)
