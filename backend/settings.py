"""Configuration read from the environment (see README's configuration table)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
DEMO_APPID = "wxdemo0000000000"
DEMO_SECRET = "demo-secret"


ENVIRONMENTS = ("production", "development", "testing")


class ConfigError(RuntimeError):
    """The environment does not describe a runnable service."""


def _hops(value: str) -> int:
    """TRUSTED_PROXY_HOPS as a small non-negative integer (empty: 0)."""
    value = value.strip()
    if not value:
        return 0
    if not value.isdigit() or int(value) > 10:
        raise ConfigError(f"TRUSTED_PROXY_HOPS must be a whole number 0-10, not {value!r}")
    return int(value)


def _dev_secret() -> str:
    # A per-instance secret so a dev checkout never ships a shared key.
    INSTANCE.mkdir(exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


@dataclass
class Settings:
    env: str = "development"
    database_url: str = ""
    redis_url: str = ""
    secret_key: str = ""
    wechat_appid: str = DEMO_APPID
    wechat_secret: str = DEMO_SECRET
    # Empty means: start the built-in fake WeChat on a loopback port (dev only).
    wechat_api_base_url: str = ""
    wechat_timeout_seconds: float = 5.0
    access_token_ttl: int = 2 * 3600
    refresh_token_ttl: int = 30 * 24 * 3600
    admin_token_ttl: int = 8 * 3600
    admin_idle_seconds: int = 30 * 60
    max_content_length: int = 1024 * 1024
    import_max_bytes: int = 5 * 1024 * 1024
    binding_code_ttl_hours: int = 72
    rate_limit_default: str = "120/minute"
    rate_limit_login: str = "300/minute"
    log_json: bool = True
    # How many reverse proxies in front of the app append to X-Forwarded-For (0: none).
    trusted_proxy_hops: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        env = os.environ
        s = cls(
            # Production unless said otherwise: the fakes and the generated dev secret need
            # an explicit KEHOU_ENV=development (or testing), never a forgotten variable.
            env=env.get("KEHOU_ENV", "production").strip().lower() or "production",
            database_url=env.get("DATABASE_URL", ""),
            redis_url=env.get("REDIS_URL", ""),
            secret_key=env.get("SECRET_KEY", ""),
            wechat_appid=env.get("WECHAT_APPID", DEMO_APPID),
            wechat_secret=env.get("WECHAT_SECRET", DEMO_SECRET),
            wechat_api_base_url=env.get("WECHAT_API_BASE_URL", ""),
            log_json=env.get("LOG_JSON", "1") != "0",
            trusted_proxy_hops=_hops(env.get("TRUSTED_PROXY_HOPS", "")),
        )
        for key, value in overrides.items():
            setattr(s, key, value)
        s.validate()
        return s

    def validate(self) -> None:
        if self.env not in ENVIRONMENTS:
            raise ConfigError(
                f"KEHOU_ENV must be one of {', '.join(ENVIRONMENTS)}, not {self.env!r}"
            )
        if self.is_production:
            missing = [
                name
                for name, value in (
                    ("SECRET_KEY", self.secret_key),
                    ("DATABASE_URL", self.database_url),
                    ("REDIS_URL", self.redis_url),
                    ("WECHAT_API_BASE_URL", self.wechat_api_base_url),
                )
                if not value
            ]
            if self.wechat_appid == DEMO_APPID or self.wechat_secret == DEMO_SECRET:
                missing.append("WECHAT_APPID/WECHAT_SECRET")
            if len(self.secret_key) < 32 and "SECRET_KEY" not in missing:
                missing.append("SECRET_KEY (at least 32 characters)")
            if missing:
                raise ConfigError(
                    "production needs: "
                    + ", ".join(missing)
                    + " (KEHOU_ENV is production unless set; KEHOU_ENV=development runs the"
                    " built-in fakes)"
                )
        if not self.secret_key:
            self.secret_key = _dev_secret()
        if not self.database_url:
            INSTANCE.mkdir(exist_ok=True)
            self.database_url = f"sqlite:///{INSTANCE / 'kehou.sqlite3'}"
