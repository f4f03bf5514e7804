"""Domain errors with a stable code and an HTTP status, and the one place that renders them."""

from __future__ import annotations

import logging

from flask import request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from backend.common.field_messages import localise

log = logging.getLogger("kehou.errors")

# code -> (status, Chinese message, English message)
CATALOGUE: dict[str, tuple[int, str, str]] = {}


class DomainError(Exception):
    """Raised by services; carries what the client needs to branch on and to show."""

    code = "bad_request"
    status = 400

    def __init__(self, message: str | None = None, *, errors=None, headers=None, **params):
        super().__init__(message or self.code)
        self.custom_message = message
        self.errors = errors
        self.headers = headers or {}
        self.params = params

    def messages(self) -> tuple[str, str]:
        _, zh, en = CATALOGUE.get(self.code, (self.status, self.code, self.code))
        if self.custom_message:
            return self.custom_message, self.custom_message
        try:
            return zh.format(**self.params), en.format(**self.params)
        except (KeyError, IndexError):
            return zh, en


def define(code: str, status: int, zh: str, en: str) -> type[DomainError]:
    """Declare an error code once; returns the exception class to raise."""
    if code in CATALOGUE and CATALOGUE[code] != (status, zh, en):
        raise ValueError(f"error code {code} defined twice differently")
    CATALOGUE[code] = (status, zh, en)
    name = "".join(part.title() for part in code.split("_")) + "Error"
    return type(name, (DomainError,), {"code": code, "status": status})


BadRequest = define("bad_request", 400, "请求有误", "Bad request")
Unauthorized = define("unauthorized", 401, "请先登录", "Authentication required")
Forbidden = define("forbidden", 403, "您没有权限进行此操作", "You are not allowed to do this")
NotFound = define("not_found", 404, "找不到该记录", "Not found")
Conflict = define("conflict", 409, "操作与当前状态冲突", "Conflict with the current state")
ValidationFailed = define("validation_error", 422, "填写的内容有误，请检查", "Invalid input")
RateLimited = define("rate_limited", 429, "操作太频繁，请稍后再试", "Too many requests")
ServiceUnavailable = define(
    "service_unavailable", 503, "服务暂时不可用，请稍后再试", "Service temporarily unavailable"
)
define("method_not_allowed", 405, "不支持该请求方法", "Method not allowed")
define("payload_too_large", 413, "提交的内容太大", "Request body too large")
define("unsupported_media_type", 415, "不支持的内容格式", "Unsupported media type")
define("internal_error", 500, "服务器开小差了，请稍后再试", "Internal server error")
define("not_acceptable", 406, "无法提供该格式", "Not acceptable")
DatabaseUnavailable = define(
    "database_unavailable", 503, "数据库暂时不可用，请稍后再试", "Database unavailable"
)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "service_unavailable",
}


def wants_english() -> bool:
    try:
        langs = request.accept_languages
    except RuntimeError:
        return False
    best = langs.best_match(["zh", "en"], default="zh")
    return best == "en"


def body(status: int, code: str, message: str, errors=None) -> dict:
    payload = {
        "code": status,
        "status": HTTP_STATUS_CODES.get(status, "Error"),
        "error": code,
        "message": message,
    }
    if errors:
        payload["errors"] = errors
    return payload


def _details(errors, english: bool):
    """Per-field details in the language of the message (never one of each)."""
    return localise(errors, english) if errors else errors


def render_domain_error(exc: DomainError):
    zh, en = exc.messages()
    english = wants_english()
    return (
        body(exc.status, exc.code, en if english else zh, _details(exc.errors, english)),
        exc.status,
        (exc.headers),
    )


def _flatten_webargs(messages):
    # webargs nests by location ({"json": {...}, "query": {...}}); clients want fields.
    if not isinstance(messages, dict):
        return {"_schema": messages}
    flat: dict = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


def render_http_exception(exc: HTTPException):
    status = exc.code or 500
    code = _HTTP_CODES.get(status, "internal_error" if status >= 500 else "bad_request")
    data = getattr(exc, "data", None) or {}
    errors = None
    if "errors" in data:
        errors = data["errors"]
    elif "messages" in data:
        errors = _flatten_webargs(data["messages"])
    _, zh, en = CATALOGUE[code]
    headers = dict(data.get("headers") or {})
    # Werkzeug puts Allow / Retry-After / WWW-Authenticate on the exception itself.
    try:
        for key, value in exc.get_headers():
            if key.lower() != "content-type":
                headers[key] = value
    except Exception:  # pragma: no cover - defensive, headers are optional
        pass
    if status == 429 and "Retry-After" not in headers:
        headers["Retry-After"] = "60"
    english = wants_english()
    return body(status, code, en if english else zh, _details(errors, english)), status, headers


def register_error_handlers(app) -> None:
    app.register_error_handler(DomainError, render_domain_error)
    app.register_error_handler(HTTPException, render_http_exception)

    @app.errorhandler(OperationalError)
    def _db_down(exc):
        log.error("database error: %s", exc.__class__.__name__)
        return render_domain_error(DatabaseUnavailable(headers={"Retry-After": "5"}))

    @app.errorhandler(DBAPIError)
    def _db_error(exc):
        if exc.connection_invalidated:
            return _db_down(exc)
        log.exception("database error")
        return body(500, "internal_error", CATALOGUE["internal_error"][1]), 500

    @app.errorhandler(Exception)
    def _unhandled(exc):
        from redis.exceptions import ConnectionError as RedisConnectionError

        if isinstance(exc, RedisConnectionError):
            log.error("redis unavailable: %s", exc)
            return render_domain_error(ServiceUnavailable())
        log.exception("unhandled error")
        zh, en = CATALOGUE["internal_error"][1:]
        return body(500, "internal_error", en if wants_english() else zh), 500
