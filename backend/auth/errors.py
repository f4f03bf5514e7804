"""The auth domain's error codes (one place, so codes and messages never drift)."""

from backend.errors import define

InvalidCredentials = define(
    "invalid_credentials", 401, "用户名或密码错误", "Wrong username or password"
)
AccountLocked = define(
    "account_locked",
    423,
    "登录失败次数过多，账号已临时锁定，请{minutes}分钟后再试",
    "Too many failed sign-ins: the account is locked, try again in {minutes} minutes",
)
OtpRequired = define(
    "otp_required", 401, "请输入身份验证器上的6位动态验证码", "A one-time code (TOTP) is required"
)
InvalidOtp = define("invalid_otp", 401, "动态验证码不正确", "Wrong one-time code")
UsernameTaken = define("username_taken", 409, "该用户名已被使用", "Username already taken")
TotpAlreadyEnabled = define(
    "totp_already_enabled", 409, "已启用动态验证码，无需重复设置", "TOTP is already enabled"
)
TotpNotSetUp = define(
    "totp_not_set_up", 409, "请先生成动态验证码密钥", "Set up TOTP before confirming it"
)
TotpCodeMismatch = define(
    "totp_code_mismatch",
    422,
    "动态验证码不正确，请核对身份验证器上的验证码和手机时间",
    "The one-time code does not match; check the authenticator app and the phone's clock",
)
WrongCurrentPassword = define(
    "wrong_current_password", 422, "当前密码不正确", "The current password is wrong"
)
SessionExpired = define("session_expired", 401, "登录已过期，请重新登录", "Session expired")
WeakPassword = define(
    "weak_password",
    422,
    "密码强度不够：至少10位，须同时包含字母和数字，且不能与用户名相同",
    "Weak password: at least 10 characters with letters and digits, not the username",
)
RefreshTokenInvalid = define(
    "refresh_token_invalid",
    401,
    "登录已失效，请重新登录",
    "The refresh token is invalid or expired; sign in again",
)
RefreshTokenReused = define(
    "refresh_token_reused",
    401,
    "登录凭证已在别处使用，为保护账号安全已退出登录，请重新登录",
    "This refresh token was already used; the session was ended for safety, sign in again",
)
TotpEnrollmentRequired = define(
    "totp_enrollment_required",
    403,
    "请先设置动态验证码（身份验证器）后再使用管理后台",
    "Set up TOTP (an authenticator app) before using the admin API",
)
