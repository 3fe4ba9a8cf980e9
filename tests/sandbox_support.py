"""What the sandbox's tests share: a running sandbox (bot, local Telegram, web server) and a
client for its JSON API."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.sandbox.rehearsal import shift_events
from bot.sandbox.runtime import Sandbox
from bot.sandbox.web import serve_web
from tests.harness import settings_for

TODAY = dt.date(2026, 12, 1)


class Client:
    """The page's side of the API, for tests."""

    def __init__(self, session: aiohttp.ClientSession, url: str, sandbox: Sandbox) -> None:
        self.session = session
        self.url = url
        self.sandbox = sandbox

    async def get(self, path: str, status: int = 200) -> Any:
        """GET ``path``: the JSON answer (the status must be ``status``)."""
        async with self.session.get(self.url + path) as response:
            assert response.status == status, await response.text()
            return await response.json()

    async def post(self, path: str, body: Any = None, status: int = 200) -> Any:
        """POST JSON to ``path``: the JSON answer (the status must be ``status``)."""
        async with self.session.post(self.url + path, json=body) as response:
            assert response.status == status, await response.text()
            return await response.json()

    async def persona(self, template: str) -> dict[str, Any]:
        """Add a persona from a template."""
        persona: dict[str, Any] = await self.post("/api/personas", {"template": template})
        return persona

    async def messages(self, user_id: int, after: int = 0) -> list[dict[str, Any]]:
        """The messages of a chat after ``after``."""
        chat = await self.get(f"/api/chats/{user_id}?after={after}")
        messages: list[dict[str, Any]] = chat["messages"]
        return messages

    async def wait_message(
        self, user_id: int, match: Callable[[dict[str, Any]], bool], within: float = 10.0
    ) -> dict[str, Any]:
        """The first message of a chat that matches (waiting for it)."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            for message in await self.messages(user_id):
                if match(message):
                    return message
            if asyncio.get_running_loop().time() > deadline:
                shown = [m["html"][:80] for m in await self.messages(user_id)]
                raise AssertionError(f"no such message in chat {user_id}: {shown}")
            await asyncio.sleep(0.05)


def containing(text: str) -> Callable[[dict[str, Any]], bool]:
    """A matcher for a message whose HTML contains ``text``."""
    return lambda message: text in message["html"]


@asynccontextmanager
async def running_sandbox(tmp_path: Path, today: dt.date = TODAY) -> AsyncIterator[Client]:
    """A sandbox on free ports and a temporary database, with its page's client."""
    config = shift_events(None, today)
    settings = settings_for(tmp_path / "production.sqlite3", token="")
    sandbox = Sandbox(settings, config, tmp_path / "sandbox.sqlite3", chat_rate=50.0)
    sandbox.clock.set(dt.datetime.combine(today, dt.time(10, 0), tzinfo=config.tz))
    await sandbox.start()
    runner: web.AppRunner | None = None
    try:
        runner = await serve_web(sandbox, "127.0.0.1", 0)
        port = runner.addresses[0][1]
        async with aiohttp.ClientSession() as session:
            yield Client(session, f"http://127.0.0.1:{port}", sandbox)
    finally:
        if runner is not None:
            await runner.cleanup()
        await sandbox.stop()
