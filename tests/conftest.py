"""Shared fixtures: the fake Bot API server every end-to-end test talks to."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakebot.server import FakeBotApi

pytest_plugins = ["tests.fakebot.pytest_plugin"]


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    """A running fake Bot API (invalid requests fail the test, see the plugin)."""
    async with FakeBotApi() as server:
        yield server
