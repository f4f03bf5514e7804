"""The environment: production checks unless development is asked for; trusted proxies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.settings import ConfigError, Settings

PRODUCTION_VARS = (
    "KEHOU_ENV",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "WECHAT_API_BASE_URL",
    "WECHAT_APPID",
    "WECHAT_SECRET",
)


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bare_env(monkeypatch):
    for name in PRODUCTION_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _start(env: dict, tmp_path) -> subprocess.CompletedProcess:
    """create_app() in a fresh interpreter (the APIs and the limiter are per process)."""
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_VARS}
    clean.update(env)
    script = (
        "from backend import create_app\n"
        "app = create_app()\n"
        "ext = app.extensions['kehou']\n"
        "print(ext['settings'].env, ext['wechat'].fake is not None)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_kehou_env_the_app_refuses_to_start_and_names_what_is_missing(tmp_path):
    done = _start({}, tmp_path)
    assert done.returncode != 0
    assert "ConfigError" in done.stderr
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "WECHAT_API_BASE_URL", "KEHOU_ENV"):
        assert name in done.stderr


def test_development_must_be_asked_for_and_then_runs_the_fakes(tmp_path):
    done = _start(
        {"KEHOU_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path}/dev.sqlite3"},
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["development", "True"]


def test_an_unknown_environment_name_is_refused(bare_env):
    bare_env.setenv("KEHOU_ENV", "prod")
    with pytest.raises(ConfigError, match="KEHOU_ENV"):
        Settings.from_env()


def test_trusted_proxy_hops_comes_from_the_environment(bare_env):
    bare_env.setenv("KEHOU_ENV", "testing")
    bare_env.setenv("TRUSTED_PROXY_HOPS", "1")
    assert Settings.from_env().trusted_proxy_hops == 1
    bare_env.setenv("TRUSTED_PROXY_HOPS", "many")
    with pytest.raises(ConfigError, match="TRUSTED_PROXY_HOPS"):
        Settings.from_env()
