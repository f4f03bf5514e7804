"""The district domain's error codes."""

from backend.errors import define

DistrictCodeTaken = define("district_code_taken", 409, "该区县代码已被使用", "District code taken")
PlanNotApproved = define(
    "plan_not_approved",
    409,
    "本学期课后服务方案尚未经教育局备案通过，暂不能报名",
    "The term's service plan is not yet approved by the district",
)
FilingNotPending = define(
    "filing_not_pending",
    409,
    "该备案当前状态（{state}）不能进行此操作",
    "The filing cannot do this from {state}",
)
AlreadyBlacklisted = define(
    "already_blacklisted",
    409,
    "该营业执照号已在本区县黑名单中",
    "This licence is already on the district blacklist",
)
NoDistrict = define(
    "no_district", 409, "本校尚未归属任何区县，无法备案", "The school belongs to no district"
)
