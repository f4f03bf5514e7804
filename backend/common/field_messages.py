"""Per-field error details in the request's language: marshmallow's English built-ins get
their Chinese, the project's Chinese messages their English (one table of pairs).

A message with a value in it is a template: `{name}` matches any text and is carried over.
A new validator message in Chinese goes into PROJECT below (tests/common/test_languages.py
finds any request schema whose message has no pair).
"""

from __future__ import annotations

import re
from functools import cache

# marshmallow's and webargs' own messages (fields, validators, schema): (English, Chinese).
BUILT_IN: list[tuple[str, str]] = [
    ("Missing data for required field.", "此项必填"),
    ("Unknown field.", "不支持的字段"),
    ("Field may not be null.", "不能为空"),
    ("Invalid value.", "取值无效"),
    ("Invalid input.", "输入无效"),
    ("Invalid input type.", "输入的类型不对"),
    ("Invalid type.", "类型不对"),
    ("Invalid JSON body.", "请求体不是有效的 JSON"),
    ("Not a valid boolean.", "须为 true 或 false"),
    ("Not a valid integer.", "须为整数"),
    ("Not a valid number.", "须为数字"),
    ("Number too large.", "数值太大"),
    ("Special numeric values (nan or infinity) are not permitted.", "不能为 NaN 或无穷大"),
    ("Not a valid string.", "须为文本"),
    ("Not a valid utf-8 string.", "须为 UTF-8 文本"),
    ("Not a valid mapping type.", "须为对象"),
    ("Not a valid list.", "须为数组"),
    ("Not a valid tuple.", "须为数组"),
    ("Not a valid date.", "日期无效（格式 YYYY-MM-DD）"),
    ("Not a valid time.", "时间无效（格式 HH:MM）"),
    ("Not a valid datetime.", "时间无效（ISO 8601 格式）"),
    ("Not a valid aware datetime.", "时间须带时区（ISO 8601）"),
    ("Not a valid naive datetime.", "时间不能带时区"),
    ("Not a valid period of time.", "时长无效"),
    ("Not a valid email address.", "邮箱地址无效"),
    ("Not a valid URL.", "链接无效"),
    ("Not a valid UUID.", "UUID 无效"),
    ("Not a valid IP address.", "IP 地址无效"),
    ("Not a valid {what}.", "{what} 无效"),
    ("Must be one of: {choices}.", "须为以下之一：{choices}"),
    ("Must be equal to {other}.", "须等于 {other}"),
    ("One or more of the choices you made was not in: {choices}.", "有选项不在 {choices} 中"),
    ("One or more of the choices you made was in: {values}.", "有选项属于 {values}"),
    ("Length must be between {min} and {max}.", "长度须在 {min} 到 {max} 之间"),
    ("Length must be {equal}.", "长度须为 {equal}"),
    ("Longer than maximum length {max}.", "长度不能超过 {max}"),
    ("Shorter than minimum length {min}.", "长度不能少于 {min}"),
    (
        "Must be greater than or equal to {min} and less than or equal to {max}.",
        "须在 {min} 到 {max} 之间",
    ),
    ("Must be greater than {min} and less than {max}.", "须大于 {min} 且小于 {max}"),
    (
        "Must be greater than or equal to {min} and less than {max}.",
        "须大于等于 {min} 且小于 {max}",
    ),
    (
        "Must be greater than {min} and less than or equal to {max}.",
        "须大于 {min} 且不超过 {max}",
    ),
    ("Must be greater than or equal to {min}.", "须不小于 {min}"),
    ("Must be greater than {min}.", "须大于 {min}"),
    ("Must be less than or equal to {max}.", "须不超过 {max}"),
    ("Must be less than {max}.", "须小于 {max}"),
    ("String does not match expected pattern.", "格式不正确"),
]

# The project's own messages (validators, use cases): (English, Chinese).
PROJECT: list[tuple[str, str]] = [
    ("Must be resolved or rejected", "须为 resolved 或 rejected"),
    ("1 to 2000 characters", "请填写1至2000字"),
    ("Change at least one field", "请至少修改一项"),
    ("Format: YYYY-MM", "格式为 YYYY-MM"),
    ("Not a valid mobile number", "手机号格式不正确"),
    ("District code: 1-32 letters, digits, _ or -", "区县代码为1-32位字母、数字、_ 或 -"),
    ("No such district", "没有这个区县"),
    ("A return needs a reason", "退回时须说明理由"),
    ("The end date must be after today", "截止日期须晚于今天"),
    ("A service plan names its term", "课后服务方案须注明学期"),
    ("This school has no such term", "本校没有这个学期"),
    ("PDF, Word, Excel, JPEG or PNG files only", "仅支持 PDF、Word、Excel、JPEG 或 PNG 文件"),
    ("The file is empty", "文件为空"),
    ("At most 10 MB", "文件不得超过10MB"),
    ("Enter an 11-digit mobile number", "请输入11位手机号"),
    ("6 digits", "6位数字"),
    ("Give either code or qr_token", "请提供 code 或 qr_token 之一"),
    ("give either code or qr_token", "请提供 code 或 qr_token 之一"),
    ("1-100 ASCII characters", "1-100个 ASCII 字符"),
    ("A username is 3-64 letters, digits or _ . -", "用户名为3-64位字母、数字或 _ . -"),
    ("A school code is 1-32 letters, digits, _ or -", "学校代码为1-32位字母、数字、_ 或 -"),
    ("A pupil's guardians need different phone numbers", "同一学生的家长手机号不能重复"),
    ("Required for this role", "该角色需要填写此项"),
    ("Not for this role", "该角色不应填写此项"),
    ("No such class in this school", "本校没有这个班级"),
    ("No such grade in this school", "本校没有这个年级"),
    ("No such term", "找不到该学期"),
    ("Give a reason", "请填写原因"),
    ("Give a reason when not approving", "不批准时请填写原因"),
    ("An adjustment cannot be 0", "调整金额不能为0"),
    ("From {start} to {end}", "{start} 至 {end}"),
    ("The payment date cannot be after today", "收款日期不能晚于今天"),
    ("At most {fen} fen can be refunded", "最多可退 {fen} 分"),
    ("YYYY-MM or term", "格式为 YYYY-MM 或 term"),
    ("That month is outside the term", "该月份不在学期内"),
    ("This term bills per term: the period is term", "本学期按学期收费，账期为 term"),
    ("This term bills monthly: the period is YYYY-MM", "本学期按月收费，账期格式为 YYYY-MM"),
    ("Must be before the day's service end {end}", "须早于当天服务结束时间{end}"),
    ("An early pickup needs a pickup time", "提前接需要填写接送时间"),
    ("An early pickup needs a pickup person", "提前接需要选择接送人"),
    ("This kind takes no pickup person", "该类型不需要接送人"),
    (
        "This kind takes no time (a regular pickup is at service end)",
        "该类型不需要填写时间（正常接为服务结束时间）",
    ),
    ("At most {days} days ahead", "至多{days}天内"),
    ("Already on the list", "已在名单中"),
    ("Not a pupil of this class in the service this term", "不是本班本学期参加课后服务的学生"),
    ("Duplicate", "重复"),
    ("Each course may be listed once", "同一课程只能填一次"),
    ("No such course this term: {ids}", "本学期没有课程 {ids}"),
    ("sha256(seed) does not match the published hash", "sha256(seed) 与公布的哈希值不符"),
    ("Each weekday may appear once", "每个星期几只能出现一次"),
    ("Must be a 64-digit hexadecimal SHA-256", "须为64位十六进制 SHA-256"),
    ("The school already has a provider of that name", "本校已有同名服务机构"),
    ("The end must be in the future", "截止时间须晚于现在"),
    ("For grades {min}-{max}", "适用年级 {min}-{max}"),
    ("The end must be after the start", "结束时间须晚于开始时间"),
    ("No later than the term's service end {end}", "不得晚于本学期课后服务结束时间 {end}"),
    ("The highest grade cannot be below the lowest", "最高年级不得低于最低年级"),
    ("No such provider in this school", "本校没有这个服务机构"),
    ("At least {n}", "至少 {n}"),
    ("Agree to this term's service agreement", "须同意本学期的服务协议"),
    ("Each application may appear once", "每个申请只能出现一次"),
    ("Not on this publicity list", "不在本次公示名单中"),
    ("Not among this school's applications of the term", "不在本校本学期的申请中"),
    ("The end date is before the start date", "结束日期早于开始日期"),
    ("Sign-up must close after it opens", "报名截止时间须晚于开始时间"),
    ("Course selection must close after it opens", "选课截止时间须晚于开始时间"),
    ("Sign-up must open before the term ends", "报名须在学期结束前开始"),
    ("Course selection must open before the term ends", "选课须在学期结束前开始"),
    ('For example ["class", "grade", "school"]', '例如 ["class", "grade", "school"]'),
    ("At most {fen} fen a month", "上限为每月{fen}分"),
    ("Dates are YYYY-MM-DD", "日期格式应为 YYYY-MM-DD"),
    ("JPEG/PNG", "仅支持 JPEG/PNG"),
]

PAIRS = BUILT_IN + PROJECT
_PLACEHOLDER = re.compile(r"\\\{(\w+)\\\}")


@cache
def _patterns(english: bool) -> tuple[dict[str, str], list[tuple[re.Pattern, str]]]:
    """(exact source -> target, [(template pattern, target template)]) for one direction."""
    exact: dict[str, str] = {}
    templates: list[tuple[int, str, str]] = []
    for en, zh in PAIRS:
        source, target = (zh, en) if english else (en, zh)
        if "{" not in source:
            exact.setdefault(source, target)
            continue
        pattern = _PLACEHOLDER.sub(r"(?P<\1>.+?)", re.escape(source))
        templates.append((len(_PLACEHOLDER.sub("", re.escape(source))), pattern, target))
    # The most specific template first: "{start} 至 {end}" must not shadow a longer one.
    templates.sort(key=lambda t: -t[0])
    return exact, [(re.compile(p, re.DOTALL), target) for _, p, target in templates]


def translate(text: str, english: bool) -> str:
    """`text` in the wanted language when the table knows it, else unchanged."""
    exact, templates = _patterns(english)
    if text in exact:
        return exact[text]
    for pattern, target in templates:
        found = pattern.fullmatch(text)
        if found:
            return target.format(**found.groupdict())
    return text


def localise(errors, english: bool):
    """The per-field `errors` of a 422 (dicts and lists of messages) in one language."""
    if isinstance(errors, dict):
        return {key: localise(value, english) for key, value in errors.items()}
    if isinstance(errors, list | tuple):
        return [localise(value, english) for value in errors]
    if isinstance(errors, str):
        return translate(errors, english)
    return errors
