"""Shared clients: the two flask-smorest APIs, Redis and the rate limiter."""

from __future__ import annotations

import fakeredis
import marshmallow as ma
import redis
from flask import current_app, g, request
from flask_limiter import Limiter
from flask_smorest import Api

from backend.common.pagination import Blueprint
from backend.errors import render_http_exception

SECURITY_SCHEMES = {"bearerAuth": {"type": "http", "scheme": "bearer"}}


class ErrorSchema(ma.Schema):
    """The error body of every API error (documentation only)."""

    code = ma.fields.Integer(metadata={"description": "HTTP status"})
    status = ma.fields.String(metadata={"description": "HTTP status name"})
    error = ma.fields.String(metadata={"description": "Stable machine code to branch on"})
    message = ma.fields.String(
        metadata={"description": "For people (zh, or en by Accept-Language)"}
    )
    errors = ma.fields.Dict(metadata={"description": "Per-field details (422)"})


class KehouApi(Api):
    """flask-smorest Api whose HTTP errors use our body and keep the exception's headers."""

    ERROR_SCHEMA = ErrorSchema

    def _register_pagination_header(self):
        # The header carries JSON text; documenting it as an object made it a lie on the wire.
        self.spec.components.header(
            "PAGINATION",
            {
                "description": "Pagination metadata as JSON text: "
                '{"total", "total_pages", "first_page", "last_page", "page", '
                '"previous_page", "next_page"}',
                "schema": {"type": "string"},
            },
            lazy=True,
        )

    def register_blueprint(self, blp, **options):
        """Register a route module's blueprint; only the project's, so every list is bounded."""
        if not isinstance(blp, Blueprint):
            raise TypeError(f"{blp.name}: make it with backend.common.pagination.Blueprint")
        super().register_blueprint(blp, **options)

    def handle_http_exception(self, error):
        return render_http_exception(error)

    def _register_error_handlers(self):
        # errors.register_error_handlers installs the one app-wide handler.
        pass


def _spec_kwargs(title: str, description: str) -> dict:
    return {
        "title": title,
        "version": "v1",
        "openapi_version": "3.0.3",
        "info": {"description": description},
        "components": {"securitySchemes": SECURITY_SCHEMES},
        "security": [{"bearerAuth": []}],
    }


app_api = KehouApi(
    spec_kwargs=_spec_kwargs(
        "Kehou mini-program API",
        "The API the WeChat mini-program calls. Errors always have the shape "
        '{"code", "status", "error", "message", "errors"}; branch on `error`.',
    ),
    config_prefix="APP",
)
admin_api = KehouApi(
    spec_kwargs=_spec_kwargs(
        "Kehou admin API",
        "The school office and platform administration API. Same error shape as the app API. "
        "Sign-in is password + TOTP: a session of an admin without TOTP enrolled may only "
        "enrol it (POST /auth/totp/setup, /auth/totp/confirm) or log out; every other "
        "endpoint answers it 403 `totp_enrollment_required`.",
    ),
    config_prefix="ADMIN",
)


def api_config(prefix: str, url_prefix: str) -> dict:
    return {
        f"{prefix}_OPENAPI_VERSION": "3.0.3",
        f"{prefix}_OPENAPI_URL_PREFIX": url_prefix,
        f"{prefix}_OPENAPI_JSON_PATH": "openapi.json",
        f"{prefix}_OPENAPI_SWAGGER_UI_PATH": "docs",
        f"{prefix}_OPENAPI_SWAGGER_UI_URL": "/static/swagger-ui/",
    }


def blocking_pool(url: str, max_connections: int = 200) -> redis.BlockingConnectionPool:
    """A pool that waits briefly for a free connection instead of failing at once when a
    burst of threads outnumbers the pool (redis-py's default pool raises)."""
    return redis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=2,
        socket_timeout=2,
        socket_connect_timeout=2,
        health_check_interval=30,
    )


def make_redis(url: str):
    if url:
        return redis.Redis(connection_pool=blocking_pool(url))
    # One fake server per process: the embedded default for a single dev process.
    return fakeredis.FakeRedis(server=fakeredis.FakeServer())


def get_redis():
    return current_app.extensions["kehou"]["redis"]


def _rate_key() -> str:
    actor = g.get("actor")
    if actor is not None:
        return f"{actor.kind}:{actor.id}"
    return request.remote_addr or "unknown"


limiter = Limiter(key_func=_rate_key, headers_enabled=True)


def rate_key_by_address() -> str:
    return request.remote_addr or "unknown"
