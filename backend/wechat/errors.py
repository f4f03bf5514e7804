"""The wechat domain's error codes (one place, so codes and messages never drift)."""

from backend.errors import define

WeChatCodeInvalid = define(
    "wechat_code_invalid",
    401,
    "微信登录凭证无效或已过期，请重新登录",
    "The WeChat login code is invalid, used or expired; call wx.login() again",
)
PhoneCodeInvalid = define(
    "phone_code_invalid",
    422,
    "手机号授权已失效，请重新授权",
    "The phone number code is invalid, used or expired; ask the user again",
)
WeChatUnavailable = define(
    "wechat_unavailable",
    503,
    "微信服务暂时不可用，请稍后再试",
    "WeChat is temporarily unavailable, please try again later",
)
