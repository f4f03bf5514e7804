"""Stable codes of the sign-up domain and the Chinese words clients and exports show."""

from __future__ import annotations

from backend.schools.models import PRIORITY_FLAGS

# R4: priority groups (the same codes as a pupil's roster flags).
PRIORITY_ZH = {
    "disabled": "残疾儿童",
    "left_behind": "留守儿童",
    "migrant_worker": "进城务工人员子女",
    "hardship": "家庭困难",
}
assert set(PRIORITY_ZH) == set(PRIORITY_FLAGS)

# R9: the free-of-charge categories a family may ask for (the office decides).
EXEMPTION_ZH = {
    "jiandang_lika": "建档立卡贫困户",
    "dibao": "低保家庭",
    "tekun": "特困供养",
    "martyr_child": "烈士子女",
    "orphan": "孤儿",
    "disabled": "残疾学生",
}
EXEMPTION_CATEGORIES = tuple(EXEMPTION_ZH)

STATE_ZH = {
    "submitted": "已提交",
    "class_approved": "班级审核通过",
    "grade_approved": "年级审核通过",
    "approved": "审核通过",
    "rejected": "未通过",
    "in_publicity": "公示中",
    "enrolled": "已录取",
    "withdrawn": "已撤回",
}
LEVEL_ZH = {"class": "班级", "grade": "年级", "school": "学校"}
DECISION_ZH = {
    "submit": "提交申请",
    "approve": "通过",
    "reject": "不通过",
    "resubmit": "重新提交",
    "withdraw": "撤回",
    "publish": "公示",
    "finalize": "录取",
    "uphold_objection": "公示异议成立，退回重审",
}
