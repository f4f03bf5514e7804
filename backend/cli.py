"""Flask commands (`flask --app backend ...`); each domain adds its own via register(app)."""

from __future__ import annotations

import importlib

CLI_MODULES = [
    "backend.privacy.cli",
    "backend.db_cli",
    "backend.auth.cli",
    "backend.demo.cli",
    "backend.notifications.cli",
    "backend.audit.cli",
    "backend.pickup.cli",
    "backend.payments.cli",
    "backend.common.cli",
    "backend.complaints.cli",
    "backend.surveys.cli",
]


def register_cli(app) -> None:
    for name in CLI_MODULES:
        importlib.import_module(name).register(app)
