"""Helpers to run a python-telegram-bot Application against :class:`FakeBotApi`."""

from __future__ import annotations

import datetime as dtm
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from telegram.ext import Application, ApplicationBuilder

    from bot.sandbox.botapi.server import FakeBotApi

__all__ = ["application_builder", "running_application"]


def application_builder(api: FakeBotApi) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
    """An ``ApplicationBuilder`` already pointed at ``api`` (token, base URLs)."""
    from telegram.ext import Application

    return (
        Application.builder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
    )


@asynccontextmanager
async def running_application(
    app: Application[Any, Any, Any, Any, Any, Any],
    *,
    poll_timeout: int = 1,
    drop_pending_updates: bool = False,
    allowed_updates: Sequence[str] | None = None,
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """Initialize and start ``app`` with long polling; stop and shut it down on exit.

    ``poll_timeout`` is the getUpdates ``timeout`` (an Integer for Telegram, keep it small so
    that shutdown is fast; stopping the updater cancels the pending long poll anyway).
    """
    await app.initialize()
    try:
        await app.start()
        assert app.updater is not None, "the Application has no Updater"
        await app.updater.start_polling(
            poll_interval=0.0,
            timeout=dtm.timedelta(seconds=poll_timeout),
            drop_pending_updates=drop_pending_updates,
            allowed_updates=allowed_updates,
        )
        try:
            yield app
        finally:
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
    finally:
        await app.shutdown()
