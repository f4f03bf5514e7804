"""Liveness (/healthz) and readiness (/readyz: database and Redis reachable)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from backend.database import get_session

health_bp = Blueprint("health", __name__)


@health_bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@health_bp.get("/readyz")
def readyz():
    ext = current_app.extensions["kehou"]
    checks = {}
    try:
        session = get_session()
        session.execute(sa.text("SELECT 1"))
        session.rollback()
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        ext["redis"].ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {exc.__class__.__name__}"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), (200 if ready else 503)
