"""The committed OpenAPI documents match the code, are valid, and are served offline."""

from __future__ import annotations

import difflib
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _writer():
    # scripts/write_openapi.py is what scripts/openapi runs: the one serialization.
    spec = importlib.util.spec_from_file_location(
        "kehou_write_openapi", ROOT / "scripts" / "write_openapi.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


WRITER = _writer()


@pytest.fixture(scope="module")
def generated(app):
    return WRITER.specs(app)


@pytest.mark.parametrize("name", sorted(WRITER.DOCUMENTS.values()))
def test_committed_openapi_matches_code(generated, name):
    path = ROOT / "openapi" / name
    assert path.exists(), f"openapi/{name} is missing: run scripts/openapi and commit it"
    committed = path.read_text(encoding="utf-8")
    if committed != generated[name]:
        diff = "".join(
            list(
                difflib.unified_diff(
                    committed.splitlines(keepends=True),
                    generated[name].splitlines(keepends=True),
                    f"openapi/{name} (committed)",
                    f"openapi/{name} (from the code)",
                )
            )[:80]
        )
        pytest.fail(f"openapi/{name} is stale: run scripts/openapi and commit it\n{diff}")


@pytest.mark.parametrize("prefix", sorted(WRITER.DOCUMENTS))
def test_openapi_documents_are_valid(app, prefix):
    spec = app.extensions["flask-smorest"]["apis"][prefix]["ext_obj"].spec.to_dict()
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"]
    assert isinstance(spec.get("paths"), dict)
    try:
        from openapi_spec_validator import validate
    except ImportError:  # a dev extra; the structural checks above still ran
        return
    validate(spec)


@pytest.mark.parametrize("base", ["/api/v1", "/admin/api/v1"])
def test_docs_are_served_without_internet(client, base):
    doc = client.get(f"{base}/openapi.json")
    assert doc.status_code == 200
    assert doc.get_json()["openapi"].startswith("3.")

    page = client.get(f"{base}/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # Every script and stylesheet comes from this server, none from a CDN.
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, html
    external = [a for a in assets if re.match(r"(?:https?:)?//", a)]
    assert not external, f"docs page loads from outside: {external}"
    assert any(a.startswith("/static/swagger-ui/") for a in assets)
    for asset in assets:
        if asset.startswith("/static/swagger-ui/"):
            response = client.get(asset)
            assert response.status_code == 200, asset
            assert response.data, asset


def test_swagger_ui_bundle_is_served(client):
    response = client.get("/static/swagger-ui/swagger-ui-bundle.js")
    assert response.status_code == 200
    assert len(response.data) > 100_000
