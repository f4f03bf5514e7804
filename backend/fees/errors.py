"""The fees domain's error codes (one place, so codes and messages never drift)."""

from backend.errors import define

TermSettled = define(
    "term_settled",
    409,
    "本学期已完成期末结算，收费记录不能再更改",
    "The term is settled; its fee records can no longer change",
)
ExemptionExists = define(
    "exemption_exists",
    409,
    "本学期已有一份待审核或已批准的减免申请",
    "A pending or approved exemption exists for this pupil and term",
)
ExemptionDecided = define(
    "exemption_decided", 409, "该减免申请已处理", "The exemption was already decided"
)
CommentRequired = define(
    "comment_required", 422, "不批准时请填写原因", "A comment is required to reject"
)
StatementNotDraft = define(
    "statement_not_draft", 409, "该账单已出账，不能再次出账", "The statement is not a draft"
)
StatementNotReissuable = define(
    "statement_not_reissuable",
    409,
    "只有已出账且尚未收款的账单可以作废重开；已收款的账单请用调整",
    "Only an issued statement without payments can be reissued; use an adjustment",
)
StatementClosed = define(
    "statement_closed", 409, "该账单已作废或已结算，不能调整", "The statement is void or settled"
)
StatementNotPayable = define(
    "statement_not_payable",
    409,
    "该账单尚未出账或已作废/结算，不能登记收款",
    "The statement is not open for payment",
)
PaymentReferenceReused = define(
    "payment_reference_reused",
    409,
    "该凭证号已登记过一笔不同金额的收款",
    "This reference was already recorded with a different payment",
)
RefundExceedsPaid = define(
    "refund_exceeds_paid",
    409,
    "退款金额超过可退金额：最多可退{left}元（已缴{paid}元，已退{refunded}元）",
    "Refund exceeds what may be refunded: at most {left} yuan "
    "(paid {paid}, already refunded {refunded})",
)
RefundNotPending = define(
    "refund_not_pending", 409, "该退款已处理", "The refund was already completed"
)
InvalidPeriod = define(
    "invalid_period",
    422,
    "账期不正确：按月收费的学期用“YYYY-MM”（学期内的月份），按学期收费的用“term”",
    "Invalid period: 'YYYY-MM' within the term for monthly billing, 'term' for term billing",
)
NoServiceDays = define(
    "no_service_days", 422, "该账期没有服务日，无需收费", "The period has no service days"
)
AlreadySettled = define(
    "already_settled", 409, "本学期已完成期末结算", "The term has already been settled"
)
StatementsOpen = define(
    "statements_open",
    409,
    "还有未出账或未缴清的账单，请先出账、收款或调整后再结算",
    "Some statements are still draft or unpaid; issue, collect or adjust them first",
)
SpentOutsideTerm = define(
    "spent_outside_term", 422, "支出日期不在学期内", "The expense date is outside the term"
)
TotalWouldBeNegative = define(
    "statement_total_negative",
    422,
    "调整后账单总额不能为负：当前{total_yuan}元，调整{amount_yuan}元，将变为{after_yuan}元",
    "An adjustment may not make the total negative: the total is {total_yuan} yuan, "
    "the adjustment {amount_yuan} yuan, which would give {after_yuan} yuan",
)
