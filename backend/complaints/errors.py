"""Every error the complaints domain defines."""

from __future__ import annotations

from backend.errors import define

CannotEscalate = define(
    "cannot_escalate",
    409,
    "当前不能提交上级督办：仅在超过办理期限仍未答复，或答复后7天内可以申请",
    "Escalation is possible only past the due time while unanswered, or within 7 days "
    "after a reply",
)
NotReplied = define(
    "complaint_not_replied", 409, "学校尚未答复，暂不能评价", "There is no reply to rate yet"
)
FeedbackGiven = define(
    "feedback_already_given", 409, "您已评价过该答复", "You have already rated this reply"
)
