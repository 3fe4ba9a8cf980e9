"""pytest integration of the fake Bot API.

Load it from ``tests/conftest.py`` with ``pytest_plugins = ["tests.fakebot.pytest_plugin"]``.

* ``fake_api``: a started :class:`FakeBotApi` (stopped at teardown, which also asserts that
  no invalid request was recorded).
* ``fake_app_builder``: an ``ApplicationBuilder`` pointed at ``fake_api``.
* Invalid Bot API requests make the test FAIL, for every :class:`FakeBotApi` instance (from the
  fixture or created by the test itself): errors recorded while the test body runs fail the
  test itself; errors recorded later (e.g. while the bot shuts down in a fixture teardown)
  fail the teardown. Reported errors are cleared, so each is reported once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from typing import Any

import pytest

from bot.sandbox.botapi.server import FakeBotApi

from .ptb import application_builder

__all__ = ["fake_api", "fake_app_builder"]


def _collect_errors() -> list[str]:
    errors: list[str] = []
    for api in list(FakeBotApi.instances):
        errors.extend(api.clear_errors())
    return errors


def _fail(errors: list[str]) -> None:
    listing = "\n  ".join(errors)
    raise AssertionError(f"{len(errors)} invalid Bot API request(s):\n  {listing}")


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    """A running fake Bot API server; asserts at teardown that no request was invalid."""
    api = FakeBotApi()
    await api.start()
    try:
        yield api
    finally:
        await api.stop()
    errors = api.clear_errors()
    if errors:
        _fail(errors)


@pytest.fixture
def fake_app_builder(fake_api: FakeBotApi) -> Any:
    """``Application.builder()`` with token/base_url/base_file_url of ``fake_api`` set."""
    return application_builder(fake_api)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    """Fail the test itself (not only its teardown) if the bot made invalid requests."""
    result = yield
    errors = _collect_errors()
    if errors:
        _fail(errors)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, Any, Any]:
    """Report errors recorded during fixture teardown by servers not created by ``fake_api``."""
    result = yield
    errors = _collect_errors()
    if errors:
        _fail(errors)
    return result
