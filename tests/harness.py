"""Running the real psm-bot Application against the fake Bot API, with an injected clock."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot.app import build_application, running
from bot.kernel.clock import FakeClock
from bot.services import Services
from config.event import EventConfig, bundled_event_file, load_event_config, parse_event_config
from config.settings import Settings
from handlers.context import PsmApplication
from tests.fakebot.models import SentMessage
from tests.fakebot.server import FakeBotApi
from tests.fakebot.users import FakeUser

ROME = ZoneInfo("Europe/Rome")
# Two weeks before the co-planning day: both 2023 events are open... but the launch (27 Sep)
# is past, so only the 5 Dec event is open at this time.
BEFORE_COPLANNING = dt.datetime(2023, 11, 20, 10, 0, tzinfo=ROME)
# Before the launch event: both events are open.
BEFORE_LAUNCH = dt.datetime(2023, 9, 20, 10, 0, tzinfo=ROME)


class BotHarness:
    """The bot under test: start, stop and restart it on the same database."""

    def __init__(
        self,
        api: FakeBotApi,
        tmp_path: Path,
        *,
        now: dt.datetime = BEFORE_COPLANNING,
        config: EventConfig | None = None,
        organisers: list[int] | None = None,
    ) -> None:
        self.api = api
        self.database = tmp_path / "psm-test.sqlite3"
        self.clock = FakeClock(now)
        self.config = config or load_event_config()
        self.organisers = organisers or []
        self.app: PsmApplication | None = None
        self._running: AbstractAsyncContextManager[Any] | None = None

    def settings(self) -> Settings:
        """Settings pointing at the fake server and the test database."""
        return Settings(
            bot_token=self.api.token,
            api_base_url=self.api.url,
            database=self.database,
            organisers=self.organisers,
            # Simulated users tap far faster than people: let each chat take 50 messages a
            # second so tests are quick (the per-chat pacing has its own unit test).
            chat_rate=50.0,
            _env_file=None,
        )

    async def start(self) -> BotHarness:
        """Build and start the Application (post_init included), polling the fake server."""
        self.app = build_application(self.settings(), self.config, self.clock)
        self._running = running(self.app, poll_timeout=1, poll_interval=0)
        await self._running.__aenter__()
        return self

    async def stop(self) -> None:
        """Stop polling and shut down (post_shutdown closes the database)."""
        if self._running is not None:
            running_cm, self._running = self._running, None
            await running_cm.__aexit__(None, None, None)
        self.app = None

    async def restart(self) -> None:
        """Stop and start again on the same database, as after a crash or a deploy."""
        await self.stop()
        await self.start()

    async def drain(self) -> None:
        """Deliver what is due at the clock's current time, as the periodic job would."""
        sender = self.services.sender
        assert sender is not None
        await self.services.broadcasts.tick()
        await sender.drain()
        await self.services.broadcasts.tick()
        await self.api.settle(0.05)

    async def at(self, when: dt.datetime) -> None:
        """Let the bot finish what it is doing, move the clock to ``when``, deliver what is due."""
        await self.api.settle(0.05)
        self.clock.set(when)
        await self.drain()

    @property
    def services(self) -> Services:
        """The running bot's services."""
        assert self.app is not None and self.app.bot_data.services is not None
        return self.app.bot_data.services


def config_with(**capacities: int) -> EventConfig:
    """The bundled configuration with other venue capacities."""
    data: dict[str, Any] = yaml.safe_load(bundled_event_file().read_text("utf-8"))
    for venue in data["venues"]:
        if venue["id"] in capacities:
            venue["capacity"] = capacities[venue["id"]]
    return parse_event_config(yaml.safe_dump(data, allow_unicode=True))


def with_button(label: str) -> Any:
    """A matcher for a message that has a button containing ``label``."""
    return lambda m: any(label in text for text in m.button_texts)


async def answer(user: FakeUser, question: str, button: str) -> SentMessage:
    """Wait for a question, press one of its buttons, return the question."""
    message = await user.wait_for(question)
    await user.press(button, message=message)
    return message


async def register(
    user: FakeUser,
    *,
    zone: str = "5 · Pinerolese",
    mode: str = "presenza",
    organisation: str | None = "Comune di Pinerolo",
    start: str = "/start",
    english: bool = False,
) -> list[SentMessage]:
    """Go through the whole Italian (or English) registration; returns what came after."""
    await user.send(start)
    await answer(user, "rivacy", "I accept" if english else "Accetto e continuo")
    await answer(user, "name" if english else "nome", "Use" if english else "Usa")
    if not start.startswith("/start zona"):
        await answer(user, "Choose your" if english else "Scegli la tua", zone)
    await answer(user, "attend" if english else "Come parteciperai", mode)
    question = await user.wait_for("organisation" if english else "ente")
    if organisation:
        await user.send(organisation)
    else:
        await user.press("Skip" if english else "Salta", message=question)
    await answer(user, "category" if english else "categoria", "Skip" if english else "Salta")
    await answer(user, "check" if english else "Controlla", "Confirm" if english else "Conferma")
    confirmed = await user.wait_for(
        lambda m: any(k in m.content for k in ("confermata", "confirmed", "attesa", "waiting"))
    )
    document = await user.wait_for(lambda m: m.document is not None)
    return [confirmed, document]
