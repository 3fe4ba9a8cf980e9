"""The sandbox: the real bot against the local Bot API server, with the rehearsal clock.

:class:`Sandbox` owns the local server (:class:`~bot.sandbox.botapi.FakeBotApi` on a free
loopback port, every request validated against the Bot API spec: what Telegram would refuse
is logged as a warning and answered as Telegram would), the real Application
(:func:`bot.app.build_application`: the same handlers, storage and outbox as in production)
polling it, the chat feed the page reads, the personas and the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import importlib
import logging
import random
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.app import build_application, running
from bot.sandbox.botapi import FakeBotApi
from bot.sandbox.feed import ChatFeed
from bot.sandbox.personas import ORGANISER_IDS, Persona, Personas
from bot.sandbox.rehearsal import Moment, RehearsalClock, moments
from bot.services import Services
from config.event import EventConfig
from config.settings import Settings
from handlers.context import PsmApplication

log = logging.getLogger(__name__)

TOKEN = "7000000001:SANDBOX-local-not-a-telegram-token"
BOT_USERNAME = "psm_sandbox_bot"
BOT_NAME = "PSM Bot (sandbox)"
# Telegram ignores parse_mode where a method has none (PTB's Defaults send it): so does the
# local server (tests/harness.py explains it).
TOLERATED = ("parse_mode",)


def personas_file(database: Path) -> Path:
    """Where the personas of a sandbox database are kept."""
    return database.with_name(database.name + ".personas.json")


def database_files(database: Path) -> list[Path]:
    """The SQLite file, its companions (-wal, -shm, -journal) and the personas' file."""
    companions = [database.with_name(database.name + s) for s in ("-wal", "-shm", "-journal")]
    return [database, *companions, personas_file(database)]


def delete_database(database: Path) -> None:
    """Delete the sandbox's database and its companions (those that exist)."""
    for path in database_files(database):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


class Sandbox:
    """The bot, its local Telegram and the rehearsal, started and stopped together."""

    def __init__(
        self,
        settings: Settings,
        config: EventConfig,
        database: Path,
        *,
        chat_rate: float | None = None,
    ) -> None:
        self.base_settings = settings
        self.config = config
        self.database = database
        self.chat_rate = chat_rate
        self.clock = RehearsalClock()
        self.api = FakeBotApi(
            TOKEN,
            tolerated_unknown_params=TOLERATED,
            bot_username=BOT_USERNAME,
            bot_first_name=BOT_NAME,
        )
        self.feed = ChatFeed(self.api, self.clock.now)
        self.personas = Personas(personas_file(database))
        self.app: PsmApplication | None = None
        self._running: AbstractAsyncContextManager[PsmApplication] | None = None
        self.crowd: Any = None  # bot.sandbox.crowd.Crowd, made when first asked for
        self.lock = asyncio.Lock()  # reset and clock jumps, one at a time
        self.public_url: str | None = None  # issue 15: the page's address, for /proiettore

    @property
    def ready(self) -> bool:
        """Whether the bot is running (not while starting, resetting or stopping)."""
        return self.app is not None and self.app.bot_data.services is not None

    def settings(self) -> Settings:
        """The bot's settings in the sandbox: the local server, the sandbox's database."""
        update: dict[str, object] = {
            "bot_token": SecretStr(TOKEN),
            "api_base_url": self.api.url,
            "database": self.database,
            "organisers": list(ORGANISER_IDS),
            "bot_username": BOT_USERNAME,
        }
        if self.chat_rate is not None:
            update["chat_rate"] = self.chat_rate
        return self.base_settings.model_copy(update=update)

    @property
    def services(self) -> Services:
        """The running bot's services."""
        assert self.app is not None and self.app.bot_data.services is not None
        return self.app.bot_data.services

    async def start(self) -> Sandbox:
        """Start the local server, the bot polling it, and the chat feed."""
        await self.api.start()
        self.personas.load(self.api)
        for persona in self.personas.all:
            self.feed.watch(persona.user_id)
        await self._start_bot()
        self.feed.start()
        return self

    async def _start_bot(self) -> None:
        self.app = build_application(self.settings(), self.config, self.clock)
        self._running = running(self.app, poll_timeout=1, poll_interval=0)
        await self._running.__aenter__()
        self.set_public_url(self.public_url)

    def set_public_url(self, url: str | None) -> None:
        """Issue 15: the projector's links point at the sandbox's own page (its server)."""
        self.public_url = url
        if self.ready:
            self.services.public_url = url

    async def _stop_bot(self) -> None:
        if self._running is not None:
            running_cm, self._running = self._running, None
            await running_cm.__aexit__(None, None, None)
        self.app = None

    async def add_crowd(self, zone: int, count: int) -> int:
        """Add simulated participants to a zone (:mod:`bot.sandbox.crowd`); how many."""
        if self.crowd is None:
            module = importlib.import_module("bot.sandbox.crowd")
            self.crowd = module.Crowd(self.api, self.services, random.Random(13))
        added: int = await self.crowd.add(zone, count)
        return added

    async def _stop_crowd(self) -> None:
        if self.crowd is not None:
            crowd, self.crowd = self.crowd, None
            await crowd.stop()

    async def stop(self) -> None:
        """Stop everything (the database stays for the next start)."""
        await self._stop_crowd()
        await self.feed.stop()
        await self._stop_bot()
        await self.api.stop()

    async def reset(self) -> None:
        """Start from empty: bot stopped, database deleted, personas gone, clock back to now."""
        await self._stop_crowd()
        await self.feed.stop()
        await self._stop_bot()
        await self.api.stop()
        delete_database(self.database)
        old_feed = self.feed
        self.clock.set(dt.datetime.now(dt.UTC))
        self.api = FakeBotApi(
            TOKEN,
            tolerated_unknown_params=TOLERATED,
            bot_username=BOT_USERNAME,
            bot_first_name=BOT_NAME,
        )
        self.feed = ChatFeed(self.api, self.clock.now)
        self.feed.take_subscribers(old_feed)
        self.personas = Personas(personas_file(self.database))
        await self.start()
        self.feed.publish({"reset": True})
        log.info("sandbox: reset (empty database)")

    async def add_persona(self, template: str) -> Persona:
        """Add a persona from a template (see :mod:`bot.sandbox.personas`)."""
        persona = await self.personas.add(template, self.api, self.services)
        self.feed.watch(persona.user_id)
        return persona

    def moments(self) -> list[Moment]:
        """The moments of the rehearsed event."""
        return moments(self.config)

    async def jump(self, when: dt.datetime) -> None:
        """Move the clock and do at once what is due then (reminders, links, polls, outbox)."""
        back = when < self.clock.now()
        self.clock.set(when)
        log.info("sandbox: clock %s to %s", "back" if back else "forward", when.isoformat())
        # what is due now: broadcasts, poll closing, the session-2 notices, the report
        # reminders; the outbox is then delivered in the background (at Telegram's pace),
        # so a jump answers at once and the chats fill in as the messages go out
        await self.services.tick()
        if self.crowd is not None:
            self.crowd.wake()  # in a question window the crowd asks and supports at once
        self.feed.publish({"clock": self.clock.now().isoformat()})
