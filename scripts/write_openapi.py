"""Write the two OpenAPI documents as YAML (run through scripts/openapi).

`dump()` is the one serialization: tests/tooling/test_openapi.py uses it to compare the
committed files with what the code generates.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# flask-smorest config prefix (normalized, with its "_") -> file name under openapi/
DOCUMENTS = {"APP_": "app.yaml", "ADMIN_": "admin.yaml"}


def dump(spec: dict) -> str:
    """Stable YAML: plain types only, sorted keys, Chinese kept readable."""
    plain = json.loads(json.dumps(spec, default=str))
    return yaml.safe_dump(plain, allow_unicode=True, sort_keys=True, width=100)


def specs(app) -> dict[str, str]:
    """File name -> YAML text for every API of the app."""
    apis = app.extensions["flask-smorest"]["apis"]
    return {
        name: dump(apis[prefix]["ext_obj"].spec.to_dict()) for prefix, name in DOCUMENTS.items()
    }


def build_app():
    sys.path.insert(0, str(ROOT))
    from backend import create_app
    from backend.settings import Settings

    # The documents do not depend on the environment: an in-memory database, no files.
    settings = Settings.from_env(
        env="development",
        database_url="sqlite://",
        secret_key="openapi-generation-only-" + "x" * 32,
        extra={"access_log": False},
    )
    return create_app(settings)


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "openapi"
    out.mkdir(parents=True, exist_ok=True)
    for name, text in specs(build_app()).items():
        (out / name).write_text(text, encoding="utf-8")
        print(f"wrote {out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
