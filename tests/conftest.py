"""Shared fixtures: the fake Bot API server every end-to-end test talks to, and the bundled
event file as data for the tests that change it (helpers are in tests/harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.sandbox.botapi.server import FakeBotApi
from tests.harness import bot_api_server, bundled_event_data

pytest_plugins = ["tests.fakebot.pytest_plugin"]


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    """A running fake Bot API (invalid requests fail the test, see the plugin)."""
    async with bot_api_server() as server:
        yield server


@pytest.fixture
def bundled_data() -> dict[str, Any]:
    """The bundled event file as YAML data, a fresh copy for each test."""
    return bundled_event_data()
