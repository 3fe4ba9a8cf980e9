"""Shared by the benchmarks: figures printed next to their targets, percentiles, participants
registered straight into storage, the fake Bot API in a process of its own."""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bot.app import build_application, running, tune_garbage_collector
from bot.kernel.clock import Clock
from bot.sandbox.botapi.server import FakeBotApi
from bot.services import Services
from config.event import load_event_config
from tests.harness import new_registration, settings_for


class Report:
    """Prints one figure a line next to its target, in columns of the given widths."""

    def __init__(
        self, name: int, value: int, target: int, verdicts: tuple[str, str] = ("OK", "MISSED")
    ) -> None:
        self.widths = (name, value, target)
        self.verdicts = verdicts  # met, missed

    def __call__(self, name: str, value: str, target: str, ok: bool) -> None:
        """One figure with its target."""
        name_width, value_width, target_width = self.widths
        verdict = self.verdicts[0] if ok else self.verdicts[1]
        value, target = value.rjust(value_width), target.ljust(target_width)
        print(f"{name:<{name_width}} {value}   target {target} {verdict}")


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


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
        new = new_registration(
            services.config, user_id, f"P{index}", event=event_id, zone=zone.number
        )
        await services.registrations.create(new, None, now)


Command = Callable[[FakeBotApi, Any], Awaitable[object]]


async def serve_commands(conn: Connection, api: FakeBotApi, commands: dict[str, Command]) -> None:
    """The server process's side of :class:`Server`: send ``(url, token)``, then answer each
    ``(command, argument)`` with what ``commands[command](api, argument)`` returns, until
    ``stop``. ``users`` (a fake chat ``P<id>`` for each id) is always there."""

    async def users(api: FakeBotApi, user_ids: list[int]) -> bool:
        for user_id in user_ids:
            api.user(user_id, f"P{user_id}")
        return True

    handlers: dict[str, Command] = {"users": users, **commands}
    conn.send((api.url, api.token))
    loop = asyncio.get_running_loop()
    while True:
        command, argument = await loop.run_in_executor(None, conn.recv)
        if command == "stop":
            return
        conn.send(await handlers[command](api, argument))


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


@asynccontextmanager
async def bot_on(server: Server, clock: Clock) -> AsyncIterator[Services]:
    """The real bot, tuned as ``psm-bot run`` tunes it, on the bundled event file and a
    temporary database, polling the fake Bot API in ``server``'s process; its services."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_for(
            Path(tmp) / "bench.sqlite3", token=server.token, api_base_url=server.url
        )
        application = build_application(settings, load_event_config(), clock)
        tune_garbage_collector()  # as `psm-bot run` does
        async with running(application, poll_timeout=1, poll_interval=0):
            services = application.bot_data.services
            assert services is not None
            yield services
