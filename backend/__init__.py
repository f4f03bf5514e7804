"""Kehou backend: create_app() wires settings, storage, the two APIs and the CLI."""

from __future__ import annotations

import importlib
from pathlib import Path

from flask import Flask, send_from_directory
from sqlalchemy.orm import sessionmaker
from werkzeug.middleware.proxy_fix import ProxyFix

from backend.common.schemas import MAX_ID
from backend.settings import Settings


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        JSON_AS_ASCII=False,
        RATELIMIT_ENABLED=settings.extra.get("ratelimit_enabled", True),
        RATELIMIT_HEADERS_ENABLED=True,
        ACCESS_LOG=settings.extra.get("access_log", True),
    )
    app.wsgi_app = TrustedProxies(app.wsgi_app, settings)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    # Ids are 32-bit in the database: a larger one in a path is simply not found (404),
    # never an overflow inside a query.
    from werkzeug.routing import IntegerConverter

    class IdConverter(IntegerConverter):
        def __init__(self, map, *args, **kwargs):
            kwargs.setdefault("max", MAX_ID)
            super().__init__(map, *args, **kwargs)

    app.url_map.converters["int"] = IdConverter

    from backend import models  # noqa: F401  (every table registered on Base.metadata)
    from backend.auth.context import authenticate
    from backend.database import close_session, make_engine
    from backend.errors import register_error_handlers
    from backend.extensions import (
        admin_api,
        api_config,
        app_api,
        blocking_pool,
        limiter,
        make_redis,
    )
    from backend.logging_setup import configure_logging, install_request_id
    from backend.notifications import outbox
    from backend.wechat.client import make_wechat

    configure_logging(settings.log_json)
    engine = make_engine(settings.database_url)
    app.extensions["kehou"] = {
        "settings": settings,
        "engine": engine,
        "sessionmaker": sessionmaker(bind=engine, expire_on_commit=False),
        "redis": make_redis(settings.redis_url),
    }
    app.extensions["kehou"]["wechat"] = make_wechat(app, settings)
    from backend.auth.grants_cache import register as register_grants_cache

    register_grants_cache(engine, app.extensions["kehou"]["redis"])
    app.teardown_appcontext(close_session)
    outbox.install()
    install_request_id(app)
    app.before_request(authenticate)
    register_error_handlers(app)

    app.config.update(
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        RATELIMIT_STORAGE_OPTIONS=(
            {"connection_pool": blocking_pool(settings.redis_url)} if settings.redis_url else {}
        ),
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_DEFAULT=settings.rate_limit_default,
        RATELIMIT_KEY_PREFIX="kehou-rl",
    )
    limiter.init_app(app)

    app.config.update(api_config("APP", "/api/v1"))
    app.config.update(api_config("ADMIN", "/admin/api/v1"))
    app_api.init_app(app)
    admin_api.init_app(app)
    from backend.routes import ADMIN_ROUTE_MODULES, APP_ROUTE_MODULES

    for api, modules in ((app_api, APP_ROUTE_MODULES), (admin_api, ADMIN_ROUTE_MODULES)):
        for name in modules:
            api.register_blueprint(importlib.import_module(name).blp)

    from backend.console.mount import register as register_console
    from backend.health import health_bp

    register_console(app)

    app.register_blueprint(health_bp)
    limiter.exempt(health_bp)
    _serve_swagger_assets(app)

    from backend.cli import register_cli

    register_cli(app)
    return app


class TrustedProxies:
    """werkzeug's ProxyFix for TRUSTED_PROXY_HOPS proxies (none by default).

    Behind nginx every request comes from the proxy: without this, rate limits keyed by
    address become one global bucket and R2's recorded client address is the proxy's.
    Only as many X-Forwarded-For entries as there are trusted hops are believed; the hop
    count is read per request so a test can change it.
    """

    def __init__(self, wsgi_app, settings: Settings):
        self.wsgi_app, self.settings, self._fixes = wsgi_app, settings, {}

    def __call__(self, environ, start_response):
        hops = self.settings.trusted_proxy_hops
        if not hops:
            return self.wsgi_app(environ, start_response)
        fix = self._fixes.get(hops)
        if fix is None:
            fix = self._fixes[hops] = ProxyFix(self.wsgi_app, x_for=hops, x_proto=hops)
        return fix(environ, start_response)


def _serve_swagger_assets(app: Flask) -> None:
    # Swagger UI's files come from the flask-swagger-ui wheel: the docs work offline.
    import flask_swagger_ui

    dist = Path(flask_swagger_ui.__file__).resolve().parent / "dist"

    @app.get("/static/swagger-ui/<path:filename>")
    def swagger_ui_asset(filename):
        return send_from_directory(dist, filename, max_age=3600)
