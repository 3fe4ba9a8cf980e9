"""Shared by the benchmarks: participants registered straight into storage."""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from bot.services import Services
from storage.registrations import NewRegistration
from tests.fakebot.server import FakeBotApi


async def register_many(
    services: Services,
    api: FakeBotApi,
    event_id: str,
    first_user: int,
    count: int,
    now: dt.datetime,
) -> None:
    """``count`` in-person participants spread over the zones, each with a fake chat.

    The chat path of registration is measured by the tests; benchmarks need the crowd fast.
    Venue capacities are ignored (``None``) so everyone is confirmed.
    """
    zones = services.config.zones
    for index in range(count):
        user_id = first_user + index
        api.user(user_id, f"P{index}")
        zone = zones[index % len(zones)]
        await services.registrations.create(
            NewRegistration(
                event_id,
                user_id,
                f"P{index}",
                zone.number,
                "in_person",
                zone.venue,
                None,
                None,
                "it",
            ),
            None,
            now,
        )


class Server:
    """The fake Bot API in a process of its own (Telegram is not in the bot's process),
    driven by commands: ``serve(conn)`` runs there, sends ``(url, token)`` first, then
    answers each ``(command, argument)`` it receives until ``stop``."""

    def __init__(self, serve: Callable[[Connection], None]) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=serve, args=(child,), daemon=True)
        self.process.start()
        self.url, self.token = self.conn.recv()

    async def call(self, command: str, argument: object = None) -> Any:
        """Run a command in the server process and wait for its answer."""
        self.conn.send((command, argument))
        return await asyncio.get_running_loop().run_in_executor(None, self.conn.recv)

    def stop(self) -> None:
        """Stop the server process."""
        self.conn.send(("stop", None))
        self.process.join(10)
