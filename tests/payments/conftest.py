"""The app's built-in fake WeChat Pay, emptied before each payments test."""

from __future__ import annotations

import pytest


@pytest.fixture
def fake_pay(app):
    from backend.payments.gateway import get_gateway

    with app.app_context():
        fake = get_gateway().fake
    assert fake is not None, "tests run against the built-in fake WeChat Pay"
    fake.reset()
    yield fake
    fake.reset()
