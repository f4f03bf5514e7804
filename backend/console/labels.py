"""Chinese names of the states and kinds the pages show (display only, no rules here)."""

from __future__ import annotations

from backend.signup.codes import STATE_ZH

# The same words as the sign-up exports use: one label per state.
APPLICATION = STATE_ZH
OBJECTION = {"open": "待处理", "upheld": "已采纳", "dismissed": "已驳回"}
STATEMENT = {
    "draft": "草稿",
    "issued": "已出账",
    "partially_paid": "部分缴费",
    "paid": "已缴清",
    "settled": "已结算",
    "void": "已作废",
}
COMPLAINT = {
    "submitted": "待受理",
    "accepted": "处理中",
    "resolved": "已解决",
    "rejected": "不予支持",
    "escalated": "已上报教育局",
}
COMPLAINT_CATEGORY = {
    "fees": "收费",
    "safety": "安全",
    "teaching": "教学",
    "provider": "第三方机构",
    "staff": "教职工",
    "other": "其他",
}
FILING = {"submitted": "待审核", "approved": "已通过", "returned": "已退回"}
FILING_KIND = {
    "service_plan": "课后服务方案",
    "emergency_plan": "应急预案",
    "fee_standard": "收费标准",
    "annual_report": "年度报告",
}
PAY_METHOD = {"cash": "现金", "bank_transfer": "银行转账", "other": "其他"}
